using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SearchService.Interop.Vips.Native;

namespace SearchService.Interop.Vips;

/// <summary>How libvips is set up for untrusted input.</summary>
public sealed record VipsRuntimeSettings
{
    /// <summary>libvips file or folder; empty: the system's library path.</summary>
    public string? LibraryPath { get; init; }

    /// <summary>Worker threads libvips may use per pipeline. 1 suits a server that already decodes in parallel.</summary>
    public int Concurrency { get; init; } = 1;

    /// <summary>
    /// Loader classes left usable after every loader is blocked (GType names; a base class covers its file, buffer
    /// and source variants). Everything else, including the untrusted ImageMagick, PDF and SVG loaders, fails at once.
    /// </summary>
    public IReadOnlyList<string> AllowedLoaders { get; init; } = DefaultAllowedLoaders;

    public static IReadOnlyList<string> DefaultAllowedLoaders { get; } =
    [
        "VipsForeignLoadJpeg",
        "VipsForeignLoadPng",
        "VipsForeignLoadWebp",
        "VipsForeignLoadNsgif",
        "VipsForeignLoadTiff",
        "VipsForeignLoadHeif",
    ];
}

/// <summary>Severity of a message libvips logged through GLib.</summary>
public enum VipsLogLevel
{
    Debug,
    Information,
    Warning,
    Error,
}

/// <summary>A message libvips logged (e.g. "heifload: ignoring nclx profile").</summary>
public readonly record struct VipsLogMessage(VipsLogLevel Level, string Domain, string Message);

/// <summary>
/// Process-wide libvips state: loaded and initialised once, with the security settings applied before any image is
/// opened (caches off because uploads are unique and cached operations would pin caller memory; loaders limited to
/// an allow-list). GLib messages of the VIPS domain go to the attached sinks instead of standard error.
/// </summary>
public static unsafe class VipsRuntime
{
    private const int MinimumMinor = 14;
    private static readonly Lock Gate = new();
    private static volatile Action<VipsLogMessage>[] logSinks = [];
    private static volatile bool initialized;

    public static bool IsInitialized => initialized;

    /// <summary>libvips version string, e.g. 8.14.1.</summary>
    public static string Version { get; private set; } = string.Empty;

    /// <summary>Where libvips was loaded from (the name the loader was given).</summary>
    public static string? LibraryPath => VipsLibraries.LoadedVipsPath;

    /// <summary>
    /// Loads and initialises libvips. Idempotent: later calls only update <see cref="VipsRuntimeSettings.Concurrency"/>
    /// (the library and loader allow-list of the first call stay).
    /// </summary>
    public static void Initialize(VipsRuntimeSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.Concurrency, 1);
        lock (Gate)
        {
            if (!initialized)
            {
                Start(settings);
                initialized = true;
            }

            VipsNative.vips_concurrency_set(settings.Concurrency);
        }
    }

    /// <summary>Throws unless <see cref="Initialize"/> ran: every image operation needs the security settings in place.</summary>
    internal static void EnsureInitialized()
    {
        if (!initialized)
        {
            throw new InvalidOperationException("VipsRuntime.Initialize must be called before images are opened.");
        }
    }

    /// <summary>Whether an operation (e.g. <c>heifload_buffer</c>) exists in the loaded libvips and its modules.</summary>
    public static bool HasOperation(string nickname)
    {
        EnsureInitialized();
        return VipsNative.vips_type_find("VipsOperation", nickname) != 0;
    }

    /// <summary>
    /// Routes libvips's log messages to <paramref name="sink"/> until the returned object is disposed. Sinks must not
    /// block: libvips calls them on its worker threads. With no sink attached messages go to standard error.
    /// </summary>
    public static IDisposable AddLogSink(Action<VipsLogMessage> sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        lock (Gate)
        {
            logSinks = [.. logSinks, sink];
        }

        return new LogSinkRegistration(sink);
    }

    private static void Start(VipsRuntimeSettings settings)
    {
        VipsLibraries.Install(settings.LibraryPath);
        try
        {
            var major = VipsNative.vips_version(0);
            var minor = VipsNative.vips_version(1);
            Version = $"{major}.{minor}.{VipsNative.vips_version(2)}";
            if (major < 8 || (major == 8 && minor < MinimumMinor))
            {
                throw new VipsLoadException($"libvips {Version} is too old: 8.{MinimumMinor} or later is required.");
            }
        }
        catch (EntryPointNotFoundException error)
        {
            throw new VipsLoadException("The library loaded as libvips does not export vips_version: not libvips.", error);
        }

        // Install the handler before vips_init so that start-up warnings (missing modules) are routed too.
        GLibNative.g_log_set_handler("VIPS", GLibNative.AllLogLevels, &OnLogMessage, 0);
        if (VipsNative.vips_init("searchservice") != 0)
        {
            throw VipsErrors.Take("vips_init failed");
        }

        VipsNative.vips_cache_set_max(0);
        VipsNative.vips_cache_set_max_mem(0);
        VipsNative.vips_cache_set_max_files(0);
        VipsNative.vips_block_untrusted_set(1);
        VipsNative.vips_operation_block_set("VipsForeignLoad", 1);
        foreach (var loader in settings.AllowedLoaders)
        {
            VipsNative.vips_operation_block_set(loader, 0);
        }
    }

    [UnmanagedCallersOnly]
    private static void OnLogMessage(byte* domain, int level, byte* message, nint userData)
    {
        try
        {
            var entry = new VipsLogMessage(
                ToLevel(level),
                Marshal.PtrToStringUTF8((nint)domain) ?? "VIPS",
                (Marshal.PtrToStringUTF8((nint)message) ?? string.Empty).Trim());
            var sinks = logSinks;
            if (sinks.Length == 0)
            {
                // As GLib's default handler: only warnings and errors are shown without a sink.
                if (entry.Level >= VipsLogLevel.Warning)
                {
                    Console.Error.WriteLine($"{entry.Domain} {entry.Level}: {entry.Message}");
                }

                return;
            }

            foreach (var sink in sinks)
            {
                Deliver(sink, entry);
            }
        }
        catch (Exception)
        {
            // An exception must never unwind into libvips's C frames.
        }
    }

    private static void Deliver(Action<VipsLogMessage> sink, VipsLogMessage entry)
    {
        try
        {
            sink(entry);
        }
        catch (Exception)
        {
            // One broken sink does not silence the others.
        }
    }

    // GLogLevelFlags: ERROR 1<<2, CRITICAL 1<<3, WARNING 1<<4, MESSAGE 1<<5, INFO 1<<6, DEBUG 1<<7. libvips uses
    // INFO for its chatty progress notes (modules found, mask sizes), which are debug output to a service.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static VipsLogLevel ToLevel(int flags) =>
        (flags & 0b1100) != 0 ? VipsLogLevel.Error
        : (flags & 0b1_0000) != 0 ? VipsLogLevel.Warning
        : (flags & 0b10_0000) != 0 ? VipsLogLevel.Information
        : VipsLogLevel.Debug;

    private sealed class LogSinkRegistration(Action<VipsLogMessage> sink) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) != 0)
            {
                return;
            }

            lock (Gate)
            {
                logSinks = [.. logSinks.Where(existing => !ReferenceEquals(existing, sink))];
            }
        }
    }
}
