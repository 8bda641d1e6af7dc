using SearchService.Core.Ingest;

namespace SearchService.Api.Ingest;

/// <summary>
/// Writes one job's uploaded files under <c>&lt;spool&gt;/&lt;jobId&gt;/files/</c>. Stored names are a sequence
/// number and a cleaned extension, never the uploader's name, so no name can reach outside the spool.
/// </summary>
public sealed class SpoolWriter
{
    private const string FilesFolder = "files";

    private readonly long _maxFileBytes;
    private readonly List<IngestFileEntry> _files = [];

    public SpoolWriter(string jobDirectory, long maxFileBytes)
    {
        JobDirectory = jobDirectory;
        _maxFileBytes = maxFileBytes;
        Directory.CreateDirectory(Path.Combine(jobDirectory, FilesFolder));
    }

    public string JobDirectory { get; }

    /// <summary>Files written so far, with locations relative to <see cref="JobDirectory"/>.</summary>
    public IReadOnlyList<IngestFileEntry> Files => _files;

    /// <summary>Name of the archive being expanded, for messages.</summary>
    public string CurrentArchiveName { get; set; } = string.Empty;

    public string NewTemporaryPath(string extension) => Path.Combine(JobDirectory, $"upload-{Guid.NewGuid():N}{extension}");

    /// <summary>Streams one file into the spool; throws <see cref="IngestRequestException"/> when it is over the size limit.</summary>
    internal async Task WriteFileAsync(string displayName, Stream source, ArchiveExpander.Counter? counter, CancellationToken cancellationToken)
    {
        var location = Path.Combine(FilesFolder, $"{_files.Count + 1:D7}{CleanExtension(displayName)}");
        var path = Path.Combine(JobDirectory, location);
        long written = 0;
        var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new byte[1 << 16];
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                written += read;
                counter?.Written(written, read);
                if (written > _maxFileBytes)
                {
                    throw new IngestRequestException(
                        "File too large", $"'{displayName}' is larger than Ingest:MaxFileBytes ({_maxFileBytes} bytes).", StatusCodes.Status413PayloadTooLarge);
                }

                await stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            }
        }

        _files.Add(new IngestFileEntry(location, displayName, written, null));
    }

    /// <summary>Copies a stream to a temporary file in the job's spool (archives, before expansion).</summary>
    public async Task<string> WriteTemporaryAsync(Stream source, string extension, long maxBytes, CancellationToken cancellationToken)
    {
        var path = NewTemporaryPath(extension);
        long written = 0;
        var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new byte[1 << 16];
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                written += read;
                if (written > maxBytes)
                {
                    throw new IngestRequestException(
                        "Upload too large", $"The upload is larger than Ingest:MaxUploadBytes ({maxBytes} bytes).", StatusCodes.Status413PayloadTooLarge);
                }

                await stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            }
        }

        return path;
    }

    private static string CleanExtension(string name)
    {
        var extension = Path.GetExtension(name).ToLowerInvariant();
        return extension.Length is > 1 and <= 6 && extension.Skip(1).All(char.IsAsciiLetterOrDigit) ? extension : string.Empty;
    }
}
