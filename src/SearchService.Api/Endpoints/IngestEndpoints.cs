using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using SearchService.Api.Hosting;
using SearchService.Api.Ingest;
using SearchService.Api.OpenApi;
using SearchService.Api.Security;
using SearchService.Core.Ingest;

namespace SearchService.Api.Endpoints;

/// <summary>Bulk ingestion jobs: uploads (files or archives) and server folders, with progress and events.</summary>
public static class IngestEndpoints
{
    private const int MaxPageSize = 500;

    /// <summary>Maps <c>/api/ingest/jobs</c>: writes need the API key like every write, reads follow <c>Auth:RequireKeyForReads</c>.</summary>
    public static RouteGroupBuilder MapIngestEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/ingest/jobs").WithTags("Ingest");

        // An upload is bounded by Ingest:MaxUploadBytes rather than by time; an event stream lasts as long as its job.
        group.MapPost("/", StartJobAsync)
            .WithName("StartIngestJob")
            .WithSummary("Starts a job from a multipart upload (image files, .zip, .tar, .tar.gz) or a JSON server folder.")
            .WithDescription(
                "multipart/form-data: any number of file parts (images or archives, streamed to disk, up to `Ingest:MaxUploadBytes`) " +
                "and optional `tags` fields. JSON: `{\"path\": \"/photos/2024\", \"recursive\": true, \"tags\": [\"2024\"]}` for a " +
                "folder on the server inside `Ingest:AllowedRoots`. The job runs in the background (it resumes after a restart); " +
                "follow it with `GET /api/ingest/jobs/{id}` or its `/events` stream. Identical images are stored once.")
            // Routing answers 415 to content types not declared here; the filter gives JSON its own schema.
            .Accepts<IngestUploadForm>("multipart/form-data", "application/json")
            .WithMetadata(new AlsoAcceptsJsonAttribute(typeof(FolderJobRequest)))
            .Produces<IngestJobResponse>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .DisableAntiforgery()
            .DisableRequestTimeout()
            .RequireAuthorization(ApiKeyPolicies.Write)
            .RequireRateLimiting(RateLimitPolicies.Ingest);
        group.MapDelete("/{id:guid}", CancelJobAsync).WithName("CancelIngestJob").WithSummary("Cancels a job.")
            .WithDescription("Files already stored stay stored; the rest are not processed. A job that has ended answers 409.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .RequireAuthorization(ApiKeyPolicies.Write);
        group.MapGet("/", ListJobsAsync).WithName("ListIngestJobs").WithSummary("Jobs, newest first.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .RequireAuthorization(ApiKeyPolicies.Read);
        group.MapGet("/{id:guid}", GetJobAsync).WithName("GetIngestJob").WithSummary("A job with totals, rate, ETA and per-file errors (paged).")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(ApiKeyPolicies.Read);
        group.MapGet("/{id:guid}/events", StreamEvents).WithName("IngestJobEvents").WithSummary("Server-Sent Events with the job's progress until it ends.")
            .WithDescription(
                "An event `progress` (the job as JSON) every `Ingest:ProgressIntervalMilliseconds` while it runs, then one `end`. " +
                "When the service shuts down the stream ends after one last `progress` without `end`: reconnect to follow the job.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .DisableRequestTimeout()
            .RequireAuthorization(ApiKeyPolicies.Read);
        return group;
    }

    internal static async Task<Results<AcceptedAtRoute<IngestJobResponse>, ProblemHttpResult>> StartJobAsync(
        HttpContext context,
        IIngestJobStore jobs,
        IngestJobRunner runner,
        UploadSpooler spooler,
        FolderAccess folders,
        IOptionsMonitor<IngestOptions> options,
        CancellationToken cancellationToken)
    {
        var id = Guid.NewGuid();
        string? spoolDirectory = null;
        var recorded = false;
        try
        {
            if (context.Request.HasJsonContentType())
            {
                var request = await ReadFolderRequestAsync(context.Request, cancellationToken);
                var folder = folders.ResolveFolder(request.Path);
                var source = new IngestSource(IngestSourceKind.Folder, folder, request.Recursive ?? true, CleanTags(request.Tags));
                await jobs.CreateAsync(id, source, enumerated: false, cancellationToken);
            }
            else
            {
                spoolDirectory = IngestJobRunner.SpoolDirectory(options.CurrentValue, id);
                var upload = await spooler.SpoolAsync(context.Request, spoolDirectory, cancellationToken);
                var source = new IngestSource(IngestSourceKind.Upload, spoolDirectory, false, CleanTags(upload.Tags));
                await jobs.CreateAsync(id, source, enumerated: false, cancellationToken);
                recorded = true;
                await jobs.AddFilesAsync(id, upload.Spool.Files, cancellationToken);
                await jobs.MarkEnumeratedAsync(id, cancellationToken);
            }
        }
        catch (IngestRequestException exception)
        {
            await AbandonUploadAsync(jobs, recorded ? id : null, spoolDirectory);
            return TypedResults.Problem(exception.Message, statusCode: exception.StatusCode, title: exception.Title);
        }
        catch
        {
            await AbandonUploadAsync(jobs, recorded ? id : null, spoolDirectory);
            throw;
        }

        runner.Notify();
        var job = await jobs.GetAsync(id, cancellationToken) ?? throw new InvalidOperationException($"Job {id} was not recorded.");
        return TypedResults.AcceptedAtRoute(IngestJobResponse.From(job, null, null), "GetIngestJob", new { id });
    }

    /// <param name="id">Job id.</param>
    /// <param name="errorsAfter">The <c>errors.nextCursor</c> of the previous page of per-file errors.</param>
    /// <param name="errorsLimit" example="100">Per-file errors per page (1–500).</param>
    internal static async Task<Results<Ok<IngestJobResponse>, ProblemHttpResult>> GetJobAsync(
        Guid id,
        IIngestJobStore jobs,
        IngestJobRunner runner,
        CancellationToken cancellationToken,
        long errorsAfter = 0,
        int errorsLimit = 100)
    {
        var job = await jobs.GetAsync(id, cancellationToken);
        if (job is null)
        {
            return JobNotFound(id);
        }

        var limit = Math.Clamp(errorsLimit, 1, MaxPageSize);
        var errors = await jobs.ListErrorsAsync(id, Math.Max(0, errorsAfter), limit + 1, cancellationToken);
        var page = new IngestErrorPage(
            errors.Take(limit).Select(error => new IngestFileErrorResponse(error.FileId, error.Name, error.Reason)).ToArray(),
            errors.Count > limit ? errors[limit - 1].FileId : null);
        return TypedResults.Ok(IngestJobResponse.From(job, runner.GetLive(id, job.Totals.Pending), page));
    }

    /// <param name="cursor">The <c>nextCursor</c> of the previous page.</param>
    /// <param name="limit" example="50">Jobs per page (1–500).</param>
    internal static async Task<Results<Ok<IngestJobPage>, ProblemHttpResult>> ListJobsAsync(
        IIngestJobStore jobs,
        IngestJobRunner runner,
        CancellationToken cancellationToken,
        string? cursor = null,
        int limit = 50)
    {
        try
        {
            var page = await jobs.ListAsync(cursor, Math.Clamp(limit, 1, MaxPageSize), cancellationToken);
            var items = page.Items.Select(job => IngestJobResponse.From(job, runner.GetLive(job.Id, job.Totals.Pending), null)).ToArray();
            return TypedResults.Ok(new IngestJobPage(items, page.NextCursor));
        }
        catch (ArgumentException exception)
        {
            return TypedResults.Problem(exception.Message, statusCode: StatusCodes.Status400BadRequest, title: "Invalid cursor");
        }
    }

    /// <param name="id">Job id.</param>
    internal static async Task<Results<Ok<IngestJobResponse>, ProblemHttpResult>> CancelJobAsync(
        Guid id,
        IIngestJobStore jobs,
        IngestJobRunner runner,
        CancellationToken cancellationToken)
    {
        var before = await jobs.GetAsync(id, cancellationToken);
        if (before is null)
        {
            return JobNotFound(id);
        }

        if (before.IsFinal)
        {
            return TypedResults.Problem(
                $"Job {id} is already {before.State.ToString().ToLowerInvariant()}.", statusCode: StatusCodes.Status409Conflict, title: "Job already ended");
        }

        var job = await runner.CancelAsync(id, cancellationToken) ?? before;
        return TypedResults.Ok(IngestJobResponse.From(job, null, null));
    }

    /// <param name="id">Job id.</param>
    internal static async Task<Results<ServerSentEventsResult<IngestJobResponse>, ProblemHttpResult>> StreamEvents(
        Guid id,
        IIngestJobStore jobs,
        IngestJobRunner runner,
        IOptionsMonitor<IngestOptions> options,
        IHostApplicationLifetime lifetime,
        HttpContext context)
    {
        if (await jobs.GetAsync(id, context.RequestAborted) is null)
        {
            return JobNotFound(id);
        }

        var interval = TimeSpan.FromMilliseconds(options.CurrentValue.ProgressIntervalMilliseconds);
        var events = ProgressEventsAsync(id, jobs, runner, interval, lifetime.ApplicationStopping, context.RequestAborted);
        return TypedResults.ServerSentEvents(events);
    }

    // "progress" every interval while the job runs, then one "end" with the final state; stops when the client
    // leaves, and on shutdown after one last "progress": an open stream would hold the server's graceful stop
    // (and with it the runner's drain) for the whole shutdown timeout.
    private static async IAsyncEnumerable<SseItem<IngestJobResponse>> ProgressEventsAsync(
        Guid id,
        IIngestJobStore jobs,
        IngestJobRunner runner,
        TimeSpan interval,
        CancellationToken stopping,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stopping);
        while (!cancellationToken.IsCancellationRequested)
        {
            var job = await jobs.GetAsync(id, cancellationToken);
            if (job is null)
            {
                yield break;
            }

            var response = IngestJobResponse.From(job, runner.GetLive(id, job.Totals.Pending), null);
            if (job.IsFinal)
            {
                yield return new SseItem<IngestJobResponse>(response, "end");
                yield break;
            }

            yield return new SseItem<IngestJobResponse>(response, "progress");
            if (stopping.IsCancellationRequested)
            {
                yield break;
            }

            try
            {
                await Task.Delay(interval, wait.Token);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                yield break;
            }
            catch (OperationCanceledException)
            {
                // Shutting down: the next round sends the current state and ends.
            }
        }
    }

    private static async Task<FolderJobRequest> ReadFolderRequestAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await request.ReadFromJsonAsync<FolderJobRequest>(cancellationToken)
                ?? throw new IngestRequestException("Invalid folder", "The body must be a JSON object with 'path'.");
        }
        catch (JsonException exception)
        {
            throw new IngestRequestException("Invalid JSON", exception.Message);
        }
    }

    private static string[] CleanTags(IReadOnlyList<string>? tags) =>
        tags is null ? [] : tags.Select(tag => tag.Trim()).Where(tag => tag.Length > 0).Distinct(StringComparer.Ordinal).ToArray();

    private static ProblemHttpResult JobNotFound(Guid id) =>
        TypedResults.Problem($"There is no ingest job {id}.", statusCode: StatusCodes.Status404NotFound, title: "Job not found");

    // A job row recorded before its upload failed would stay queued and never run: end it with the reason.
    private static async Task AbandonUploadAsync(IIngestJobStore jobs, Guid? recordedJob, string? spoolDirectory)
    {
        try
        {
            if (recordedJob is { } id)
            {
                // The request's token may be what failed it; this is one short write. If the store fails it too,
                // start-up recovery fails the job (its files were never all recorded).
                await jobs.SetStateAsync(id, IngestJobState.Failed, IngestJobRunner.InterruptedUpload, CancellationToken.None);
            }
        }
        finally
        {
            DeleteQuietly(spoolDirectory);
        }
    }

    private static void DeleteQuietly(string? directory)
    {
        try
        {
            if (directory is not null && Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (IOException)
        {
            // Left for the start-up sweep of spool folders without a job.
        }
    }
}
