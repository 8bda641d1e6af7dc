using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SearchService.Inference.Tests.Support;

/// <summary>
/// A Hugging Face look-alike on 127.0.0.1: <c>/{org}/{name}/resolve/main/{file}</c>. Like the real one, .onnx (LFS)
/// files answer 302 to a CDN path with X-Linked-Etag (SHA-256) and X-Linked-Size, and small files answer 307 with a
/// relative Location. Files can be removed, corrupted on the CDN, or made to stall.
/// </summary>
internal sealed class FakeHuggingFace : IAsyncDisposable
{
    private readonly WebApplication app;

    private FakeHuggingFace(WebApplication app, Uri baseUrl)
    {
        this.app = app;
        BaseUrl = baseUrl;
    }

    public Uri BaseUrl { get; }

    /// <summary>Repository path ("name/file") → content.</summary>
    public ConcurrentDictionary<string, byte[]> Files { get; } = new();

    /// <summary>Repository paths whose CDN copy differs from the published hash.</summary>
    public ConcurrentDictionary<string, bool> Corrupted { get; } = new();

    /// <summary>Repository paths that send a little, then nothing.</summary>
    public ConcurrentDictionary<string, bool> Stalled { get; } = new();

    public int Requests;

    public static async Task<FakeHuggingFace> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        FakeHuggingFace? fake = null;
        app.MapGet("/immich-app/{name}/resolve/main/{**file}", (string name, string file, HttpContext context) =>
        {
            Interlocked.Increment(ref fake!.Requests);
            var key = $"{name}/{file}";
            if (!fake.Files.TryGetValue(key, out var content))
            {
                return Results.NotFound();
            }

            if (file.EndsWith(".onnx", StringComparison.Ordinal))
            {
                context.Response.Headers["X-Linked-Etag"] = $"\"{Convert.ToHexStringLower(SHA256.HashData(content))}\"";
                context.Response.Headers["X-Linked-Size"] = content.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return Results.Redirect(new Uri(fake.BaseUrl, "/cdn/" + key).AbsoluteUri);
            }

            return Results.Redirect($"/api/resolve-cache/{key}", permanent: false, preserveMethod: true);
        });
        app.MapGet("/api/resolve-cache/{**key}", (string key, HttpContext context) => fake!.ServeAsync(key, context));
        app.MapGet("/cdn/{**key}", (string key, HttpContext context) => fake!.ServeAsync(key, context));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        fake = new FakeHuggingFace(app, new Uri(address.TrimEnd('/') + "/immich-app/"));
        return fake;
    }

    /// <summary>Publishes every file of a model folder under <paramref name="name"/>.</summary>
    public void Publish(string name, string folder)
    {
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            Files[$"{name}/{Path.GetRelativePath(folder, file).Replace('\\', '/')}"] = File.ReadAllBytes(file);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private async Task ServeAsync(string key, HttpContext context)
    {
        if (!Files.TryGetValue(key, out var content))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        context.Response.ContentType = "application/octet-stream";
        context.Response.ContentLength = content.Length;
        if (Stalled.ContainsKey(key))
        {
            await context.Response.Body.WriteAsync(content.AsMemory(0, Math.Min(1000, content.Length)), context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            await Task.Delay(Timeout.Infinite, context.RequestAborted);
            return;
        }

        if (Corrupted.ContainsKey(key))
        {
            content = [.. content];
            content[content.Length / 2] ^= 0xff;
        }

        await context.Response.Body.WriteAsync(content, context.RequestAborted);
    }
}
