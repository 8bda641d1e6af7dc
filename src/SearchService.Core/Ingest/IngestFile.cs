namespace SearchService.Core.Ingest;

/// <summary>What happened to one file of a job.</summary>
public enum IngestFileState
{
    Pending,
    Done,
    Duplicate,
    Skipped,
    Failed,
}

/// <summary>A file found by enumeration, before it is recorded.</summary>
/// <param name="Location">Where the reader finds it: absolute path for folder jobs, path inside the spool for uploads.</param>
/// <param name="DisplayName">Name shown to users and stored as the image's file name.</param>
/// <param name="SizeBytes">Size when enumerated.</param>
/// <param name="ModifiedAt">Last write time when enumerated (folder jobs).</param>
public sealed record IngestFileEntry(string Location, string DisplayName, long SizeBytes, DateTimeOffset? ModifiedAt);

/// <summary>A recorded file of a job, with what a resumed run needs to account for it exactly.</summary>
/// <param name="Id">Row id; files are processed in id order.</param>
/// <param name="JobId">Owning job.</param>
/// <param name="Entry">Where it is and what it looked like when enumerated.</param>
/// <param name="PriorSha256">Content hash recorded for the same path by an earlier job (incremental folder ingest).</param>
/// <param name="PriorUnchanged">True when size and modification time equal that earlier record: the file need not be read.</param>
/// <param name="AttemptSha256">Hash recorded just before this file was handed to the library, if it ever was.</param>
/// <param name="AttemptAt">When that hand-over began.</param>
public sealed record IngestFile(
    long Id,
    Guid JobId,
    IngestFileEntry Entry,
    string? PriorSha256,
    bool PriorUnchanged,
    string? AttemptSha256,
    DateTimeOffset? AttemptAt);

/// <summary>The final state of one file, written with the batch that produced it.</summary>
/// <param name="FileId">Row id.</param>
/// <param name="State">Never <see cref="IngestFileState.Pending"/>.</param>
/// <param name="Sha256">Content hash when the file could be read.</param>
/// <param name="ImageId">The stored image (new, or the existing one for a duplicate or skip).</param>
/// <param name="Reason">Why it failed or was skipped.</param>
public sealed record IngestFileOutcome(long FileId, IngestFileState State, string? Sha256, Guid? ImageId, string? Reason);

/// <summary>A file that failed, as listed to users.</summary>
public sealed record IngestFileError(long FileId, string Name, string Reason);

/// <summary>Hash recorded for a file right before it is handed to the library (see <see cref="IIngestJobStore.RecordAttemptsAsync"/>).</summary>
public readonly record struct IngestAttempt(long FileId, string Sha256);
