namespace SearchService.Api.Logging;

/// <summary>The host's log events; ids are stable (1xxx requests, 2xxx start-up, 3xxx storage).</summary>
internal static partial class ApiLog
{
    [LoggerMessage(1000, LogLevel.Information, "HTTP {Method} {Path} responded {StatusCode} in {ElapsedMs:0.0} ms")]
    public static partial void RequestCompleted(ILogger logger, string method, string path, int statusCode, double elapsedMs);

    [LoggerMessage(1001, LogLevel.Warning, "HTTP {Method} {Path} responded {StatusCode} in {ElapsedMs:0.0} ms")]
    public static partial void RequestFailed(ILogger logger, string method, string path, int statusCode, double elapsedMs);

    [LoggerMessage(1002, LogLevel.Debug, "HTTP {Method} {Path} was aborted by the client")]
    public static partial void RequestAborted(ILogger logger, string method, string path);

    [LoggerMessage(1003, LogLevel.Error, "HTTP {Method} {Path} failed")]
    public static partial void UnhandledException(ILogger logger, string method, string path, Exception exception);

    [LoggerMessage(1004, LogLevel.Warning, "Client {Partition} was rate limited on {Path}")]
    public static partial void RateLimited(ILogger logger, string partition, string path);

    [LoggerMessage(2000, LogLevel.Warning,
        "DEMO MODEL LOADED: {Model} only knows synthetic coloured shapes and is NOT a real CLIP; results on real photos are meaningless. {Reason}")]
    public static partial void DemoModelLoaded(ILogger logger, string model, string reason);

    [LoggerMessage(2001, LogLevel.Information, "Model {Model} ({Dimensions} dimensions, {Provider}) serves collection {Collection}")]
    public static partial void ModelLoaded(ILogger logger, string model, int dimensions, string provider, string collection);

    [LoggerMessage(2002, LogLevel.Warning, "No API keys are configured (Auth:ApiKeys): anyone who can reach the service can upload and delete images")]
    public static partial void NoApiKeys(ILogger logger);

    [LoggerMessage(2003, LogLevel.Information, "Library ready: {Images} images; reconciliation removed {Orphans} orphaned vectors or blobs; serving since {StartedAt:O}")]
    public static partial void LibraryReady(ILogger logger, long images, int orphans, DateTimeOffset startedAt);

    [LoggerMessage(2004, LogLevel.Information, "Requests have drained; the stores are flushed and closed as the host shuts down")]
    public static partial void LibraryStopping(ILogger logger);

    [LoggerMessage(3000, LogLevel.Warning, "Vector store unavailable: {Reason}")]
    public static partial void StoreUnavailable(ILogger logger, string reason, Exception exception);

    [LoggerMessage(3001, LogLevel.Warning, "Image {ImageId} is deleted, but its vector or files could not be removed ({Reason}); start-up reconciliation removes them")]
    public static partial void DeleteLeftovers(ILogger logger, Guid imageId, string reason, Exception exception);
}
