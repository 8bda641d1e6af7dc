using Microsoft.Extensions.Logging;
using SearchService.Inference.Provisioning;

namespace SearchService.Inference;

/// <summary>Every log message of the inference adapter, with stable event ids (3000-3099).</summary>
internal static partial class InferenceLog
{
    [LoggerMessage(EventId = 3000, Level = LogLevel.Information, Message = "ONNX Runtime {Version} loaded from {LibraryPath}; providers compiled in: {Providers}")]
    public static partial void RuntimeLoaded(ILogger logger, string version, string libraryPath, string providers);

    [LoggerMessage(EventId = 3001, Message = "ONNX Runtime [{LogId}] {Message}")]
    public static partial void OrtMessage(ILogger logger, LogLevel level, string logId, string message);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning,
        Message = "CUDA device {DeviceId} cannot be used, running on CPU instead: {Reason}. Set Inference:RequireCuda to fail at start-up instead.")]
    public static partial void CudaUnavailable(ILogger logger, int deviceId, string reason);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information,
        Message = "Model {Name} loaded from {Folder} in {ElapsedMs} ms: {Dimensions}-d embeddings, context {ContextLength}, image {ImageSize} px, text batch {TextBatch}, image batch {ImageBatch}, on {ExecutionProvider}{DemoNote}")]
    public static partial void ModelLoaded(
        ILogger logger, string name, string folder, long elapsedMs, int dimensions, int contextLength, int imageSize, string textBatch, string imageBatch, string executionProvider, string demoNote);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Information, Message = "Using model folder {Folder} ({Source})")]
    public static partial void ModelFolderChosen(ILogger logger, string folder, ModelSource source);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Information, Message = "Model {Name} is not in {Folder}; downloading it from {BaseUrl}")]
    public static partial void DownloadStarting(ILogger logger, string name, string folder, string baseUrl);

    [LoggerMessage(EventId = 3012, Level = LogLevel.Information, Message = "Downloading {File}: {Percent}% of {TotalMegabytes:F1} MB")]
    public static partial void DownloadProgress(ILogger logger, string file, int percent, double totalMegabytes);

    [LoggerMessage(EventId = 3013, Level = LogLevel.Information, Message = "Downloaded {File} ({Megabytes:F1} MB, {Seconds:F1} s)")]
    public static partial void DownloadedFile(ILogger logger, string file, double megabytes, double seconds);

    [LoggerMessage(EventId = 3014, Level = LogLevel.Information, Message = "Model {Name} downloaded to {Folder}")]
    public static partial void DownloadCompleted(ILogger logger, string name, string folder);

    [LoggerMessage(EventId = 3015, Level = LogLevel.Warning, Message = "Model {Name} could not be downloaded: {Reason}")]
    public static partial void DownloadFailed(ILogger logger, string name, string reason);

    [LoggerMessage(EventId = 3016, Level = LogLevel.Warning,
        Message = "Running the bundled DEMO model ({DemoFolder}), which only understands synthetic coloured shapes, because model {Name} is unavailable: {Reason} {Advice}")]
    public static partial void DemoFallback(ILogger logger, string demoFolder, string name, string reason, string advice);

    [LoggerMessage(EventId = 3017, Level = LogLevel.Debug, Message = "Removed an abandoned download folder {Folder}")]
    public static partial void RemovedStaleDownload(ILogger logger, string folder);

    [LoggerMessage(EventId = 3018, Level = LogLevel.Warning, Message = "Could not remove the abandoned download folder {Folder}: {Reason}")]
    public static partial void StaleDownloadNotRemoved(ILogger logger, string folder, string reason);
}
