using Microsoft.Extensions.Logging;
using SearchService.Inference.Onnx;
using SearchService.Inference.Tests.Support;
using SearchService.Testing;
using Xunit;

namespace SearchService.Inference.Tests.Models;

/// <summary>CUDA is compiled into this ORT but its provider libraries are absent here: the fallback and the hard failure.</summary>
public sealed class ExecutionProviderTests
{
    [Fact]
    public async Task Asking_for_CUDA_where_it_cannot_load_warns_once_with_ORTs_reason_and_runs_on_CPU()
    {
        var logs = new CollectingLoggerProvider();
        var options = new InferenceOptions { ExecutionProvider = ExecutionProviderKind.Cuda, DeviceId = 0, IntraOpThreads = 1 };

        using var model = ModelLoading.Load(TestModels.TinyDynamic, options, logs.CreateLogger("test"));

        Assert.Equal("cpu", model.Descriptor.ExecutionProvider);
        var warning = Assert.Single(logs.Entries, entry => entry.EventId == 3002);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("CUDA device 0 cannot be used, running on CPU instead: ", warning.Message, StringComparison.Ordinal);
        Assert.Contains("Inference:RequireCuda", warning.Message, StringComparison.Ordinal);
        Assert.Single(await model.TextEncoder.EncodeAsync(["still works"], CancellationToken.None));
    }

    [Fact]
    public void Requiring_CUDA_where_it_cannot_load_fails_with_ORTs_reason()
    {
        var options = new InferenceOptions { ExecutionProvider = ExecutionProviderKind.Cuda, DeviceId = 1, RequireCuda = true };

        var error = Assert.Throws<CudaUnavailableException>(() => ModelLoading.Load(TestModels.TinyDynamic, options));

        Assert.StartsWith("Inference:RequireCuda is set but CUDA device 1 cannot be used: ", error.Message, StringComparison.Ordinal);
        var reason = Assert.IsType<SearchService.Interop.OnnxRuntime.OnnxRuntimeException>(error.InnerException);
        Assert.EndsWith(reason.NativeMessage, error.Message, StringComparison.Ordinal);
    }
}
