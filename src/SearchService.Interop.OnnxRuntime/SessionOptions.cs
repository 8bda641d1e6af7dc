using System.Globalization;
using SearchService.Interop.OnnxRuntime.Native;

namespace SearchService.Interop.OnnxRuntime;

/// <summary>How a session is built: threads, graph optimisation, execution providers. Dispose after creating the session.</summary>
public sealed class SessionOptions : IDisposable
{
    private readonly List<string> providers = [];

    internal SessionOptions(OrtRuntime runtime)
    {
        Runtime = runtime;
        Handle = new OrtSessionOptionsHandle(OrtNative.CreateSessionOptions());
    }

    /// <summary>Execution providers appended so far, in priority order; CPU is always the implicit last one.</summary>
    public IReadOnlyList<string> AppendedProviders => providers;

    internal OrtRuntime Runtime { get; }

    internal OrtSessionOptionsHandle Handle { get; }

    /// <summary>Threads one operator may use; 0 lets ORT choose (one per physical core).</summary>
    public SessionOptions SetIntraOpThreads(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        using var lease = Handle.Lease();
        OrtNative.SetIntraOpNumThreads(lease, threads);
        return this;
    }

    /// <summary>Threads running independent operators in parallel; 0 lets ORT choose.</summary>
    public SessionOptions SetInterOpThreads(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        using var lease = Handle.Lease();
        OrtNative.SetInterOpNumThreads(lease, threads);
        return this;
    }

    public SessionOptions SetGraphOptimizationLevel(GraphOptimizationLevel level)
    {
        if (!Enum.IsDefined(level))
        {
            throw new ArgumentOutOfRangeException(nameof(level), level, "Unknown graph optimisation level.");
        }

        using var lease = Handle.Lease();
        OrtNative.SetSessionGraphOptimizationLevel(lease, level);
        return this;
    }

    /// <summary>Names the session in ORT's log messages.</summary>
    public SessionOptions SetLogId(string logId)
    {
        ArgumentNullException.ThrowIfNull(logId);
        using var lease = Handle.Lease();
        OrtNative.SetSessionLogId(lease, logId);
        return this;
    }

    /// <summary>A session configuration entry (keys in ORT's onnxruntime_session_options_config_keys.h).</summary>
    public SessionOptions AddConfigEntry(string key, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        using var lease = Handle.Lease();
        OrtNative.AddSessionConfigEntry(lease, key, value);
        return this;
    }

    /// <summary>
    /// Puts the CUDA execution provider ahead of CPU. Fails with ORT's own reason when the provider libraries,
    /// the CUDA runtime or the device are missing; the options stay usable for a CPU-only session after a failure.
    /// </summary>
    /// <exception cref="OnnxRuntimeException">CUDA cannot be used; the message is ORT's.</exception>
    public SessionOptions AppendCudaExecutionProvider(int deviceId, IReadOnlyDictionary<string, string>? providerOptions = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(deviceId);
        var entries = new List<KeyValuePair<string, string>> { new("device_id", deviceId.ToString(CultureInfo.InvariantCulture)) };
        if (providerOptions is not null)
        {
            entries.AddRange(providerOptions.Where(entry => entry.Key != "device_id"));
        }

        using var cuda = new OrtCudaProviderOptionsHandle(OrtNative.CreateCudaProviderOptions());
        using (var cudaLease = cuda.Lease())
        {
            OrtNative.UpdateCudaProviderOptions(cudaLease, entries);
            using var lease = Handle.Lease();
            OrtNative.AppendExecutionProviderCudaV2(lease, cudaLease);
        }

        providers.Add($"cuda:{deviceId}");
        return this;
    }

    public void Dispose() => Handle.Dispose();
}
