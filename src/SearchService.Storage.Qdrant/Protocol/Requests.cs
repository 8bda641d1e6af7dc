namespace SearchService.Storage.Qdrant.Protocol;

// Request bodies of the Qdrant REST API, named after the OpenAPI schemas they implement. Null members are
// omitted on the wire, so optional settings left unset keep Qdrant's defaults.

/// <summary>CreateCollection: one unnamed cosine vector per point.</summary>
internal sealed record CreateCollection(
    VectorParams Vectors,
    int? ShardNumber,
    int? ReplicationFactor,
    int? WriteConsistencyFactor,
    bool? OnDiskPayload,
    HnswConfigDiff? HnswConfig,
    QuantizationConfig? QuantizationConfig);

internal sealed record VectorParams(int Size, string Distance, bool? OnDisk);

internal sealed record HnswConfigDiff(int? M, int? EfConstruct);

/// <summary>ScalarQuantization (the only quantization this store configures).</summary>
internal sealed record QuantizationConfig(ScalarQuantizationConfig Scalar);

internal sealed record ScalarQuantizationConfig(string Type, float? Quantile, bool? AlwaysRam);

internal sealed record CreateFieldIndex(string FieldName, string FieldSchema);

/// <summary>PointsList, the body of an upsert.</summary>
internal sealed record PointsList(IReadOnlyList<PointStruct> Points);

internal sealed record PointStruct(Guid Id, float[] Vector, QdrantPayload Payload);

/// <summary>PointIdsList, the body of a delete by ids.</summary>
internal sealed record PointIdsList(IReadOnlyList<Guid> Points);

/// <summary>SetPayload with a point list; sent with PUT, it replaces the whole payload.</summary>
internal sealed record SetPayload(QdrantPayload Payload, IReadOnlyList<Guid> Points);

/// <summary>PointRequest: retrieve points by id.</summary>
internal sealed record PointRequest(IReadOnlyList<Guid> Ids, bool WithPayload, bool WithVector);

internal sealed record CountRequest(QdrantFilter? Filter, bool Exact);

internal sealed record ScrollRequest(int Limit, Guid? Offset, bool WithPayload, bool WithVector);

/// <summary>QueryRequest with a plain dense vector as the nearest-neighbour query.</summary>
internal sealed record QueryRequest(
    float[] Query,
    int Limit,
    QdrantFilter? Filter,
    SearchParams? Params,
    float? ScoreThreshold,
    bool WithPayload,
    bool WithVector);

internal sealed record SearchParams(int? HnswEf, bool Exact, QuantizationSearchParams? Quantization);

internal sealed record QuantizationSearchParams(bool Rescore, double? Oversampling);

/// <summary>Filter: every <c>must</c> condition holds and no <c>must_not</c> condition does.</summary>
internal sealed record QdrantFilter(IReadOnlyList<QdrantCondition>? Must, IReadOnlyList<QdrantCondition>? MustNot);

/// <summary>One of FieldCondition (key + match or range) and HasIdCondition (has_id); unused members are null.</summary>
internal sealed record QdrantCondition
{
    public string? Key { get; init; }

    public QdrantMatch? Match { get; init; }

    public DatetimeRange? Range { get; init; }

    public IReadOnlyList<Guid>? HasId { get; init; }
}

/// <summary>MatchValue (value) or MatchAny (any).</summary>
internal sealed record QdrantMatch
{
    public string? Value { get; init; }

    public IReadOnlyList<string>? Any { get; init; }
}

/// <summary>DatetimeRange with RFC 3339 bounds: inclusive lower, exclusive upper.</summary>
internal sealed record DatetimeRange(string? Gte, string? Lt);
