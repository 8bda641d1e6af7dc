using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SearchService.Storage.Tests.Qdrant;

namespace SearchService.Api.Tests.Cli;

/// <summary>
/// The contract-checking <see cref="FakeQdrantServer"/> (an in-process handler) behind a real HTTP listener, so a
/// command that only takes a URL (<c>searchctl migrate --qdrant-url</c>) can talk to it.
/// </summary>
internal sealed class QdrantOverHttp : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _forward;

    private QdrantOverHttp(WebApplication app, FakeQdrantServer fake, HttpClient forward, string url)
    {
        _app = app;
        Fake = fake;
        _forward = forward;
        Url = url;
    }

    public FakeQdrantServer Fake { get; }

    public string Url { get; }

    public static async Task<QdrantOverHttp> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fake = new FakeQdrantServer();
        var forward = fake.CreateClient("http://qdrant.test/");
        app.Run(context => ForwardAsync(context, forward));
        await app.StartAsync();
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new QdrantOverHttp(app, fake, forward, url);
    }

    private static async Task ForwardAsync(HttpContext context, HttpClient forward)
    {
        var target = context.Request.Path.Value!.TrimStart('/') + context.Request.QueryString.Value;
        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), target);
        if (context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            request.Content = new ByteArrayContent(body.ToArray());
            request.Content.Headers.TryAddWithoutValidation("Content-Type", context.Request.ContentType);
        }

        foreach (var (name, values) in context.Request.Headers)
        {
            if (!name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase) && name is not "Host")
            {
                request.Headers.TryAddWithoutValidation(name, values.ToArray());
            }
        }

        using var response = await forward.SendAsync(request);
        context.Response.StatusCode = (int)response.StatusCode;
        context.Response.ContentType = response.Content.Headers.ContentType?.ToString();
        await response.Content.CopyToAsync(context.Response.Body);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _forward.Dispose();
        Fake.Dispose();
    }
}
