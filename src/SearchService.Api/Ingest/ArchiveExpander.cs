using System.Formats.Tar;
using System.IO.Compression;

namespace SearchService.Api.Ingest;

/// <summary>
/// Expands a spooled .zip, .tar or .tar.gz entry by entry into a job's spool, refusing the archive as a
/// whole when it breaks a limit: entry count, total size, an entry name that climbs out (<c>..</c>, rooted),
/// or a compression ratio only a zip bomb has. Sizes are counted on the bytes actually written, not on what
/// the headers claim.
/// </summary>
public sealed class ArchiveExpander
{
    private const long RatioCheckThreshold = 1024 * 1024;

    private readonly IngestOptions _options;

    public ArchiveExpander(IngestOptions options)
    {
        _options = options;
    }

    public static ArchiveKind? KindOf(string? fileName)
    {
        if (fileName is null)
        {
            return null;
        }

        if (fileName.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
        {
            return ArchiveKind.Zip;
        }

        if (fileName.EndsWith(".tar", StringComparison.OrdinalIgnoreCase))
        {
            return ArchiveKind.Tar;
        }

        return fileName.EndsWith(".tar.gz", StringComparison.OrdinalIgnoreCase) || fileName.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase)
            ? ArchiveKind.TarGz
            : null;
    }

    /// <summary>Expands <paramref name="archivePath"/> through <paramref name="spool"/>; returns the files it wrote.</summary>
    public async Task ExpandAsync(string archivePath, ArchiveKind kind, SpoolWriter spool, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spool);
        try
        {
            if (kind == ArchiveKind.Zip)
            {
                await ExpandZipAsync(archivePath, spool, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await ExpandTarAsync(archivePath, kind == ArchiveKind.TarGz, spool, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception exception) when (exception is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw new IngestRequestException("Unreadable archive", $"'{spool.CurrentArchiveName}' is not a valid {kind} archive: {exception.Message}");
        }
    }

    private async Task ExpandZipAsync(string archivePath, SpoolWriter spool, CancellationToken cancellationToken)
    {
        var archive = await ZipArchive.CreateAsync(File.OpenRead(archivePath), ZipArchiveMode.Read, leaveOpen: false, entryNameEncoding: null, cancellationToken).ConfigureAwait(false);
        await using (archive.ConfigureAwait(false))
        {
            var counter = new Counter(this, spool.CurrentArchiveName);
            foreach (var entry in archive.Entries)
            {
                if (entry.FullName.EndsWith('/') || !IsWanted(entry.FullName))
                {
                    continue;
                }

                var name = SafeEntryName(entry.FullName, spool.CurrentArchiveName);
                counter.Entry(entry.Length);
                if (entry.Length > RatioCheckThreshold && entry.Length > entry.CompressedLength * _options.MaxCompressionRatio)
                {
                    throw Refuse(spool.CurrentArchiveName, $"entry '{name}' expands {entry.Length / Math.Max(1, entry.CompressedLength)}× (limit {_options.MaxCompressionRatio}×): refused as a zip bomb.");
                }

                var source = await entry.OpenAsync(cancellationToken).ConfigureAwait(false);
                await using (source.ConfigureAwait(false))
                {
                    await spool.WriteFileAsync(name, source, counter, cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    private async Task ExpandTarAsync(string archivePath, bool gzip, SpoolWriter spool, CancellationToken cancellationToken)
    {
        var compressedLength = new FileInfo(archivePath).Length;
        var file = File.OpenRead(archivePath);
        Stream stream = gzip ? new GZipStream(file, CompressionMode.Decompress, leaveOpen: false) : file;
        await using (stream.ConfigureAwait(false))
        {
            var counter = new Counter(this, spool.CurrentArchiveName, gzip ? compressedLength : null);
            var reader = new TarReader(stream);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
                {
                    // Links and devices are never followed out of an archive; folders are implied by file names.
                    if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || !IsWanted(entry.Name))
                    {
                        continue;
                    }

                    var name = SafeEntryName(entry.Name, spool.CurrentArchiveName);
                    counter.Entry(entry.Length);
                    if (entry.DataStream is { } data)
                    {
                        await spool.WriteFileAsync(name, data, counter, cancellationToken).ConfigureAwait(false);
                    }
                }
            }
        }
    }

    // macOS resource forks ride along in many zips and are never images.
    private static bool IsWanted(string entryName) =>
        !entryName.StartsWith("__MACOSX/", StringComparison.Ordinal) && !Path.GetFileName(entryName).StartsWith("._", StringComparison.Ordinal);

    private static string SafeEntryName(string entryName, string archiveName)
    {
        var normalised = entryName.Replace('\\', '/');
        if (normalised.StartsWith('/') || Path.IsPathRooted(normalised) || normalised.Contains(':', StringComparison.Ordinal)
            || normalised.Split('/').Any(segment => segment == ".."))
        {
            throw Refuse(archiveName, $"entry name '{entryName}' points outside the archive.");
        }

        if (normalised.Any(char.IsControl))
        {
            throw Refuse(archiveName, "an entry name contains control characters.");
        }

        return normalised;
    }

    private static IngestRequestException Refuse(string archiveName, string detail) =>
        new("Archive refused", $"'{archiveName}': {detail}");

    /// <summary>Running totals of one archive, checked as bytes are written.</summary>
    internal sealed class Counter(ArchiveExpander owner, string archiveName, long? compressedLength = null)
    {
        private int _entries;
        private long _bytes;

        public void Entry(long declaredLength)
        {
            if (++_entries > owner._options.MaxArchiveEntries)
            {
                throw Refuse(archiveName, $"more than {owner._options.MaxArchiveEntries} entries.");
            }

            if (declaredLength > owner._options.MaxFileBytes)
            {
                throw Refuse(archiveName, $"an entry of {declaredLength} bytes exceeds Ingest:MaxFileBytes ({owner._options.MaxFileBytes}).");
            }
        }

        public void Written(long fileBytes, int count)
        {
            _bytes += count;
            if (fileBytes > owner._options.MaxFileBytes)
            {
                throw Refuse(archiveName, $"an entry exceeds Ingest:MaxFileBytes ({owner._options.MaxFileBytes}).");
            }

            if (_bytes > owner._options.MaxArchiveBytes)
            {
                throw Refuse(archiveName, $"expands to more than Ingest:MaxArchiveBytes ({owner._options.MaxArchiveBytes}).");
            }

            if (compressedLength is { } compressed && _bytes > RatioCheckThreshold && _bytes > compressed * owner._options.MaxCompressionRatio)
            {
                throw Refuse(archiveName, $"expands more than {owner._options.MaxCompressionRatio}× its size: refused as a zip bomb.");
            }
        }
    }
}

public enum ArchiveKind
{
    Zip,
    Tar,
    TarGz,
}
