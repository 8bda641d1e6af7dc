namespace SearchService.Storage.Qdrant;

/// <summary>Connection, collection and client settings for the Qdrant vector store (section <c>VectorStore:Qdrant</c>).</summary>
public sealed class QdrantOptions
{
    public const string SectionName = "VectorStore:Qdrant";

    /// <summary>Base URL of the Qdrant REST API, e.g. <c>http://qdrant:6333</c>; https URLs use TLS.</summary>
    public string? Url { get; set; }

    /// <summary>Sent as the <c>api-key</c> header when set.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Limit for one HTTP attempt; retries get a fresh one each.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Points per upsert request.</summary>
    public int UpsertBatchSize { get; set; } = 256;

    /// <summary>Upsert requests in flight at once for one large upsert.</summary>
    public int UpsertParallelism { get; set; } = 2;

    /// <summary>Beam width of the HNSW search (<c>params.hnsw_ef</c>); null leaves Qdrant's default (ef_construct).</summary>
    public int? HnswEf { get; set; }

    /// <summary>Brute-force search (<c>params.exact</c>) instead of the HNSW index: exact, slow on large collections.</summary>
    public bool ExactSearch { get; set; }

    /// <summary>Points per scroll page when listing ids.</summary>
    public int ScrollPageSize { get; set; } = 1000;

    /// <summary>Qdrant write ordering for updates (<c>weak</c>, <c>medium</c>, <c>strong</c>); null leaves Qdrant's default (weak).</summary>
    public string? WriteOrdering { get; set; }

    public QdrantCollectionOptions Collection { get; set; } = new();

    public QdrantRetryOptions Retry { get; set; } = new();
}

/// <summary>How collections are created when missing (existing collections are used as they are).</summary>
public sealed class QdrantCollectionOptions
{
    /// <summary>HNSW edges per node; null keeps Qdrant's default (16).</summary>
    public int? HnswM { get; set; }

    /// <summary>HNSW build beam width; null keeps Qdrant's default (100).</summary>
    public int? HnswEfConstruct { get; set; }

    /// <summary>Keep original vectors on disk (memory-mapped) instead of RAM.</summary>
    public bool OnDiskVectors { get; set; }

    /// <summary>Keep payload on disk instead of RAM.</summary>
    public bool OnDiskPayload { get; set; }

    /// <summary>Scalar int8 quantization of the vectors (4x less memory); searches rescore with the originals.</summary>
    public bool ScalarQuantization { get; set; }

    /// <summary>Quantile of values used to pick the int8 range, in [0.5, 1].</summary>
    public float QuantizationQuantile { get; set; } = 0.99f;

    /// <summary>Keep quantized vectors in RAM even when the originals are on disk.</summary>
    public bool QuantizationAlwaysRam { get; set; } = true;

    /// <summary>Rescore quantized candidates with the original vectors at search time.</summary>
    public bool QuantizationRescore { get; set; } = true;

    /// <summary>Extra candidates fetched with quantized vectors before rescoring (e.g. 2.0); null keeps Qdrant's default.</summary>
    public double? QuantizationOversampling { get; set; }

    /// <summary>Shards per collection; null keeps Qdrant's default (1, or the node count in a cluster).</summary>
    public int? ShardNumber { get; set; }

    /// <summary>Copies of each shard across cluster nodes; null keeps Qdrant's default (1).</summary>
    public int? ReplicationFactor { get; set; }

    /// <summary>Replicas that must acknowledge a write; null keeps Qdrant's default (1).</summary>
    public int? WriteConsistencyFactor { get; set; }
}

/// <summary>Retries of transient failures (connection errors, timeouts, 429, 5xx except 501) with exponential backoff and jitter.</summary>
public sealed class QdrantRetryOptions
{
    /// <summary>Retries after the first attempt; 0 disables retrying.</summary>
    public int MaxRetries { get; set; } = 4;

    /// <summary>Delay before the first retry; doubles each time, with jitter.</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Upper bound of one backoff delay, Retry-After included.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(15);
}
