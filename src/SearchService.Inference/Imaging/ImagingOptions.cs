using Microsoft.Extensions.Options;

namespace SearchService.Inference.Imaging;

/// <summary>Image decoding limits and thumbnail output. Configuration section <c>Imaging</c>.</summary>
public sealed class ImagingOptions
{
    public const string SectionName = "Imaging";

    /// <summary>Largest width × height accepted, checked from the header before any decoding.</summary>
    public long MaxPixels { get; set; } = 100_000_000;

    /// <summary>Largest width or height accepted (a 1 × 10⁸ strip is as hostile as a square bomb).</summary>
    public int MaxSide { get; set; } = 40_000;

    /// <summary>Encoding of display thumbnails: <c>webp</c> (default; keeps transparency) or <c>jpeg</c> (transparent areas white).</summary>
    public ThumbnailFormat ThumbnailFormat { get; set; } = ThumbnailFormat.WebP;

    /// <summary>Thumbnail encoder quality, 1-100.</summary>
    public int ThumbnailQuality { get; set; } = 80;

    /// <summary>Threads libvips uses inside one decode. 1 (default) suits a server that decodes several images at once.</summary>
    public int VipsConcurrency { get; set; } = 1;

    /// <summary>libvips file or folder; empty: the system's library path (Debian: libvips42).</summary>
    public string? LibraryPath { get; set; }

    /// <summary>
    /// Decode large JPEG and WebP files at a reduced scale (still at least 4× the model's input) instead of fully
    /// (default true): 2-4× faster on camera photos. False gives tensors identical to PIL's, pixel for pixel.
    /// </summary>
    public bool ShrinkOnLoad { get; set; } = true;

    /// <summary>
    /// Apply embedded ICC profiles of RGB and grey images (default false: the reference, PIL's <c>convert("RGB")</c>,
    /// ignores them and the model was trained that way). CMYK images are always converted through a profile.
    /// </summary>
    public bool ApplyIccProfiles { get; set; }
}

public enum ThumbnailFormat
{
    WebP,
    Jpeg,
}

/// <summary>Start-up checks with messages that name the key and say what is allowed.</summary>
internal sealed class ImagingOptionsValidator : IValidateOptions<ImagingOptions>
{
    public ValidateOptionsResult Validate(string? name, ImagingOptions options)
    {
        var failures = new List<string>();
        if (options.MaxPixels is < 1 or > 1_000_000_000)
        {
            failures.Add($"Imaging:MaxPixels must be between 1 and 1000000000, got {options.MaxPixels}.");
        }

        if (options.MaxSide is < 1 or > 10_000_000)
        {
            failures.Add($"Imaging:MaxSide must be between 1 and 10000000 (libvips's limit), got {options.MaxSide}.");
        }

        if (!Enum.IsDefined(options.ThumbnailFormat))
        {
            failures.Add("Imaging:ThumbnailFormat must be 'webp' or 'jpeg'.");
        }

        if (options.ThumbnailQuality is < 1 or > 100)
        {
            failures.Add($"Imaging:ThumbnailQuality must be between 1 and 100, got {options.ThumbnailQuality}.");
        }

        if (options.VipsConcurrency is < 1 or > 1024)
        {
            failures.Add($"Imaging:VipsConcurrency must be between 1 and 1024, got {options.VipsConcurrency}.");
        }

        if (!string.IsNullOrWhiteSpace(options.LibraryPath) && !File.Exists(options.LibraryPath) && !Directory.Exists(options.LibraryPath))
        {
            failures.Add($"Imaging:LibraryPath '{options.LibraryPath}' is neither a file nor a folder.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
