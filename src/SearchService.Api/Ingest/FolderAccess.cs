using Microsoft.Extensions.Options;
using SearchService.Core.Images;
using SearchService.Core.Ingest;

namespace SearchService.Api.Ingest;

/// <summary>
/// Which server folders jobs may read, and the scan of one. Every path is canonicalised with each symlink
/// resolved, then must lie inside an allowed root, so neither <c>..</c> nor a link can lead outside.
/// </summary>
public sealed class FolderAccess
{
    private readonly IOptionsMonitor<IngestOptions> _options;

    public FolderAccess(IOptionsMonitor<IngestOptions> options)
    {
        _options = options;
    }

    /// <summary>The canonical folder for a requested path; throws <see cref="IngestRequestException"/> when it is not allowed.</summary>
    public string ResolveFolder(string? requested)
    {
        if (string.IsNullOrWhiteSpace(requested))
        {
            throw new IngestRequestException("Invalid folder", "'path' is required.");
        }

        if (!Path.IsPathFullyQualified(requested))
        {
            throw new IngestRequestException("Invalid folder", "'path' must be an absolute server path.");
        }

        if (requested.Split('/', '\\').Any(segment => segment == ".."))
        {
            throw new IngestRequestException("Folder not allowed", "'path' must not contain '..' segments.");
        }

        var roots = CanonicalRoots();
        if (roots.Count == 0)
        {
            throw new IngestRequestException("Folder jobs are disabled", "No Ingest:AllowedRoots are configured on this server.", StatusCodes.Status403Forbidden);
        }

        var resolved = RealPath(requested);
        if (!IsInside(resolved, roots))
        {
            throw new IngestRequestException("Folder not allowed", $"'{requested}' is outside the folders this server may read.");
        }

        if (!Directory.Exists(resolved))
        {
            throw new IngestRequestException("Folder not found", $"'{requested}' is not a folder on the server.");
        }

        return resolved;
    }

    /// <summary>
    /// Image files under a folder, lazily, in a stable order. Links are resolved: a link whose target leaves
    /// the allowed roots is left out, and linked folders are not followed (no cycles, no double counting).
    /// </summary>
    public IEnumerable<IngestFileEntry> Scan(string folder, bool recursive)
    {
        var roots = CanonicalRoots();
        var pending = new Stack<string>();
        pending.Push(folder);
        while (pending.Count > 0)
        {
            var directory = pending.Pop();
            FileSystemInfo[] entries;
            try
            {
                entries = new DirectoryInfo(directory).GetFileSystemInfos();
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            Array.Sort(entries, (a, b) => string.CompareOrdinal(a.Name, b.Name));
            var subfolders = new List<string>();
            foreach (var entry in entries)
            {
                if (entry.Name.StartsWith('.'))
                {
                    continue;
                }

                if (entry.LinkTarget is not null)
                {
                    if (entry is FileInfo && Resolve(entry) is FileInfo target && target.Exists && IsInside(target.FullName, roots)
                        && ImageFileNames.HasImageExtension(entry.Name))
                    {
                        yield return new IngestFileEntry(entry.FullName, RelativeName(folder, entry.FullName), target.Length, target.LastWriteTimeUtc);
                    }

                    continue;
                }

                if (entry is DirectoryInfo)
                {
                    if (recursive)
                    {
                        subfolders.Add(entry.FullName);
                    }
                }
                else if (entry is FileInfo file && ImageFileNames.HasImageExtension(file.Name))
                {
                    yield return new IngestFileEntry(file.FullName, RelativeName(folder, file.FullName), file.Length, file.LastWriteTimeUtc);
                }
            }

            for (var i = subfolders.Count - 1; i >= 0; i--)
            {
                pending.Push(subfolders[i]);
            }
        }
    }

    /// <summary>True when a file found earlier is still inside the allowed roots once its links are resolved.</summary>
    public bool IsAllowedFile(string path) => IsInside(RealPath(path), CanonicalRoots());

    private static FileSystemInfo? Resolve(FileSystemInfo entry)
    {
        try
        {
            return entry.ResolveLinkTarget(returnFinalTarget: true);
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static string RelativeName(string folder, string path) => Path.GetRelativePath(folder, path);

    private List<string> CanonicalRoots() =>
        _options.CurrentValue.AllowedRoots.Where(Directory.Exists).Select(root => RealPath(root)).ToList();

    private static bool IsInside(string path, List<string> roots) =>
        roots.Any(root => path == root || path.StartsWith(root.EndsWith('/') ? root : root + "/", StringComparison.Ordinal));

    /// <summary>The path with every symlink along it resolved (like realpath(3)); missing tails are kept as given.</summary>
    internal static string RealPath(string path) => RealPath(path, 0);

    private static string RealPath(string path, int depth)
    {
        if (depth > 32)
        {
            throw new IngestRequestException("Folder not allowed", "Too many levels of symbolic links.");
        }

        var full = Path.GetFullPath(path);
        var segments = full.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var current = "/";
        for (var i = 0; i < segments.Length; i++)
        {
            var next = Path.Combine(current, segments[i]);
            FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            if (info.LinkTarget is not null)
            {
                var target = Resolve(info);
                if (target is null)
                {
                    return Path.Combine([next, .. segments[(i + 1)..]]);
                }

                // A link's target may itself lie under other links: resolve the whole target again.
                next = RealPath(target.FullName, depth + 1);
            }

            current = next;
        }

        return current;
    }
}
