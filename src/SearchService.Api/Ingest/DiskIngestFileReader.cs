using Microsoft.Extensions.Options;
using SearchService.Core.Ingest;

namespace SearchService.Api.Ingest;

/// <summary>Reads job files from the spool (uploads) or from the server's disk (folder jobs, re-checked against the allowed roots).</summary>
public sealed class DiskIngestFileReader : IIngestFileReader
{
    private readonly IOptionsMonitor<IngestOptions> _options;
    private readonly FolderAccess _folders;

    public DiskIngestFileReader(IOptionsMonitor<IngestOptions> options, FolderAccess folders)
    {
        _options = options;
        _folders = folders;
    }

    public async Task<byte[]> ReadAsync(IngestJob job, IngestFile file, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(file);
        var path = job.Source.Kind == IngestSourceKind.Upload
            ? Path.Combine(job.Source.Path, file.Entry.Location)
            : file.Entry.Location;

        // The folder may have changed since the scan: a file replaced by a link must not lead outside.
        if (job.Source.Kind == IngestSourceKind.Folder && !_folders.IsAllowedFile(path))
        {
            throw new IngestFileException("the file now lies outside the allowed folders");
        }

        var maxBytes = _options.CurrentValue.MaxFileBytes;
        try
        {
            var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
            await using (stream.ConfigureAwait(false))
            {
                var length = stream.Length;
                if (length > maxBytes)
                {
                    throw new IngestFileException($"the file has {length} bytes, more than Ingest:MaxFileBytes ({maxBytes})");
                }

                var bytes = new byte[length];
                await stream.ReadExactlyAsync(bytes, cancellationToken).ConfigureAwait(false);
                return bytes;
            }
        }
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new IngestFileException("the file no longer exists", exception);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new IngestFileException($"the file cannot be read: {exception.Message}", exception);
        }
    }
}
