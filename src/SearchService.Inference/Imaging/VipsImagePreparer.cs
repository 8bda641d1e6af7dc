using System.Globalization;
using SearchService.Core.Images;
using SearchService.Core.Models;
using SearchService.Interop.Vips;

namespace SearchService.Inference.Imaging;

/// <summary>
/// Untrusted bytes → the model tensor PIL/open_clip would produce, the displayed size and a thumbnail, in one decode.
/// Order matters for safety: format from magic bytes, then a header-only load and the size caps, and only then pixels
/// (with shrink-on-load where the format has it, and <c>fail_on=error</c> so damaged data fails instead of decoding
/// grey). Thread-safe: no state beyond the immutable settings.
/// </summary>
public sealed class VipsImagePreparer : IImagePreparer
{
    private const string OrientationField = "orientation";
    private const string DateTimeOriginalField = "exif-ifd2-DateTimeOriginal";
    private const string IccProfileField = "icc-profile-data";

    private readonly ImagePreprocessing preprocessing;
    private readonly ImagingOptions options;
    private readonly bool heifAvailable;
    private readonly float[] scale;
    private readonly float[] offset;

    public VipsImagePreparer(ImagePreprocessing preprocessing, ImagingOptions options)
    {
        ArgumentNullException.ThrowIfNull(preprocessing);
        ArgumentNullException.ThrowIfNull(options);
        if (preprocessing.Mean.Count != 3 || preprocessing.Std.Count != 3 || preprocessing.Std.Any(std => std <= 0) || preprocessing.Size < 1)
        {
            throw new ArgumentException("Preprocessing needs a positive size and three means and positive standard deviations.", nameof(preprocessing));
        }

        this.preprocessing = preprocessing;
        this.options = options;
        VipsRuntime.Initialize(new VipsRuntimeSettings { LibraryPath = options.LibraryPath, Concurrency = options.VipsConcurrency });
        heifAvailable = VipsRuntime.HasOperation("heifload_buffer");

        // (byte / 255 - mean) / std as one multiply-add per value.
        scale = [.. preprocessing.Std.Select(std => 1f / (255f * std))];
        offset = [.. preprocessing.Mean.Zip(preprocessing.Std, (mean, std) => -mean / std)];
    }

    /// <summary>Whether HEIF and AVIF files are accepted (libvips was built with libheif).</summary>
    public bool SupportsHeif => heifAvailable;

    public ImageProbe Probe(ReadOnlySpan<byte> data)
    {
        var format = DetectFormat(data);
        using var header = LoadHeader(format, data);
        return ReadProbe(format, header);
    }

    public PreparedImage Prepare(ReadOnlyMemory<byte> data, PrepareOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(options.ThumbnailSize);
        cancellationToken.ThrowIfCancellationRequested();
        var format = DetectFormat(data.Span);
        using var pipeline = new ImagePipeline();
        var header = pipeline.Keep(LoadHeader(format, data.Span));
        var probe = ReadProbe(format, header);

        var shrink = ShrinkOnLoad(format, header.Width, header.Height, options.ThumbnailSize);
        var source = shrink == 1 ? header : pipeline.Keep(Load(format, data.Span, shrink));
        cancellationToken.ThrowIfCancellationRequested();

        // Decode once into memory: autorot needs random access and two outputs read the pixels.
        var srgb = ConvertToSrgb8(format, pipeline, source);
        var decoded = pipeline.Keep(Materialise(format, srgb, cancellationToken));
        var upright = Orientation(header) is >= 2 and <= 8 ? pipeline.Call("autorot", decoded) : decoded;
        cancellationToken.ThrowIfCancellationRequested();

        // The model sees the colour bands only, as after PIL's convert("RGB"); the thumbnail keeps the transparency.
        var rgb = upright.Bands == 4 ? pipeline.Call("extract_band", upright, operation => operation.Set("band", 0).Set("n", 3)) : upright;
        var tensor = ToTensor(rgb);
        cancellationToken.ThrowIfCancellationRequested();
        var thumbnail = options.ThumbnailSize == 0 ? [] : Thumbnail(pipeline, upright, options.ThumbnailSize);
        return new PreparedImage(probe, tensor, thumbnail, options.ThumbnailSize == 0 ? string.Empty : ThumbnailMimeType);
    }

    private string ThumbnailMimeType => options.ThumbnailFormat == ThumbnailFormat.Jpeg ? "image/jpeg" : "image/webp";

    private ImageFormat DetectFormat(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            throw new ImageRejectedException(ImageRejectionReason.Empty, "The image is empty (0 bytes).");
        }

        var format = ImageFormatDetector.Detect(data)
            ?? throw new ImageRejectedException(
                ImageRejectionReason.UnsupportedFormat, "The file is not a JPEG, PNG, WebP, GIF, TIFF, HEIF or AVIF image.");
        if (format is ImageFormat.Heif or ImageFormat.Avif && !heifAvailable)
        {
            throw new ImageRejectedException(
                ImageRejectionReason.UnsupportedFormat, $"{format} images cannot be read by this installation (libvips has no HEIF support).");
        }

        return format;
    }

    private VipsImage LoadHeader(ImageFormat format, ReadOnlySpan<byte> data)
    {
        if (ContainerPrecheck.ClaimedSize(format, data) is var (claimedWidth, claimedHeight))
        {
            CheckSize(claimedWidth, claimedHeight);
        }

        var header = Load(format, data, shrink: 1);
        try
        {
            CheckSize(header.Width, header.Height);
            return header;
        }
        catch
        {
            header.Dispose();
            throw;
        }
    }

    /// <summary>A loader for exactly the detected format; opening it reads the header only (sequential access).</summary>
    private static VipsImage Load(ImageFormat format, ReadOnlySpan<byte> data, int shrink)
    {
        if (format == ImageFormat.Png && ContainerPrecheck.PngWithoutText(data) is { } withoutText)
        {
            data = withoutText;
        }

        try
        {
            using var load = VipsOperation.Create(LoaderFor(format));
            load.Set("buffer", data).SetEnum("access", "sequential").SetEnum("fail_on", "error");
            if (shrink > 1)
            {
                if (format == ImageFormat.Jpeg)
                {
                    load.Set("shrink", shrink);
                }
                else
                {
                    load.Set("scale", 1.0 / shrink);
                }
            }

            return load.Build().GetImage("out");
        }
        catch (VipsException error)
        {
            throw Corrupt(format, error);
        }
    }

    private static string LoaderFor(ImageFormat format) => format switch
    {
        ImageFormat.Jpeg => "jpegload_buffer",
        ImageFormat.Png => "pngload_buffer",
        ImageFormat.WebP => "webpload_buffer",
        ImageFormat.Gif => "gifload_buffer",
        ImageFormat.Tiff => "tiffload_buffer",
        _ => "heifload_buffer",
    };

    private void CheckSize(int width, int height)
    {
        if (width > options.MaxSide || height > options.MaxSide || (long)width * height > options.MaxPixels)
        {
            throw new ImageRejectedException(
                ImageRejectionReason.TooLarge,
                $"The image is {width}×{height} pixels; at most {options.MaxPixels} pixels and {options.MaxSide} per side are accepted.");
        }
    }

    private static ImageProbe ReadProbe(ImageFormat format, VipsImage header)
    {
        var (width, height) = Orientation(header) is >= 5 and <= 8 ? (header.Height, header.Width) : (header.Width, header.Height);
        return new ImageProbe(format, width, height, TakenAt(header));
    }

    private static int Orientation(VipsImage image) => image.TryGetInt(OrientationField, out var orientation) ? orientation : 1;

    /// <summary>EXIF DateTimeOriginal; libvips renders it as "2019:05:01 13:45:10 (2019:05:01 13:45:10, ASCII, 20 components, 20 bytes)".</summary>
    private static DateTimeOffset? TakenAt(VipsImage header)
    {
        if (!header.TryGetString(DateTimeOriginalField, out var text) || text is null || text.Length < 19)
        {
            return null;
        }

        return DateTime.TryParseExact(text[..19], "yyyy:MM:dd HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var taken)
            ? new DateTimeOffset(taken, TimeSpan.Zero)
            : null;
    }

    /// <summary>
    /// The largest load-time reduction (JPEG DCT scaling 2/4/8, WebP scaled decoding) that keeps the short side at
    /// least <see cref="ShrinkMargin"/> times the model's size and at least <see cref="MinimumShrunkSide"/>, and the
    /// long side at least the thumbnail's. The scaled decoder is a coarser low-pass filter than decoding fully and
    /// resizing with PIL's kernel; with that much headroom the final resize hides most of it (mean difference to
    /// PIL ≤ 0.005 on the test photos; fine periodic texture keeps single pixels up to ~0.2 apart).
    /// </summary>
    private int ShrinkOnLoad(ImageFormat format, int width, int height, int thumbnailSize)
    {
        if (!options.ShrinkOnLoad || format is not (ImageFormat.Jpeg or ImageFormat.WebP))
        {
            return 1;
        }

        var modelSide = preprocessing.Size * ShrinkMargin;
        var neededShort = Math.Max(MinimumShrunkSide, preprocessing.ResizeMode == ResizeMode.Longest ? 1 : modelSide);
        var neededLong = Math.Max(preprocessing.ResizeMode == ResizeMode.Longest ? modelSide : 1, thumbnailSize);
        foreach (var shrink in (ReadOnlySpan<int>)[8, 4, 2])
        {
            var shrunkWidth = (width + shrink - 1) / shrink;
            var shrunkHeight = (height + shrink - 1) / shrink;
            if (Math.Min(shrunkWidth, shrunkHeight) >= neededShort && Math.Max(shrunkWidth, shrunkHeight) >= neededLong)
            {
                return shrink;
            }
        }

        return 1;
    }

    private const int ShrinkMargin = 4;
    private const int MinimumShrunkSide = 1024;

    /// <summary>A colour layout libvips has no route from (say a two-band Lab TIFF) is the file's problem, not ours.</summary>
    private VipsImage ConvertToSrgb8(ImageFormat format, ImagePipeline pipeline, VipsImage image)
    {
        try
        {
            return ToSrgb8(pipeline, image);
        }
        catch (VipsException error)
        {
            throw new ImageRejectedException(
                ImageRejectionReason.UnsupportedFormat,
                $"This {format.ToString().ToUpperInvariant()} file's colour layout ({image.Bands} bands, {image.Interpretation}, {image.Format}) cannot be converted to RGB.",
                error);
        }
    }

    /// <summary>
    /// 8-bit sRGB with the colour values PIL's <c>convert("RGB")</c> gives: 16-bit to 8-bit, grey replicated into three
    /// bands, CMYK through its embedded profile, or without one by PIL's own formula. An alpha band is kept as a fourth
    /// band (not applied to the colours, which is what PIL does too); other extra bands are dropped.
    /// </summary>
    private VipsImage ToSrgb8(ImagePipeline pipeline, VipsImage image)
    {
        var hasAlpha = image.HasAlpha;
        var isCmyk = image.Interpretation == VipsInterpretation.Cmyk;
        var hasProfile = image.HasField(IccProfileField);
        if (isCmyk && !hasProfile)
        {
            image = NaiveCmykToRgb(pipeline, image);
        }
        else if (hasProfile && (isCmyk || options.ApplyIccProfiles))
        {
            image = pipeline.Call("icc_transform", image, operation => operation
                .Set("output_profile", "srgb")
                .Set("embedded", true)
                .SetEnum("intent", "relative")
                .Set("depth", 8));
        }
        else if (image.Interpretation != VipsInterpretation.Srgb || image.Format != VipsBandFormat.UChar)
        {
            image = pipeline.Call("colourspace", image, operation => operation.SetEnum("space", "srgb"));
        }

        if (image.Format != VipsBandFormat.UChar)
        {
            image = pipeline.Call("cast", image, operation => operation.SetEnum("format", "uchar"));
        }

        // PIL's formula for CMYK leaves no alpha band behind; libvips' conversions carry it after the colours.
        var keep = hasAlpha && image.Bands >= 4 ? 4 : 3;
        if (image.Bands > keep)
        {
            image = pipeline.Call("extract_band", image, operation => operation.Set("band", 0).Set("n", keep));
        }

        return image.Bands is 3 or 4
            ? image
            : throw new ImageRejectedException(ImageRejectionReason.UnsupportedFormat, $"Images with {image.Bands} colour bands are not supported.");
    }

    /// <summary>
    /// PIL's <c>cmyk2rgb</c>, R = (255 − C)(255 − K) / 255 rounded, for CMYK files that carry no profile: without
    /// one the inks are unknown, and this is what the model saw in training (libvips would assume a press profile).
    /// </summary>
    private static VipsImage NaiveCmykToRgb(ImagePipeline pipeline, VipsImage cmyk)
    {
        var inverted = pipeline.Call("invert", cmyk);
        var cmy = pipeline.Call("extract_band", inverted, operation => operation.Set("band", 0).Set("n", 3));
        var black = pipeline.Call("extract_band", inverted, operation => operation.Set("band", 3).Set("n", 1));
        var product = pipeline.Call("multiply", cmy, black);
        var scaled = pipeline.Call("linear", product, operation => operation.Set("a", [1 / 255.0]).Set("b", [0.5]));
        var rounded = pipeline.Call("cast", scaled, operation => operation.SetEnum("format", "uchar"));
        return pipeline.Call("copy", rounded, operation => operation.SetEnum("interpretation", "srgb"));
    }

    private static VipsImage Materialise(ImageFormat format, VipsImage image, CancellationToken cancellationToken)
    {
        using var registration = cancellationToken.Register(static state => ((VipsImage)state!).Kill(), image);
        try
        {
            return image.CopyMemory();
        }
        catch (VipsException error)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw Corrupt(format, error);
        }
    }

    private static ImageRejectedException Corrupt(ImageFormat format, VipsException error) =>
        new(ImageRejectionReason.Corrupt, $"The {format.ToString().ToUpperInvariant()} data is damaged or truncated and cannot be decoded.", error);

    private float[] ToTensor(VipsImage upright)
    {
        var geometry = ClipGeometry.For(upright.Width, upright.Height, preprocessing);
        var pixels = Resize(upright, geometry.ResizedWidth, geometry.ResizedHeight);
        var size = preprocessing.Size;
        var tensor = new float[preprocessing.TensorLength];
        var plane = size * size;
        for (var channel = 0; channel < 3; channel++)
        {
            var channelScale = scale[channel];
            var channelOffset = offset[channel];
            var output = tensor.AsSpan(channel * plane, plane);
            for (var y = 0; y < size; y++)
            {
                var sourceY = y + geometry.Top;
                var row = output.Slice(y * size, size);
                for (var x = 0; x < size; x++)
                {
                    var sourceX = x + geometry.Left;
                    // Outside the resized image is open_clip's black (0) padding, normalised like any pixel.
                    row[x] = sourceX < 0 || sourceY < 0 || sourceX >= geometry.ResizedWidth || sourceY >= geometry.ResizedHeight
                        ? channelOffset
                        : (pixels[(((sourceY * geometry.ResizedWidth) + sourceX) * 3) + channel] * channelScale) + channelOffset;
                }
            }
        }

        return tensor;
    }

    /// <summary>The resized RGB pixels, by Pillow's algorithm (see <see cref="PilResampler"/>).</summary>
    private byte[] Resize(VipsImage image, int width, int height)
    {
        var (inWidth, inHeight) = (image.Width, image.Height);
        return image.ReadPixels(pixels => PilResampler.Resize(pixels, inWidth, inHeight, width, height, preprocessing.Interpolation));
    }

    /// <summary>
    /// The display thumbnail. WebP keeps an alpha band; JPEG has none, so transparent pixels become white (what a
    /// browser shows them on) rather than whatever colour the file stored under them.
    /// </summary>
    private byte[] Thumbnail(ImagePipeline pipeline, VipsImage upright, int thumbnailSize)
    {
        var longSide = Math.Max(upright.Width, upright.Height);
        var image = upright;
        if (image.Bands == 4 && options.ThumbnailFormat == ThumbnailFormat.Jpeg)
        {
            image = pipeline.Call("flatten", image, operation => operation.Set("background", [255.0, 255.0, 255.0]));
        }

        if (longSide > thumbnailSize)
        {
            var scale = (double)thumbnailSize / longSide;
            image = image.Bands == 4 ? ResizeWithAlpha(pipeline, image, scale) : Lanczos(pipeline, image, scale);
        }

        // Materialised first: webpsave leaks when an error surfaces inside it, and this keeps saver work apart.
        image = pipeline.Keep(image.CopyMemory());
        using var save = VipsOperation.Create(options.ThumbnailFormat == ThumbnailFormat.Jpeg ? "jpegsave_buffer" : "webpsave_buffer");
        save.Set("in", image).Set("Q", options.ThumbnailQuality).Set("strip", true);
        return save.Build().GetBuffer("buffer");
    }

    private static VipsImage Lanczos(ImagePipeline pipeline, VipsImage image, double scale) =>
        pipeline.Call("resize", image, operation => operation.Set("scale", scale).SetEnum("kernel", "lanczos3"));

    // Resampled premultiplied, or the colour hidden under transparent pixels bleeds into the edges of what is visible.
    private static VipsImage ResizeWithAlpha(ImagePipeline pipeline, VipsImage image, double scale)
    {
        var premultiplied = pipeline.Call("premultiply", image);
        var resized = Lanczos(pipeline, premultiplied, scale);
        var straight = pipeline.Call("unpremultiply", resized);
        return pipeline.Call("cast", straight, operation => operation.SetEnum("format", "uchar"));
    }
}
