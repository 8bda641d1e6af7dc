using System.Text.Json.Serialization;

namespace SearchService.Storage.Qdrant.Protocol;

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CreateCollection))]
[JsonSerializable(typeof(CreateFieldIndex))]
[JsonSerializable(typeof(PointsList))]
[JsonSerializable(typeof(PointIdsList))]
[JsonSerializable(typeof(SetPayload))]
[JsonSerializable(typeof(PointRequest))]
[JsonSerializable(typeof(CountRequest))]
[JsonSerializable(typeof(ScrollRequest))]
[JsonSerializable(typeof(QueryRequest))]
[JsonSerializable(typeof(QdrantErrorResponse))]
[JsonSerializable(typeof(QdrantResponse<bool>))]
[JsonSerializable(typeof(QdrantResponse<CollectionInfo>))]
[JsonSerializable(typeof(QdrantResponse<UpdateResult>))]
[JsonSerializable(typeof(QdrantResponse<IReadOnlyList<Record>>))]
[JsonSerializable(typeof(QdrantResponse<ScrollResult>))]
[JsonSerializable(typeof(QdrantResponse<CountResult>))]
[JsonSerializable(typeof(QdrantResponse<QueryResponse>))]
internal sealed partial class QdrantJsonContext : JsonSerializerContext;
