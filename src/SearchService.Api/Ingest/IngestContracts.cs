using SearchService.Core.Ingest;

namespace SearchService.Api.Ingest;

/// <summary>Body of <c>POST /api/ingest/jobs</c> for a server folder.</summary>
/// <param name="Path">Absolute folder on the server, inside <c>Ingest:AllowedRoots</c>.</param>
/// <param name="Recursive">Include subfolders (default true).</param>
/// <param name="Tags">Tags given to every image stored by the job.</param>
public sealed record FolderJobRequest(string? Path, bool? Recursive, IReadOnlyList<string>? Tags);

/// <summary>Counts over a job's files: <c>queued + done + duplicates + skipped + failed = total</c>.</summary>
/// <param name="Total">Files found (archive entries count one by one).</param>
/// <param name="Queued">Files not processed yet.</param>
/// <param name="Done">Files stored as new images.</param>
/// <param name="Duplicates">Files whose bytes were already stored.</param>
/// <param name="Skipped">Folder files unchanged since an earlier job (same size and modification time).</param>
/// <param name="Failed">Files refused; see <c>errors</c>.</param>
public sealed record IngestTotalsResponse(long Total, long Queued, long Done, long Duplicates, long Skipped, long Failed)
{
    public static IngestTotalsResponse From(IngestTotals totals) =>
        new(totals.Total, totals.Pending, totals.Done, totals.Duplicates, totals.Skipped, totals.Failed);
}

/// <summary>A failed file and why.</summary>
/// <param name="FileId">Position of the file in the job (also the error cursor).</param>
/// <param name="Name">Path inside the folder or archive, or the uploaded file name.</param>
/// <param name="Reason">Why it was refused.</param>
public sealed record IngestFileErrorResponse(long FileId, string Name, string Reason);

/// <summary>A page of per-file errors; pass <c>errorsAfter=NextCursor</c> for the next one.</summary>
/// <param name="Items">Errors in file order.</param>
/// <param name="NextCursor">Pass as <c>errorsAfter</c> for the next page; null on the last page.</param>
public sealed record IngestErrorPage(IReadOnlyList<IngestFileErrorResponse> Items, long? NextCursor);

/// <summary>An ingest job.</summary>
/// <param name="Id">Job id.</param>
/// <param name="State">queued, running, completed, failed or cancelled.</param>
/// <param name="Source">upload or folder.</param>
/// <param name="Path">Folder jobs: the canonical server folder.</param>
/// <param name="Recursive">Folder jobs: subfolders included.</param>
/// <param name="Totals">Counts over its files.</param>
/// <param name="ImagesPerSecond">Files processed per second recently (running jobs).</param>
/// <param name="EtaSeconds">Estimated seconds left (running jobs with a measured rate).</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="StartedAt">When processing started.</param>
/// <param name="FinishedAt">When it ended.</param>
/// <param name="Error">Why the job as a whole failed.</param>
/// <param name="Errors">Per-file errors (only on the single-job resource).</param>
public sealed record IngestJobResponse(
    Guid Id,
    string State,
    string Source,
    string? Path,
    bool Recursive,
    IngestTotalsResponse Totals,
    double? ImagesPerSecond,
    double? EtaSeconds,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    string? Error,
    IngestErrorPage? Errors)
{
    public static IngestJobResponse From(IngestJob job, IngestLiveStatus? live, IngestErrorPage? errors) => new(
        job.Id,
        job.State.ToString().ToLowerInvariant(),
        job.Source.Kind.ToString().ToLowerInvariant(),
        job.Source.Kind == IngestSourceKind.Folder ? job.Source.Path : null,
        job.Source.Recursive,
        IngestTotalsResponse.From(job.Totals),
        live?.ImagesPerSecond,
        live?.EstimatedRemaining?.TotalSeconds,
        job.CreatedAt,
        job.StartedAt,
        job.FinishedAt,
        job.Error,
        errors);
}

/// <summary>A page of jobs, newest first.</summary>
/// <param name="Items">Jobs on this page (without their per-file errors).</param>
/// <param name="NextCursor">Pass as <c>cursor</c> for the next page; null on the last page.</param>
public sealed record IngestJobPage(IReadOnlyList<IngestJobResponse> Items, string? NextCursor);

/// <summary>The upload form of <c>POST /api/ingest/jobs</c> as Swagger UI shows it (the handler streams the parts itself).</summary>
internal sealed class IngestUploadForm
{
    /// <summary>Images and archives (.zip, .tar, .tar.gz).</summary>
    public required IFormFileCollection Files { get; init; }

    /// <summary>Tags for every stored image, comma-separated (the field may repeat).</summary>
    public string? Tags { get; init; }
}
