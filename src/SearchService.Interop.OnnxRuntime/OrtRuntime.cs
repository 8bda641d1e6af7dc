using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SearchService.Interop.OnnxRuntime.Native;

namespace SearchService.Interop.OnnxRuntime;

/// <summary>One message from ONNX Runtime's own logger.</summary>
public readonly record struct OrtLogMessage(OrtLoggingLevel Severity, string Category, string LogId, string CodeLocation, string Message);

/// <summary>
/// The loaded ONNX Runtime: its API table, the process-wide environment (ORT allows one per process, and its
/// logger is fixed when it is created) and the CPU memory description inputs are wrapped with. Loaded once per
/// process and never unloaded; sessions created from it are independent and thread-safe.
/// </summary>
public sealed class OrtRuntime
{
    private static readonly Lock LoadLock = new();
    private static OrtRuntime? loaded;
    private static volatile Action<OrtLogMessage>[] logSinks = [];

    private readonly Lazy<IReadOnlyList<string>> availableProviders = new(OrtNative.GetAvailableProviders);
    private readonly Lazy<string> buildInfo = new(OrtNative.GetBuildInfoString);

    private OrtRuntime(string libraryPath, string version, OrtEnvHandle environment, OrtMemoryInfoHandle cpuMemory)
    {
        LibraryPath = libraryPath;
        Version = version;
        Environment = environment;
        CpuMemory = cpuMemory;
    }

    /// <summary>Where the library was loaded from.</summary>
    public string LibraryPath { get; }

    /// <summary>ORT's version string, e.g. <c>1.30.0</c>.</summary>
    public string Version { get; }

    /// <summary>ORT's build description (git commit, build options).</summary>
    public string BuildInfo => buildInfo.Value;

    /// <summary>
    /// Execution providers compiled into this build (e.g. CUDA, CPU). Compiled in is not the same as usable: CUDA also
    /// needs its provider libraries and the CUDA runtime, which only appending it to a session proves.
    /// </summary>
    public IReadOnlyList<string> AvailableProviders => availableProviders.Value;

    internal OrtEnvHandle Environment { get; }

    internal OrtMemoryInfoHandle CpuMemory { get; }

    /// <summary>
    /// Loads ONNX Runtime once for the process (see <see cref="OrtLibraryLoader"/> for the search order) and creates
    /// its environment. Later calls return the same runtime; naming a different library then (neither the loaded file
    /// nor a byte-identical copy) is an error, since two copies of ORT in one process do not share state.
    /// </summary>
    /// <exception cref="OnnxRuntimeLoadException">No usable library; the message lists every path tried and why.</exception>
    public static OrtRuntime Load(string? libraryPath = null)
    {
        lock (LoadLock)
        {
            if (loaded is not null)
            {
                if (!string.IsNullOrWhiteSpace(libraryPath) && !IsSameLibrary(libraryPath, loaded.LibraryPath))
                {
                    throw new OnnxRuntimeLoadException(
                        $"ONNX Runtime is already loaded in this process from {loaded.LibraryPath}; it cannot also be loaded from {Path.GetFullPath(libraryPath)}.",
                        []);
                }

                return loaded;
            }

            var opened = OrtLibraryLoader.OpenFirst(OrtLibraryLoader.Candidates(libraryPath), OrtNative.MinimumApiVersion);
            OrtNative.Bind(opened.ApiTable);
            OrtEnvHandle? environment = null;
            try
            {
                environment = CreateEnvironment();
                var cpuMemory = new OrtMemoryInfoHandle(OrtNative.CreateCpuMemoryInfo());
                loaded = new OrtRuntime(opened.Path, opened.Version, environment, cpuMemory);
                return loaded;
            }
            catch
            {
                environment?.Dispose();
                throw;
            }
        }
    }

    /// <summary>
    /// Routes ORT's log messages (warnings and worse) to <paramref name="sink"/> until the returned object is disposed.
    /// With no sink attached they go to standard error. Sinks must not block: ORT calls them on its own threads.
    /// </summary>
    public static IDisposable AddLogSink(Action<OrtLogMessage> sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        lock (LoadLock)
        {
            logSinks = [.. logSinks, sink];
        }

        return new LogSinkRegistration(sink);
    }

    /// <summary>Options for a new session; the caller disposes them once the session is created.</summary>
    public SessionOptions CreateSessionOptions() => new(this);

    /// <summary>Loads a model; the options may be disposed afterwards.</summary>
    /// <exception cref="OnnxRuntimeException">ORT could not load the model (missing file, bad protobuf, unsupported operator...).</exception>
    public InferenceSession CreateSession(string modelPath, SessionOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        ArgumentNullException.ThrowIfNull(options);
        return InferenceSession.Create(this, Path.GetFullPath(modelPath), options);
    }

    /// <summary>The same file, or a byte-identical copy of it (the build copies the library next to every application).</summary>
    private static bool IsSameLibrary(string requested, string loadedPath)
    {
        var full = Path.GetFullPath(requested);
        var candidates = Directory.Exists(full) ? OrtLibraryLoader.FileNames.Select(name => Path.Combine(full, name)) : [full];
        var loaded = ResolveLinks(loadedPath);
        return candidates.Select(ResolveLinks).Any(candidate =>
            string.Equals(candidate, loaded, StringComparison.Ordinal) || HaveSameBytes(candidate, loaded));
    }

    private static bool HaveSameBytes(string first, string second)
    {
        if (!File.Exists(first) || !File.Exists(second) || new FileInfo(first).Length != new FileInfo(second).Length)
        {
            return false;
        }

        using var a = File.OpenRead(first);
        using var b = File.OpenRead(second);
        var bufferA = new byte[1 << 16];
        var bufferB = new byte[1 << 16];
        while (true)
        {
            var read = a.ReadAtLeast(bufferA, bufferA.Length, throwOnEndOfStream: false);
            b.ReadExactly(bufferB, 0, read);
            if (read == 0)
            {
                return true;
            }

            if (!bufferA.AsSpan(0, read).SequenceEqual(bufferB.AsSpan(0, read)))
            {
                return false;
            }
        }
    }

    private static string ResolveLinks(string path) =>
        File.Exists(path) ? new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(path) : path;

    private static unsafe OrtEnvHandle CreateEnvironment()
    {
        delegate* unmanaged<nint, int, byte*, byte*, byte*, byte*, void> callback = &OnLog;
        return new OrtEnvHandle(OrtNative.CreateEnvWithCustomLogger((nint)callback, OrtLoggingLevel.Warning, "SearchService"));
    }

    /// <summary>ORT's <c>OrtLoggingFunction</c>; may run on any ORT thread and must never let an exception escape.</summary>
    [UnmanagedCallersOnly]
    private static unsafe void OnLog(nint param, int severity, byte* category, byte* logId, byte* codeLocation, byte* message)
    {
        try
        {
            var entry = new OrtLogMessage(
                (OrtLoggingLevel)severity,
                Marshal.PtrToStringUTF8((nint)category) ?? string.Empty,
                Marshal.PtrToStringUTF8((nint)logId) ?? string.Empty,
                Marshal.PtrToStringUTF8((nint)codeLocation) ?? string.Empty,
                Marshal.PtrToStringUTF8((nint)message) ?? string.Empty);
            var sinks = logSinks;
            if (sinks.Length == 0)
            {
                Console.Error.WriteLine($"onnxruntime {entry.Severity} [{entry.LogId}] {entry.Message}");
                return;
            }

            foreach (var sink in sinks)
            {
                Deliver(sink, entry);
            }
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            // A failing log sink must not take the native thread down with it.
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Deliver(Action<OrtLogMessage> sink, OrtLogMessage entry)
    {
        try
        {
            sink(entry);
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            // One broken sink does not silence the others.
        }
    }

    private sealed class LogSinkRegistration(Action<OrtLogMessage> sink) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 1)
            {
                return;
            }

            lock (LoadLock)
            {
                logSinks = [.. logSinks.Where(existing => !ReferenceEquals(existing, sink))];
            }
        }
    }
}
