namespace SearchService.Api.Contracts;

/// <summary>The loaded CLIP model.</summary>
/// <param name="Name">Model name.</param>
/// <param name="Dimensions">Embedding length.</param>
/// <param name="ContextLength">Text tokens per query (longer texts are truncated).</param>
/// <param name="ImageSize">Side of the square image input.</param>
/// <param name="Provider">Where the encoders run, e.g. <c>cpu</c>.</param>
/// <param name="IsDemo">True for the bundled synthetic-shapes demo model, which only knows coloured shapes.</param>
/// <param name="Notice">A warning for people when the demo model is loaded; null otherwise.</param>
public sealed record ModelDto(string Name, int Dimensions, int ContextLength, int ImageSize, string Provider, bool IsDemo, string? Notice);

/// <summary>The models the service serves (currently exactly one).</summary>
/// <param name="Items">The loaded model.</param>
public sealed record ModelsResponse(IReadOnlyList<ModelDto> Items);

/// <summary>Counts and state of the service.</summary>
/// <param name="Images">Images in the catalog.</param>
/// <param name="Vectors">Vectors in the model's collection.</param>
/// <param name="VectorStore">Vector store provider.</param>
/// <param name="Collection">Vector collection of the loaded model.</param>
/// <param name="Model">Loaded model name.</param>
/// <param name="StartedAt">When the service started (UTC).</param>
/// <param name="UptimeSeconds">Seconds since start.</param>
/// <param name="CachedQueryEmbeddings">Text embeddings held in the query cache.</param>
public sealed record StatsResponse(
    long Images,
    long Vectors,
    string VectorStore,
    string Collection,
    string Model,
    DateTimeOffset StartedAt,
    double UptimeSeconds,
    int CachedQueryEmbeddings);
