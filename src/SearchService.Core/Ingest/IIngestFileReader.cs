namespace SearchService.Core.Ingest;

/// <summary>Reads the bytes of a job's file (the local disk, the spool); implemented outside Core.</summary>
public interface IIngestFileReader
{
    /// <summary>The whole file. Throws <see cref="IngestFileException"/> when it is missing, unreadable or too large.</summary>
    Task<byte[]> ReadAsync(IngestJob job, IngestFile file, CancellationToken cancellationToken);
}

/// <summary>A file of a job that cannot be read; recorded as that file's failure, the job goes on.</summary>
public sealed class IngestFileException : Exception
{
    public IngestFileException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
