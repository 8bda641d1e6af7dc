using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using SearchService.Core.Storage;
using SearchService.Storage.Qdrant.Protocol;

namespace SearchService.Storage.Qdrant;

/// <summary>
/// One Qdrant REST call: JSON in and out, per-attempt timeout, retries of transient failures only, and every
/// failure turned into a <see cref="VectorStoreException"/> carrying Qdrant's own message.
/// </summary>
internal sealed class QdrantTransport
{
    private static readonly TimeSpan RetryAfterCeiling = TimeSpan.FromMinutes(1);

    private readonly HttpClient _http;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    private readonly ILogger _logger;
    private readonly TimeSpan _timeout;

    public QdrantTransport(HttpClient http, QdrantOptions options, ILogger logger, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        _http = http;
        _logger = logger;
        _timeout = options.Timeout;
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = timeProvider };
        if (options.Retry.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = options.Retry.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.Retry.BaseDelay,
                MaxDelay = options.Retry.MaxDelay,
                ShouldHandle = args => ValueTask.FromResult(IsTransient(args.Outcome)),
                DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome.Result, options.Retry.MaxDelay, timeProvider)),
                OnRetry = args =>
                {
                    var reason = args.Outcome.Exception?.GetType().Name ?? $"HTTP {(int)args.Outcome.Result!.StatusCode}";
                    QdrantLog.Retrying(_logger, OperationName(args.Context), reason, args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds);
                    return ValueTask.CompletedTask;
                },
            });
        }

        _pipeline = builder.AddTimeout(options.Timeout).Build();
    }

    /// <summary>Sends a request and returns its <c>result</c>; when <paramref name="notFoundIsDefault"/>, a 404 gives default.</summary>
    public async Task<TResult?> SendAsync<TBody, TResult>(
        string operation,
        HttpMethod method,
        string relativeUrl,
        TBody? body,
        JsonTypeInfo<TBody>? bodyType,
        JsonTypeInfo<QdrantResponse<TResult>> resultType,
        bool notFoundIsDefault,
        CancellationToken cancellationToken)
    {
        var content = body is null || bodyType is null ? null : JsonSerializer.SerializeToUtf8Bytes(body, bodyType);
        using var response = await SendRawAsync(operation, method, relativeUrl, content, cancellationToken).ConfigureAwait(false);
        if (notFoundIsDefault && response.StatusCode == HttpStatusCode.NotFound)
        {
            return default;
        }

        if (!response.IsSuccessStatusCode)
        {
            throw await ToExceptionAsync(operation, response, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                var parsed = await JsonSerializer.DeserializeAsync(stream, resultType, cancellationToken).ConfigureAwait(false);
                return parsed is { Result: not null }
                    ? parsed.Result
                    : throw new VectorStoreException($"Qdrant {operation}: the response carries no result.");
            }
        }
        catch (JsonException exception)
        {
            throw new VectorStoreException($"Qdrant {operation}: the response is not what this client understands: {exception.Message}", innerException: exception);
        }
    }

    /// <summary>The raw response after retries (caller disposes); transport failures become <see cref="VectorStoreException"/>.</summary>
    public async Task<HttpResponseMessage> SendRawAsync(string operation, HttpMethod method, string relativeUrl, byte[]? content, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(OperationKey, operation);
        try
        {
            var outcome = await _pipeline.ExecuteOutcomeAsync(
                static async (ctx, state) =>
                {
                    try
                    {
                        // A fresh message per attempt: a sent HttpRequestMessage cannot be sent again.
                        using var request = new HttpRequestMessage(state.method, state.relativeUrl);
                        if (state.content is not null)
                        {
                            request.Content = new ByteArrayContent(state.content);
                            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                        }

                        var response = await state.http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ctx.CancellationToken).ConfigureAwait(false);
                        return Outcome.FromResult(response);
                    }
                    catch (Exception exception) when (exception is not OperationCanceledException || !ctx.CancellationToken.IsCancellationRequested)
                    {
                        return Outcome.FromException<HttpResponseMessage>(exception);
                    }
                },
                context,
                (http: _http, method, relativeUrl, content)).ConfigureAwait(false);

            if (outcome.Exception is { } failure)
            {
                cancellationToken.ThrowIfCancellationRequested();
                throw failure switch
                {
                    TimeoutRejectedException => new VectorStoreException($"Qdrant {operation} timed out ({_timeout.TotalSeconds:0.###} s per attempt, retries included)", isTransient: true, failure),
                    HttpRequestException or OperationCanceledException or IOException =>
                        new VectorStoreException($"Qdrant {operation} could not reach {_http.BaseAddress}: {failure.Message}", isTransient: true, failure),
                    _ => failure,
                };
            }

            return outcome.Result!;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>Qdrant's <c>status.error</c> when the body has one, else the reason phrase.</summary>
    public static async Task<VectorStoreException> ToExceptionAsync(string operation, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string? message = null;
        try
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            message = TryReadError(text) ?? (string.IsNullOrWhiteSpace(text) ? null : text.Trim());
        }
        catch (HttpRequestException)
        {
            // The status code still says what happened when the body cannot be read.
        }

        var status = (int)response.StatusCode;
        return new VectorStoreException(
            $"Qdrant {operation} failed with {status} {response.ReasonPhrase}: {message ?? "no details"}",
            IsTransientStatus(response.StatusCode));
    }

    internal static bool IsTransientStatus(HttpStatusCode status) =>
        status == HttpStatusCode.TooManyRequests || ((int)status >= 500 && status != HttpStatusCode.NotImplemented);

    private static readonly ResiliencePropertyKey<string> OperationKey = new("qdrant.operation");

    private static string OperationName(ResilienceContext context) =>
        context.Properties.TryGetValue(OperationKey, out var name) ? name : "request";

    private static bool IsTransient(Outcome<HttpResponseMessage> outcome) => outcome switch
    {
        { Exception: TimeoutRejectedException or HttpRequestException or IOException } => true,
        { Exception: not null } => false,
        { Result: { } response } => IsTransientStatus(response.StatusCode),
        _ => false,
    };

    private static TimeSpan? RetryAfter(HttpResponseMessage? response, TimeSpan maxDelay, TimeProvider timeProvider)
    {
        if (response?.StatusCode != HttpStatusCode.TooManyRequests && response?.StatusCode != HttpStatusCode.ServiceUnavailable)
        {
            return null;
        }

        var header = response.Headers.RetryAfter;
        var delay = header?.Delta ?? (header?.Date is { } date ? date - timeProvider.GetUtcNow() : null);
        if (delay is not { } wait)
        {
            return null;
        }

        // The server's wait wins over our backoff, but never below zero nor beyond a sane ceiling.
        var ceiling = maxDelay > RetryAfterCeiling ? maxDelay : RetryAfterCeiling;
        return wait < TimeSpan.Zero ? TimeSpan.Zero : wait > ceiling ? ceiling : wait;
    }

    private static string? TryReadError(string text)
    {
        try
        {
            return JsonSerializer.Deserialize(text, QdrantJsonContext.Default.QdrantErrorResponse)?.Status?.Error;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
