using Microsoft.Extensions.Diagnostics.HealthChecks;
using SearchService.Api.Hosting;
using SearchService.Core.Models;
using SearchService.Core.Storage;

namespace SearchService.Api.Health;

/// <summary>The encoders are loaded (resolving them loads the model files).</summary>
internal sealed class ModelHealthCheck(ITextEncoder text, IImageEncoder image) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>
        {
            ["model"] = image.Model.Name,
            ["demo"] = image.Model.IsDemo,
            ["provider"] = image.Model.ExecutionProvider,
        };
        return Task.FromResult(text.Model.Name == image.Model.Name
            ? HealthCheckResult.Healthy(image.Model.IsDemo ? "demo model loaded" : "model loaded", data)
            : HealthCheckResult.Unhealthy("text and image encoders come from different models", data: data));
    }
}

/// <summary>The catalog answers, the vector store is ready, and start-up reconciliation has finished.</summary>
internal sealed class StorageHealthCheck(IImageCatalog catalog, IVectorStore vectors, LibraryState library) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!library.IsReady)
        {
            return HealthCheckResult.Unhealthy("library start-up has not finished");
        }

        try
        {
            await catalog.CountAsync(cancellationToken);
        }
#pragma warning disable CA1031 // A probe reports any failure as unhealthy rather than failing the probe request.
        catch (Exception error) when (error is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("catalog unavailable", error);
        }
#pragma warning restore CA1031

        return await vectors.IsReadyAsync(cancellationToken)
            ? HealthCheckResult.Healthy("catalog and vector store ready")
            : HealthCheckResult.Unhealthy("vector store not ready");
    }
}
