using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using SearchService.Cli.Framework;

namespace SearchService.Cli.Commands;

/// <summary>A running service's HTTP API: base URL, API key, and its problem responses turned into one-line errors.</summary>
internal sealed class ServerConnection : IDisposable
{
    /// <summary>Environment variable read when <c>--api-key</c> is not given (keeps the key out of shell history).</summary>
    public const string ApiKeyVariable = "SEARCHCTL_API_KEY";

    private ServerConnection(Uri baseAddress, string? apiKey)
    {
        // Uploads and event streams last as long as they last; Ctrl+C (the command's token) ends them.
        Http = new HttpClient { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
        if (!string.IsNullOrEmpty(apiKey))
        {
            Http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }

        Http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("searchctl", "1.0"));
    }

    public static IReadOnlyList<CliOption> Options { get; } =
    [
        new("server", "URL", "Server mode: base URL of a running service, e.g. http://localhost:8080."),
        new("api-key", "KEY", $"Server mode: API key (sent as X-Api-Key); default: the {ApiKeyVariable} environment variable."),
    ];

    public HttpClient Http { get; }

    public Uri BaseAddress => Http.BaseAddress!;

    public static bool IsRequested(CliArguments arguments) => arguments.Value("server") is not null;

    public static ServerConnection Open(CliArguments arguments)
    {
        var text = arguments.Required("server");
        if (!Uri.TryCreate(text.EndsWith('/') ? text : text + "/", UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https"))
        {
            throw new CliUsageException($"--server must be an http or https URL, got '{text}'.");
        }

        return new ServerConnection(address, arguments.Value("api-key") ?? Environment.GetEnvironmentVariable(ApiKeyVariable));
    }

    /// <summary>The JSON body of a successful response; a problem response throws <see cref="ServerRequestException"/>.</summary>
    public static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await EnsureSuccessAsync(response, cancellationToken);
        return await response.Content.ReadFromJsonAsync<T>(JsonSerializerOptions.Web, cancellationToken)
            ?? throw new ServerRequestException($"{(int)response.StatusCode}: the server sent an empty body.");
    }

    public static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var status = $"{(int)response.StatusCode} {response.ReasonPhrase}";
        string? title = null, detail = null;
        try
        {
            using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            title = problem.RootElement.TryGetProperty("title", out var t) ? t.GetString() : null;
            detail = problem.RootElement.TryGetProperty("detail", out var d) ? d.GetString() : null;
        }
        catch (JsonException)
        {
            // Not a problem document (a proxy's error page): the status line says enough.
        }

        var message = string.Join(": ", new[] { title, detail }.Where(part => !string.IsNullOrWhiteSpace(part)));
        throw new ServerRequestException(message.Length == 0 ? $"the server answered {status}." : $"the server answered {status}: {message}");
    }

    public void Dispose() => Http.Dispose();
}

/// <summary>The service refused or failed a request; the message is the status and the service's problem title and detail.</summary>
internal sealed class ServerRequestException(string message) : Exception(message);
