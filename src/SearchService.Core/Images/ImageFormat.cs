namespace SearchService.Core.Images;

/// <summary>Formats the service accepts (an allow-list; everything else is rejected).</summary>
public enum ImageFormat
{
    Jpeg,
    Png,
    WebP,
    Gif,
    Tiff,
    Heif,
    Avif,
}

public static class ImageFormatExtensions
{
    public static string MimeType(this ImageFormat format) => format switch
    {
        ImageFormat.Jpeg => "image/jpeg",
        ImageFormat.Png => "image/png",
        ImageFormat.WebP => "image/webp",
        ImageFormat.Gif => "image/gif",
        ImageFormat.Tiff => "image/tiff",
        ImageFormat.Heif => "image/heif",
        ImageFormat.Avif => "image/avif",
        _ => "application/octet-stream",
    };
}
