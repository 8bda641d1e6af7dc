using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SearchService.Inference.Onnx;
using SearchService.Inference.Tests.Support;
using SearchService.Interop.OnnxRuntime;
using SearchService.Testing;
using Xunit;

namespace SearchService.Inference.Tests.Interop;

/// <summary>ONNX Runtime's own log messages reach the sinks attached to the runtime, and from there the application's log.</summary>
public sealed class OrtLoggingTests
{
    private static string UnusedInitializerModel => Path.Combine(Path.GetDirectoryName(TestModels.MatMulChain)!, "unused-initializer.onnx");

    [Fact]
    public void ORT_warnings_go_to_every_attached_sink_with_the_session_log_id_until_detached()
    {
        var runtime = OrtRuntime.Load();
        var first = new ConcurrentQueue<OrtLogMessage>();
        var second = new ConcurrentQueue<OrtLogMessage>();
        using (OrtRuntime.AddLogSink(first.Enqueue))
        using (OrtRuntime.AddLogSink(_ => throw new InvalidOperationException("a broken sink")))
        using (OrtRuntime.AddLogSink(second.Enqueue))
        {
            OpenUnusedInitializerModel(runtime, "logging-test-1");
        }

        var warning = Assert.Single(first, message => message.Message.Contains("never_used_weight", StringComparison.Ordinal));
        Assert.Equal(OrtLoggingLevel.Warning, warning.Severity);
        Assert.Equal("logging-test-1", warning.LogId);
        Assert.Contains(second, message => message.Message.Contains("never_used_weight", StringComparison.Ordinal));

        var afterDetach = first.Count;
        OpenUnusedInitializerModel(runtime, "logging-test-2");
        Assert.Equal(afterDetach, first.Count);
    }

    [Fact]
    public void The_runtime_host_logs_ORT_warnings_as_warnings_with_their_event_id()
    {
        var logs = new CollectingLoggerProvider();
        using (var host = new OrtRuntimeHost(Options.Create(new InferenceOptions()), logs.CreateLogger<OrtRuntimeHost>()))
        {
            OpenUnusedInitializerModel(host.Runtime, "logging-test-host");
        }

        var entry = Assert.Single(logs.Entries, entry => entry.EventId == 3001 && entry.Message.Contains("never_used_weight", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Warning, entry.Level);
        Assert.Contains(logs.Entries, entry => entry.EventId == 3000 && entry.Message.Contains("ONNX Runtime 1.", StringComparison.Ordinal));
    }

    private static void OpenUnusedInitializerModel(OrtRuntime runtime, string logId)
    {
        using var options = runtime.CreateSessionOptions().SetLogId(logId);
        using var session = runtime.CreateSession(UnusedInitializerModel, options);
    }
}
