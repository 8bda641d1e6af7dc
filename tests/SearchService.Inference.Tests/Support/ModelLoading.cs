using Microsoft.Extensions.Logging;
using SearchService.Inference.Models;
using SearchService.Inference.Onnx;
using SearchService.Interop.OnnxRuntime;

namespace SearchService.Inference.Tests.Support;

/// <summary>Loads models the way <see cref="ClipModelHost"/> does, without a container.</summary>
internal static class ModelLoading
{
    public static ClipModel Load(string folder, InferenceOptions? options = null, ILogger? logger = null)
    {
        options ??= new InferenceOptions { IntraOpThreads = 1 };
        logger ??= Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        return ClipModel.Load(folder, new OnnxSessionFactory(OrtRuntime.Load(), options, logger), options, logger);
    }
}
