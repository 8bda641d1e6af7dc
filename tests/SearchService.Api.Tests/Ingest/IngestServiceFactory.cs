using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using SearchService.Api.Tests.Http;
using SearchService.Core.Images;
using SearchService.Core.Models;
using SearchService.Core.Storage;

namespace SearchService.Api.Tests.Ingest;

/// <summary>
/// The real service (host, endpoints, auth, job runner, SQLite job store, embedded stores, libvips preparer, ONNX
/// Runtime with the demo model) over a temporary data folder, with an allowed root for folder jobs. The preparer
/// is wrapped to count decodes and the image encoder to slow batches down when a test needs a job to keep running.
/// </summary>
public sealed class IngestServiceFactory : ApiFactory
{
    /// <summary>The writer key, for clients (e.g. searchctl) that take it as an argument.</summary>
    public const string ApiKey = WriterKey;

    public IngestServiceFactory()
    {
        AllowedRoot = Directory.CreateTempSubdirectory("ingest-root-").FullName;
        Outside = Directory.CreateTempSubdirectory("ingest-outside-").FullName;
        Settings["Ingest:AllowedRoots:0"] = AllowedRoot;
        Settings["Ingest:ProgressIntervalMilliseconds"] = "100";
        Settings["Ingest:BatchSize"] = "4";
    }

    public string AllowedRoot { get; }

    public string Outside { get; }

    /// <summary>Added to every encoder batch, to keep a job running long enough to cancel it.</summary>
    public TimeSpan EncodeDelay { get; set; }

    /// <summary>More test services (e.g. a store decorated with faults), applied after the factory's own.</summary>
    public Action<IServiceCollection>? ExtraServices { get; init; }

    /// <summary>Images fully prepared (decoded) so far.</summary>
    public int Prepared => _prepared;

    private int _prepared;

    public HttpClient CreateAuthorizedClient() => CreateWriter();

    /// <summary>Every stored record.</summary>
    internal async Task<IReadOnlyList<ImageRecord>> RecordsAsync()
    {
        var catalog = Services.GetRequiredService<IImageCatalog>();
        var ids = new List<Guid>();
        await foreach (var id in catalog.ListIdsAsync(CancellationToken.None))
        {
            ids.Add(id);
        }

        return await catalog.GetManyAsync(ids, CancellationToken.None);
    }

    internal async Task<long> VectorCountAsync() =>
        await Services.GetRequiredService<IVectorStore>().CountAsync(Collection, filter: null, CancellationToken.None);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services =>
        {
            services.Decorate<IImagePreparer>(inner => new CountingPreparer(inner, this));
            services.Decorate<IImageEncoder>(inner => new DelayedEncoder(inner, this));
            ExtraServices?.Invoke(services);
        });
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        foreach (var directory in new[] { AllowedRoot, Outside })
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

    private sealed class CountingPreparer(IImagePreparer inner, IngestServiceFactory owner) : IImagePreparer
    {
        public ImageProbe Probe(ReadOnlySpan<byte> data) => inner.Probe(data);

        public PreparedImage Prepare(ReadOnlyMemory<byte> data, PrepareOptions options, CancellationToken cancellationToken)
        {
            var prepared = inner.Prepare(data, options, cancellationToken);
            Interlocked.Increment(ref owner._prepared);
            return prepared;
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
