using SearchService.Core.Images;
using SearchService.Core.Ingest;

namespace SearchService.Cli.Commands;

/// <summary>What <c>ingest PATH</c> names on this machine: a folder's image files, one image file, or an archive.</summary>
internal static class LocalFiles
{
    private static readonly string[] ArchiveEndings = [".zip", ".tar", ".tar.gz", ".tgz"];

    /// <summary>True for the archive kinds the service expands (<c>.zip</c>, <c>.tar</c>, <c>.tar.gz</c>, <c>.tgz</c>).</summary>
    public static bool IsArchive(string path) => ArchiveEndings.Any(ending => path.EndsWith(ending, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The image files (by extension) under a folder, or the one file <paramref name="path"/> names, in a stable
    /// order (ordinal by path). Hidden files and folders (a leading dot on Unix) are left out, and linked folders are not followed (no
    /// cycles, no file counted twice).
    /// </summary>
    public static IEnumerable<IngestFileEntry> Scan(string path, bool recursive)
    {
        var full = Path.GetFullPath(path);
        if (File.Exists(full))
        {
            var file = new FileInfo(full);
            return [new IngestFileEntry(file.FullName, file.Name, file.Length, file.LastWriteTimeUtc)];
        }

        if (!Directory.Exists(full))
        {
            throw new Framework.CliUsageException($"{full} is neither a file nor a folder.");
        }

        var options = new EnumerationOptions
        {
            RecurseSubdirectories = recursive,
            AttributesToSkip = FileAttributes.Hidden | FileAttributes.System,
            IgnoreInaccessible = true,
            ReturnSpecialDirectories = false,
        };
        return new DirectoryInfo(full).EnumerateFiles("*", options)
            .Where(file => ImageFileNames.HasImageExtension(file.Name))
            .OrderBy(file => file.FullName, StringComparer.Ordinal)
            .Select(file => new IngestFileEntry(file.FullName, Path.GetRelativePath(full, file.FullName), file.Length, file.LastWriteTimeUtc));
    }
}
