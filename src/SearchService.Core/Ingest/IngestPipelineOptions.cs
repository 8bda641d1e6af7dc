namespace SearchService.Core.Ingest;

/// <summary>How the ingest pipeline spends the machine (bound from <c>Ingest:*</c>).</summary>
public sealed class IngestPipelineOptions
{
    /// <summary>Files read and hashed at once (disk-bound).</summary>
    public int ReadConcurrency { get; set; } = 4;

    /// <summary>Images decoded and preprocessed at once; 0 means one per core.</summary>
    public int DecodeConcurrency { get; set; }

    /// <summary>Encoder batches run at once. On CPU 1 is usually best: ONNX Runtime already uses every core inside one run.</summary>
    public int EncodeConcurrency { get; set; } = 1;

    /// <summary>Images per encoder batch; 0 means the encoder's preferred batch size.</summary>
    public int BatchSize { get; set; }

    /// <summary>How long a partial batch waits for more decoded images before it is encoded anyway.</summary>
    public TimeSpan BatchLinger { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Upper bound on original bytes and tensors held in memory by one job, whatever its size.</summary>
    public long MaxBytesInFlight { get; set; } = 512L * 1024 * 1024;

    /// <summary>Longest side of the thumbnail made during the decode pass.</summary>
    public int ThumbnailSize { get; set; } = 320;

    /// <summary>File outcomes that do not need storing (duplicates, skips, failures) are written in groups of this size.</summary>
    public int OutcomeFlushCount { get; set; } = 256;

    public int EffectiveDecodeConcurrency => DecodeConcurrency > 0 ? DecodeConcurrency : Environment.ProcessorCount;
}
