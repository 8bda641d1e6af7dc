using System.Diagnostics;

namespace SearchService.Api.Logging;

/// <summary>
/// One structured event per request (method, path, status, elapsed ms). Server errors are warnings; the
/// exception itself is logged where it is handled. Health probes are logged at the level of their outcome only
/// when they fail, so a probe every few seconds does not drown the log.
/// </summary>
internal sealed class RequestLoggingMiddleware(RequestDelegate next, ILogger<RequestLoggingMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            var status = context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted ? 499 : context.Response.StatusCode;
            var path = context.Request.Path.Value ?? "/";
            if (status >= 500)
            {
                ApiLog.RequestFailed(logger, context.Request.Method, path, status, elapsed);
            }
            else if (!path.StartsWith("/health", StringComparison.Ordinal))
            {
                ApiLog.RequestCompleted(logger, context.Request.Method, path, status, elapsed);
            }
        }
    }
}
