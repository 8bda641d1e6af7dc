namespace SearchService.Core.Images;

/// <summary>
/// Which file names bulk ingestion picks up from a folder: the extensions of the accepted formats. Only a
/// pre-filter so sidecars and documents are not counted as failures; the format itself is always detected
/// from the bytes.
/// </summary>
public static class ImageFileNames
{
    private static readonly HashSet<string> Extensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".jpg", ".jpeg", ".jpe", ".png", ".webp", ".gif", ".tif", ".tiff", ".heic", ".heif", ".avif",
    };

    public static bool HasImageExtension(string path) => Extensions.Contains(Path.GetExtension(path));
}
