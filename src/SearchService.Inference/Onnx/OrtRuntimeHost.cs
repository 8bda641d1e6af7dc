using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SearchService.Interop.OnnxRuntime;

namespace SearchService.Inference.Onnx;

/// <summary>The process's ONNX Runtime, with ORT's own log messages routed into the application's logging.</summary>
public sealed class OrtRuntimeHost : IDisposable
{
    private readonly IDisposable logSink;

    public OrtRuntimeHost(IOptions<InferenceOptions> options, ILogger<OrtRuntimeHost> logger)
    {
        Runtime = OrtRuntime.Load(options.Value.LibraryPath);
        logSink = OrtRuntime.AddLogSink(message => InferenceLog.OrtMessage(logger, ToLogLevel(message.Severity), message.LogId, message.Message));
        InferenceLog.RuntimeLoaded(logger, Runtime.Version, Runtime.LibraryPath, string.Join(", ", Runtime.AvailableProviders));
    }

    public OrtRuntime Runtime { get; }

    public void Dispose() => logSink.Dispose();

    private static LogLevel ToLogLevel(OrtLoggingLevel severity) => severity switch
    {
        OrtLoggingLevel.Verbose => LogLevel.Trace,
        OrtLoggingLevel.Info => LogLevel.Debug,
        OrtLoggingLevel.Warning => LogLevel.Warning,
        OrtLoggingLevel.Error => LogLevel.Error,
        _ => LogLevel.Critical,
    };
}
