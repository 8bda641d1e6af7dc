using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SearchService.Core.Images;
using SearchService.Core.Models;
using SearchService.Core.Storage;
using SearchService.Testing;

namespace SearchService.Api.Tests.Ingest;

/// <summary>
/// The real service (host, endpoints, auth, job runner, SQLite job store, ONNX Runtime with the demo model)
/// over a temporary data folder, with an allowed root for folder jobs. The image preparer and the image
/// stores are stand-ins until the libvips and embedded-store adapters are merged.
/// </summary>
public sealed class IngestServiceFactory : WebApplicationFactory<Program>
{
    public const string ApiKey = "ingest-test-key-0123456789abcdef";

    public IngestServiceFactory()
    {
        DataPath = Directory.CreateTempSubdirectory("ingest-data-").FullName;
        AllowedRoot = Directory.CreateTempSubdirectory("ingest-root-").FullName;
        Outside = Directory.CreateTempSubdirectory("ingest-outside-").FullName;
    }

    public string DataPath { get; }

    public string AllowedRoot { get; }

    public string Outside { get; }

    /// <summary>Added to every encoder batch, to keep a job running long enough to cancel it.</summary>
    public TimeSpan EncodeDelay { get; set; }

    internal InMemoryCatalog Catalog { get; } = new();

    internal InMemoryVectorStore Vectors { get; } = new();

    internal InMemoryBlobStore Blobs { get; } = new();

    public HttpClient CreateAuthorizedClient()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
        return client;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("Storage:DataPath", DataPath);
        builder.UseSetting("Auth:ApiKeys:0", ApiKey);
        builder.UseSetting("Model:Path", TestPaths.DemoModel);
        builder.UseSetting("Model:AllowDownload", "false");
        builder.UseSetting("Inference:LibraryPath", Path.Combine(TestPaths.NativeDirectory, "onnxruntime", "libonnxruntime.so.1"));
        builder.UseSetting("Ingest:AllowedRoots:0", AllowedRoot);
        builder.UseSetting("Ingest:ProgressIntervalMilliseconds", "100");
        builder.UseSetting("Ingest:BatchSize", "4");
        builder.UseSetting("RateLimiting:Enabled", "false");
        builder.ConfigureTestServices(services =>
        {
            services.RemoveAll<IImagePreparer>();
            services.AddSingleton<IImagePreparer>(provider => new PngOnlyPreparer(provider.GetRequiredService<ModelDescriptor>()));
            services.RemoveAll<IImageCatalog>();
            services.AddSingleton<IImageCatalog>(Catalog);
            services.RemoveAll<IVectorStore>();
            services.AddSingleton<IVectorStore>(Vectors);
            services.RemoveAll<IBlobStore>();
            services.AddSingleton<IBlobStore>(Blobs);
            services.Decorate<IImageEncoder>(inner => new DelayedEncoder(inner, this));
        });
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        foreach (var directory in new[] { DataPath, AllowedRoot, Outside })
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private sealed class DelayedEncoder(IImageEncoder inner, IngestServiceFactory owner) : IImageEncoder
    {
        public ModelDescriptor Model => inner.Model;

        public int PreferredBatchSize => inner.PreferredBatchSize;

        public async Task<float[][]> EncodeAsync(IReadOnlyList<ReadOnlyMemory<float>> tensors, CancellationToken cancellationToken)
        {
            if (owner.EncodeDelay > TimeSpan.Zero)
            {
                await Task.Delay(owner.EncodeDelay, cancellationToken);
            }

            return await inner.EncodeAsync(tensors, cancellationToken);
        }
    }
}

internal static class ServiceCollectionDecoration
{
    /// <summary>Replaces the registration of <typeparamref name="T"/> with a wrapper around it.</summary>
    public static void Decorate<T>(this IServiceCollection services, Func<T, T> wrap)
        where T : class
    {
        var original = services.Last(descriptor => descriptor.ServiceType == typeof(T));
        services.Remove(original);
        services.AddSingleton(provider => wrap(original.ImplementationFactory is { } factory
            ? (T)factory(provider)
            : original.ImplementationInstance as T ?? (T)ActivatorUtilities.CreateInstance(provider, original.ImplementationType!)));
    }
}
