using System.Text.Json;

namespace SearchService.Storage.Qdrant.Protocol;

// Response bodies, reduced to what the store reads; unknown members are ignored so newer servers still parse.

/// <summary>The envelope of every JSON answer: <c>{"result": ..., "status": "ok", "time": ...}</c>.</summary>
internal sealed record QdrantResponse<T>(T? Result);

/// <summary>ErrorResponse: <c>status.error</c> carries Qdrant's message.</summary>
internal sealed record QdrantErrorResponse(QdrantErrorStatus? Status);

internal sealed record QdrantErrorStatus(string? Error);

internal sealed record CollectionInfo(CollectionConfig Config, IReadOnlyDictionary<string, JsonElement>? PayloadSchema);

internal sealed record CollectionConfig(CollectionParams Params);

/// <summary>CollectionParams; <c>vectors</c> is one VectorParams or a map of named ones (VectorsConfig).</summary>
internal sealed record CollectionParams(JsonElement Vectors);

internal sealed record UpdateResult(string Status);

internal sealed record Record(Guid Id, float[]? Vector);

internal sealed record ScrollResult(IReadOnlyList<Record> Points, Guid? NextPageOffset);

internal sealed record CountResult(long Count);

internal sealed record QueryResponse(IReadOnlyList<ScoredPointResult> Points);

internal sealed record ScoredPointResult(Guid Id, float Score);
