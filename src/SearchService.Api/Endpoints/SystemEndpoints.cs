using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using SearchService.Api.Contracts;
using SearchService.Api.Hosting;
using SearchService.Api.Security;
using SearchService.Core.Models;
using SearchService.Core.Storage;

namespace SearchService.Api.Endpoints;

/// <summary>What the service runs and how much it holds.</summary>
internal static class SystemEndpoints
{
    internal static IEndpointRouteBuilder MapSystemEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api").WithTags("System").RequireAuthorization(ApiKeyPolicies.Read);

        group.MapGet("/models", Models)
            .WithName("GetModels")
            .WithSummary("The loaded model: name, dimensions, provider, whether it is the demo model");

        group.MapGet("/stats", StatsAsync)
            .WithName("GetStats")
            .WithSummary("Image and vector counts, vector store, uptime");

        return routes;
    }

    /// <summary>The loaded model.</summary>
    internal static Ok<ModelsResponse> Models(ModelDescriptor model) =>
        TypedResults.Ok(new ModelsResponse([
            new ModelDto(
                model.Name,
                model.EmbeddingDimensions,
                model.ContextLength,
                model.Preprocessing.Size,
                model.ExecutionProvider,
                model.IsDemo,
                model.IsDemo ? DemoModel.Notice : null),
        ]));

    /// <summary>Counts and uptime.</summary>
    internal static async Task<Ok<StatsResponse>> StatsAsync(
        ModelDescriptor model,
        IImageCatalog catalog,
        IVectorStore vectors,
        Core.Search.TextEmbeddings texts,
        ServiceClock clock,
        IOptions<VectorStoreOptions> store,
        CancellationToken cancellationToken)
    {
        var collection = new VectorCollection(model.CollectionName, model.EmbeddingDimensions);
        var images = await catalog.CountAsync(cancellationToken);
        var points = await vectors.CountAsync(collection, filter: null, cancellationToken);
        return TypedResults.Ok(new StatsResponse(
            images,
            points,
            store.Value.Provider.ToString(),
            collection.Name,
            model.Name,
            clock.StartedAt,
            Math.Round(clock.Uptime.TotalSeconds, 1),
            texts.CachedCount));
    }
}
