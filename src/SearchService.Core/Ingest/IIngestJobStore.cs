using SearchService.Core.Storage;

namespace SearchService.Core.Ingest;

/// <summary>
/// Durable state of ingest jobs and of every file in them. Each method that changes several files does so in
/// one transaction, so a crash leaves either all of a batch's outcomes or none.
/// </summary>
public interface IIngestJobStore
{
    Task CreateAsync(Guid jobId, IngestSource source, bool enumerated, CancellationToken cancellationToken);

    Task<IngestJob?> GetAsync(Guid jobId, CancellationToken cancellationToken);

    /// <summary>Newest first; cursor from a previous page.</summary>
    Task<Page<IngestJob>> ListAsync(string? cursor, int limit, CancellationToken cancellationToken);

    /// <summary>Jobs left queued or running (by a restart or a crash), oldest first.</summary>
    Task<IReadOnlyList<IngestJob>> ListUnfinishedAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Records enumerated files. A location already recorded for the job is ignored, so a re-scan after a
    /// crash adds only what is missing. For folder jobs the latest earlier outcome of the same location is
    /// looked up and kept as the file's prior hash.
    /// </summary>
    Task AddFilesAsync(Guid jobId, IReadOnlyList<IngestFileEntry> files, CancellationToken cancellationToken);

    Task MarkEnumeratedAsync(Guid jobId, CancellationToken cancellationToken);

    /// <summary>Pending files in id order, read lazily page by page.</summary>
    IAsyncEnumerable<IngestFile> ReadPendingAsync(Guid jobId, CancellationToken cancellationToken);

    /// <summary>Durably notes the hash of files about to be stored, before the library is called.</summary>
    Task RecordAttemptsAsync(IReadOnlyList<IngestAttempt> attempts, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Writes final file states in one transaction.</summary>
    Task CompleteFilesAsync(IReadOnlyList<IngestFileOutcome> outcomes, CancellationToken cancellationToken);

    /// <summary>True when some job's file is recorded as having stored this image (it owns it).</summary>
    Task<bool> IsImageOwnedAsync(Guid imageId, CancellationToken cancellationToken);

    /// <summary>
    /// Moves an unfinished (queued or running) job to a new state; sets the start and finish times as the state
    /// implies. False when the job has already ended (or does not exist): a final state is never overwritten.
    /// </summary>
    Task<bool> SetStateAsync(Guid jobId, IngestJobState state, string? error, CancellationToken cancellationToken);

    /// <summary>
    /// Compare-and-set: moves the job to <paramref name="state"/> only while it is still in <paramref name="expected"/>.
    /// False when another writer moved it first (e.g. a cancel won the race with the runner claiming the job).
    /// </summary>
    Task<bool> TrySetStateAsync(Guid jobId, IngestJobState expected, IngestJobState state, string? error, CancellationToken cancellationToken);

    /// <summary>Failed files, in id order, after the given file id.</summary>
    Task<IReadOnlyList<IngestFileError>> ListErrorsAsync(Guid jobId, long afterFileId, int limit, CancellationToken cancellationToken);
}
