using Microsoft.Extensions.Options;
using SearchService.Api.Logging;
using SearchService.Core.Library;
using SearchService.Core.Models;
using SearchService.Core.Storage;
using SearchService.Inference;

namespace SearchService.Api.Hosting;

/// <summary>Readiness of the library: set once the collection exists and orphans are removed.</summary>
internal sealed class LibraryState
{
    private volatile bool _ready;

    public bool IsReady => _ready;

    public void MarkReady() => _ready = true;
}

/// <summary>
/// Runs before the server accepts requests: loads the model (so the first request does not pay for it),
/// creates the vector collection, and reconciles what a crash may have left. No ingest is in flight yet,
/// which is what reconciliation needs.
/// </summary>
internal sealed class LibraryStartup(
    ModelDescriptor model,
    ClipModelHost modelHost,
    IVectorStore vectors,
    IImageLibrary library,
    IImageCatalog catalog,
    LibraryState state,
    ServiceClock clock,
    IOptions<AuthOptions> auth,
    ILogger<LibraryStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var collection = new VectorCollection(model.CollectionName, model.EmbeddingDimensions);
        ApiLog.ModelLoaded(logger, model.Name, model.EmbeddingDimensions, model.ExecutionProvider, collection.Name);
        if (model.IsDemo)
        {
            ApiLog.DemoModelLoaded(logger, model.Name, modelHost.Provisioning?.Problem ?? "The configured model folder holds the demo model.");
        }

        if (auth.Value.ApiKeys.Count == 0)
        {
            ApiLog.NoApiKeys(logger);
        }

        await vectors.EnsureCollectionAsync(collection, cancellationToken);
        var orphans = await library.ReconcileAsync(cancellationToken);
        ApiLog.LibraryReady(logger, await catalog.CountAsync(cancellationToken), orphans, clock.StartedAt);
        state.MarkReady();
    }

    /// <summary>Runs after the server has stopped taking requests and those in flight have finished (or timed out).</summary>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        ApiLog.LibraryStopping(logger);
        return Task.CompletedTask;
    }
}
