using Microsoft.Extensions.Logging;

namespace SearchService.Inference.Imaging;

/// <summary>Log messages of image decoding, with stable event ids (3100-3149).</summary>
internal static partial class ImagingLog
{
    [LoggerMessage(EventId = 3100, Level = LogLevel.Information, Message = "libvips {Version} loaded from {LibraryPath}; HEIF/AVIF {HeifSupport}")]
    public static partial void VipsLoaded(ILogger logger, string version, string libraryPath, string heifSupport);

    [LoggerMessage(EventId = 3101, Message = "libvips [{Domain}] {Message}")]
    public static partial void VipsMessage(ILogger logger, LogLevel level, string domain, string message);
}
