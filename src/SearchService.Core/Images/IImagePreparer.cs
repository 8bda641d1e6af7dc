namespace SearchService.Core.Images;

/// <summary>
/// Decodes untrusted image bytes once and produces everything the service keeps or needs from them:
/// the model's input tensor, the display size and a thumbnail. Safe on hostile input: every failure is an
/// <see cref="ImageRejectedException"/>.
/// </summary>
public interface IImagePreparer
{
    /// <summary>Reads only the header: format and size, with limits checked. Cheap.</summary>
    ImageProbe Probe(ReadOnlySpan<byte> data);

    /// <summary>Full preparation. CPU-bound and synchronous: callers choose the thread.</summary>
    PreparedImage Prepare(ReadOnlyMemory<byte> data, PrepareOptions options, CancellationToken cancellationToken);
}

/// <summary>Header facts of an accepted image.</summary>
/// <param name="Format">Detected from magic bytes, never the file name.</param>
/// <param name="Width">Displayed width, after EXIF orientation.</param>
/// <param name="Height">Displayed height, after EXIF orientation.</param>
/// <param name="TakenAt">EXIF DateTimeOriginal when present and valid (no time zone in EXIF: read as UTC).</param>
public sealed record ImageProbe(ImageFormat Format, int Width, int Height, DateTimeOffset? TakenAt = null)
{
    public string MimeType => Format.MimeType();
}

/// <summary>What to produce besides the model tensor.</summary>
/// <param name="ThumbnailSize">Longest side of the display thumbnail; 0 for none.</param>
public sealed record PrepareOptions(int ThumbnailSize = 320);

/// <summary>The result of decoding an image once.</summary>
/// <param name="Probe">Format and displayed size.</param>
/// <param name="Tensor">CHW float32 tensor, normalised as the model expects.</param>
/// <param name="Thumbnail">Encoded display thumbnail (see <see cref="ThumbnailMimeType"/>), or empty.</param>
/// <param name="ThumbnailMimeType">Content type of <see cref="Thumbnail"/>.</param>
public sealed record PreparedImage(ImageProbe Probe, float[] Tensor, byte[] Thumbnail, string ThumbnailMimeType);
