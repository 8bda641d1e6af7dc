using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using SearchService.Api.Logging;
using SearchService.Core.Images;
using SearchService.Core.Search;
using SearchService.Core.Storage;

namespace SearchService.Api.ErrorHandling;

/// <summary>Status codes and titles for refused images, shared by whole-request and per-file errors.</summary>
internal static class ProblemMapping
{
    public static (int Status, string Title) ForRejection(ImageRejectionReason reason) => reason switch
    {
        ImageRejectionReason.UnsupportedFormat => (StatusCodes.Status415UnsupportedMediaType, "Unsupported image format"),
        ImageRejectionReason.TooLarge => (StatusCodes.Status413PayloadTooLarge, "Image too large"),
        ImageRejectionReason.Empty => (StatusCodes.Status400BadRequest, "Empty image"),
        _ => (StatusCodes.Status400BadRequest, "Corrupt image"),
    };
}

/// <summary>
/// Turns every exception into problem+json: the caller's mistakes into 4xx with what to change, a store
/// outage into 503 with Retry-After, anything else into a logged 500 without internals. A request the client
/// abandoned gets no response and no error log.
/// </summary>
internal sealed class ApiExceptionHandler(IProblemDetailsService problems, ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    private const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is OperationCanceledException && httpContext.RequestAborted.IsCancellationRequested)
        {
            ApiLog.RequestAborted(logger, httpContext.Request.Method, httpContext.Request.Path);
            return true;
        }

        ProblemDetails problem;
        switch (exception)
        {
            case InvalidQueryException invalid:
                problem = new HttpValidationProblemDetails(new Dictionary<string, string[]> { [invalid.Field] = [invalid.Message] })
                {
                    Status = StatusCodes.Status400BadRequest,
                    Title = "One or more inputs are invalid",
                    Detail = invalid.Message,
                };
                break;

            case ImageRejectedException rejected:
                var (status, title) = ProblemMapping.ForRejection(rejected.Reason);
                problem = new ProblemDetails { Status = status, Title = title, Detail = rejected.Message };
                break;

            case BadHttpRequestException badRequest:
                problem = new ProblemDetails
                {
                    Status = badRequest.StatusCode,
                    Title = badRequest.StatusCode == StatusCodes.Status413PayloadTooLarge ? "Request body too large" : "Bad request",
                    Detail = badRequest.Message,
                };
                break;

            case VectorStoreException { IsTransient: true } unavailable:
                ApiLog.StoreUnavailable(logger, unavailable.Message, unavailable);
                httpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                problem = new ProblemDetails
                {
                    Status = StatusCodes.Status503ServiceUnavailable,
                    Title = "Vector store unavailable",
                    Detail = "The vector store did not answer; retry shortly.",
                };
                break;

            default:
                ApiLog.UnhandledException(logger, httpContext.Request.Method, httpContext.Request.Path, exception);
                problem = new ProblemDetails
                {
                    Status = StatusCodes.Status500InternalServerError,
                    Title = "Internal error",
                    Detail = "The request failed on the server; the error is logged with this trace id.",
                };
                break;
        }

        httpContext.Response.StatusCode = problem.Status!.Value;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception });
    }
}
