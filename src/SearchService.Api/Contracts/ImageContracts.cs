using SearchService.Core.Storage;

namespace SearchService.Api.Contracts;

/// <summary>A stored image.</summary>
/// <param name="Id">Stable id.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the original bytes (also its ETag).</param>
/// <param name="MimeType">Content type of the original, detected from its bytes.</param>
/// <param name="SizeBytes">Size of the original in bytes.</param>
/// <param name="Width">Displayed width in pixels (after EXIF orientation).</param>
/// <param name="Height">Displayed height in pixels (after EXIF orientation).</param>
/// <param name="FileName">Name given at upload, if any.</param>
/// <param name="UploadedAt">When the image was first stored (UTC).</param>
/// <param name="TakenAt">When the photo was taken, if known.</param>
/// <param name="Tags">Tags.</param>
/// <param name="Metadata">Free key/value pairs.</param>
/// <param name="ThumbnailUrl">Relative URL of the thumbnail.</param>
/// <param name="OriginalUrl">Relative URL of the original bytes.</param>
public sealed record ImageDto(
    Guid Id,
    string Sha256,
    string MimeType,
    long SizeBytes,
    int Width,
    int Height,
    string? FileName,
    DateTimeOffset UploadedAt,
    DateTimeOffset? TakenAt,
    IReadOnlyList<string> Tags,
    IReadOnlyDictionary<string, string> Metadata,
    string ThumbnailUrl,
    string OriginalUrl)
{
    public static ImageDto From(ImageRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return new ImageDto(
            record.Id,
            record.Sha256,
            record.MimeType,
            record.SizeBytes,
            record.Width,
            record.Height,
            record.FileName,
            record.UploadedAt,
            record.TakenAt,
            record.Tags,
            record.Metadata,
            $"/api/images/{record.Id}/thumbnail",
            $"/api/images/{record.Id}/original");
    }
}

/// <summary>One page of images, newest first.</summary>
/// <param name="Items">Images on this page.</param>
/// <param name="NextCursor">Pass as <c>cursor</c> for the next page; null on the last page.</param>
public sealed record ImagePageDto(IReadOnlyList<ImageDto> Items, string? NextCursor);

/// <summary>Outcome of an upload: one item per file part, in the order sent.</summary>
/// <param name="Items">Per-file results.</param>
/// <param name="Created">Files stored as new images.</param>
/// <param name="Duplicates">Files whose bytes were already stored (the existing image is returned).</param>
/// <param name="Failed">Files refused (see each item's <c>error</c>); nothing was stored for them.</param>
public sealed record UploadResponse(IReadOnlyList<UploadItemDto> Items, int Created, int Duplicates, int Failed);

/// <summary>Result for one uploaded file: either the image or an error.</summary>
/// <param name="Index">Zero-based position of the file part in the request.</param>
/// <param name="FileName">File name sent with the part.</param>
/// <param name="Id">Image id (new or existing).</param>
/// <param name="Sha256">SHA-256 of the bytes.</param>
/// <param name="Width">Displayed width.</param>
/// <param name="Height">Displayed height.</param>
/// <param name="Duplicate">True when these bytes were already stored; nothing new was written.</param>
/// <param name="Error">Why the file was refused; null on success.</param>
public sealed record UploadItemDto(
    int Index,
    string? FileName,
    Guid? Id,
    string? Sha256,
    int? Width,
    int? Height,
    bool? Duplicate,
    UploadErrorDto? Error);

/// <summary>Why one file of an upload was refused.</summary>
/// <param name="Status">The HTTP status this error has on its own (400, 413, 415).</param>
/// <param name="Title">Short reason.</param>
/// <param name="Detail">What was wrong with this file.</param>
public sealed record UploadErrorDto(int Status, string Title, string Detail);

/// <summary>Changes to an image; members left out are not changed.</summary>
/// <param name="Tags">Replaces all tags.</param>
/// <param name="Metadata">Merged into the metadata; a null value removes that key.</param>
/// <param name="TakenAt">Replaces the taken date.</param>
public sealed record PatchImageRequest(
    IReadOnlyList<string>? Tags,
    IReadOnlyDictionary<string, string?>? Metadata,
    DateTimeOffset? TakenAt);
