namespace SearchService.Core.Ingest;

/// <summary>Lifecycle of an ingest job. Queued and running jobs resume after a restart.</summary>
public enum IngestJobState
{
    Queued,
    Running,
    Completed,
    Failed,
    Cancelled,
}

/// <summary>Where a job's files come from.</summary>
public enum IngestSourceKind
{
    /// <summary>Files (or expanded archives) uploaded with the request and spooled under the data directory.</summary>
    Upload,

    /// <summary>A folder on the server, inside the configured allowed roots.</summary>
    Folder,
}

/// <summary>What a job ingests.</summary>
/// <param name="Kind">Upload or server folder.</param>
/// <param name="Path">The spool folder of an upload, or the canonical server folder.</param>
/// <param name="Recursive">Folder jobs: include subfolders.</param>
/// <param name="Tags">Tags given to every stored image.</param>
public sealed record IngestSource(IngestSourceKind Kind, string Path, bool Recursive, IReadOnlyList<string> Tags);

/// <summary>Counts over a job's files; they always add up to <see cref="Total"/>.</summary>
/// <param name="Pending">Not processed yet.</param>
/// <param name="Done">Stored as a new image by this job.</param>
/// <param name="Duplicates">Identical bytes were already stored (by anyone, or earlier in this job).</param>
/// <param name="Skipped">Unchanged since an earlier ingest of the same path.</param>
/// <param name="Failed">Rejected or unreadable; each has a reason.</param>
public sealed record IngestTotals(long Pending, long Done, long Duplicates, long Skipped, long Failed)
{
    public static readonly IngestTotals Empty = new(0, 0, 0, 0, 0);

    public long Total => Pending + Done + Duplicates + Skipped + Failed;

    public long Processed => Done + Duplicates + Skipped + Failed;
}

/// <summary>A job as persisted.</summary>
/// <param name="Id">Job id.</param>
/// <param name="Source">What it ingests.</param>
/// <param name="State">Where it is in its lifecycle.</param>
/// <param name="CreatedAt">When it was created (UTC).</param>
/// <param name="StartedAt">When processing first started.</param>
/// <param name="FinishedAt">When it reached a final state.</param>
/// <param name="Error">Why the job failed as a whole (per-file errors are separate).</param>
/// <param name="Enumerated">True once every file of the source is recorded (folder jobs scan first).</param>
/// <param name="Totals">Counts over its files.</param>
public sealed record IngestJob(
    Guid Id,
    IngestSource Source,
    IngestJobState State,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    string? Error,
    bool Enumerated,
    IngestTotals Totals)
{
    public bool IsFinal => State is IngestJobState.Completed or IngestJobState.Failed or IngestJobState.Cancelled;
}
