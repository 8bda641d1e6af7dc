using Microsoft.Extensions.Options;
using SearchService.Api.Hosting;
using SearchService.Core.Ingest;

namespace SearchService.Api.Ingest;

/// <summary>Bulk ingestion (<c>Ingest:*</c>).</summary>
public sealed class IngestOptions
{
    public const string Section = "Ingest";

    /// <summary>Server folders that folder jobs may read (canonicalised, symlinks resolved). Empty: folder jobs are refused.</summary>
    public string[] AllowedRoots { get; set; } = [];

    /// <summary>Where uploads are spooled; default <c>&lt;Storage:DataPath&gt;/spool</c>.</summary>
    public string? SpoolPath { get; set; }

    /// <summary>Where the job database lives; default <c>&lt;Storage:DataPath&gt;/jobs.db</c>.</summary>
    public string? DatabasePath { get; set; }

    public int ReadConcurrency { get; set; } = 4;

    /// <summary>0: one per core.</summary>
    public int DecodeConcurrency { get; set; }

    public int EncodeConcurrency { get; set; } = 1;

    /// <summary>0: the encoder's preferred batch size.</summary>
    public int BatchSize { get; set; }

    public int BatchLingerMilliseconds { get; set; } = 100;

    public long MaxBytesInFlight { get; set; } = 512L * 1024 * 1024;

    public int ThumbnailSize { get; set; } = 320;

    /// <summary>Jobs processed at the same time (they share the encoder; more rarely helps).</summary>
    public int MaxConcurrentJobs { get; set; } = 1;

    /// <summary>Largest single image file.</summary>
    public long MaxFileBytes { get; set; } = 100L * 1024 * 1024;

    /// <summary>Largest upload request body.</summary>
    public long MaxUploadBytes { get; set; } = 20L * 1024 * 1024 * 1024;

    public int MaxArchiveEntries { get; set; } = 100_000;

    /// <summary>Total expanded size of one archive.</summary>
    public long MaxArchiveBytes { get; set; } = 20L * 1024 * 1024 * 1024;

    /// <summary>Expanded ÷ compressed size above which an entry (or a .tar.gz) is treated as a zip bomb.</summary>
    public double MaxCompressionRatio { get; set; } = 100;

    /// <summary>How often the events stream reports progress.</summary>
    public int ProgressIntervalMilliseconds { get; set; } = 1000;

    /// <summary>On shutdown, how long in-flight files may finish before the job is stopped hard (it resumes at the next start).</summary>
    public int ShutdownDrainSeconds { get; set; } = 10;

    /// <summary>First pause of a job after a store failed transiently (Qdrant restarting, database busy); it doubles per failure in a row.</summary>
    public int StoreRetryDelayMilliseconds { get; set; } = 1000;

    /// <summary>Longest pause between runs of a job whose store keeps failing transiently; the job waits for it without end.</summary>
    public int StoreRetryMaxDelaySeconds { get; set; } = 60;

    /// <summary>The pause after the given number of transient store failures in a row (1 for the first).</summary>
    public TimeSpan StoreRetryDelay(int failuresInARow)
    {
        var ceiling = TimeSpan.FromSeconds(StoreRetryMaxDelaySeconds);
        var doublings = Math.Clamp(failuresInARow - 1, 0, 30);
        var delay = TimeSpan.FromMilliseconds(StoreRetryDelayMilliseconds * Math.Pow(2, doublings));
        return delay < ceiling ? delay : ceiling;
    }

    public IngestPipelineOptions ToPipelineOptions() => new()
    {
        ReadConcurrency = ReadConcurrency,
        DecodeConcurrency = DecodeConcurrency,
        EncodeConcurrency = EncodeConcurrency,
        BatchSize = BatchSize,
        BatchLinger = TimeSpan.FromMilliseconds(BatchLingerMilliseconds),
        MaxBytesInFlight = MaxBytesInFlight,
        ThumbnailSize = ThumbnailSize,
    };
}

/// <summary>Start-up checks with messages that name the key.</summary>
public sealed class IngestOptionsValidator(IOptions<LimitsOptions> limits) : IValidateOptions<IngestOptions>
{
    public ValidateOptionsResult Validate(string? name, IngestOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        void Positive(long value, string key)
        {
            if (value <= 0)
            {
                failures.Add($"Ingest:{key} must be greater than 0 (was {value}).");
            }
        }

        void NotNegative(long value, string key)
        {
            if (value < 0)
            {
                failures.Add($"Ingest:{key} must not be negative (was {value}).");
            }
        }

        Positive(options.ReadConcurrency, nameof(options.ReadConcurrency));
        NotNegative(options.DecodeConcurrency, nameof(options.DecodeConcurrency));
        Positive(options.EncodeConcurrency, nameof(options.EncodeConcurrency));
        NotNegative(options.BatchSize, nameof(options.BatchSize));
        NotNegative(options.BatchLingerMilliseconds, nameof(options.BatchLingerMilliseconds));
        Positive(options.MaxBytesInFlight, nameof(options.MaxBytesInFlight));
        NotNegative(options.ThumbnailSize, nameof(options.ThumbnailSize));
        Positive(options.MaxConcurrentJobs, nameof(options.MaxConcurrentJobs));
        Positive(options.MaxFileBytes, nameof(options.MaxFileBytes));
        Positive(options.MaxUploadBytes, nameof(options.MaxUploadBytes));
        Positive(options.MaxArchiveEntries, nameof(options.MaxArchiveEntries));
        Positive(options.MaxArchiveBytes, nameof(options.MaxArchiveBytes));
        Positive(options.ProgressIntervalMilliseconds, nameof(options.ProgressIntervalMilliseconds));
        NotNegative(options.ShutdownDrainSeconds, nameof(options.ShutdownDrainSeconds));
        Positive(options.StoreRetryDelayMilliseconds, nameof(options.StoreRetryDelayMilliseconds));
        Positive(options.StoreRetryMaxDelaySeconds, nameof(options.StoreRetryMaxDelaySeconds));

        // The drain happens inside the host's stop; a drain as long as the stop would be cut off with the rest.
        var shutdown = limits.Value.ShutdownTimeout;
        if (TimeSpan.FromSeconds(options.ShutdownDrainSeconds) >= shutdown)
        {
            failures.Add(
                $"Ingest:ShutdownDrainSeconds ({options.ShutdownDrainSeconds}) must be less than Limits:ShutdownTimeout ({shutdown.TotalSeconds:0.###} s): " +
                "in-flight files drain within the host's shutdown, so raise Limits:ShutdownTimeout or lower the drain.");
        }
        if (!(options.MaxCompressionRatio >= 1))
        {
            failures.Add($"Ingest:MaxCompressionRatio must be at least 1 (was {options.MaxCompressionRatio}).");
        }

        foreach (var root in options.AllowedRoots)
        {
            if (string.IsNullOrWhiteSpace(root) || !Path.IsPathFullyQualified(root))
            {
                failures.Add($"Ingest:AllowedRoots entries must be absolute paths ('{root}' is not).");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
