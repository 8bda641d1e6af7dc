namespace SearchService.Core.Storage;

/// <summary>A stored image: identity, content facts and user-editable tags and metadata.</summary>
/// <param name="Id">Stable id; also the vector point id.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the original bytes; identical bytes are stored once.</param>
/// <param name="MimeType">Content type of the original, detected from its bytes.</param>
/// <param name="SizeBytes">Size of the original.</param>
/// <param name="Width">Displayed width (after EXIF orientation).</param>
/// <param name="Height">Displayed height (after EXIF orientation).</param>
/// <param name="FileName">Name the uploader gave, for display only; may be null.</param>
/// <param name="UploadedAt">When the image was first stored (UTC).</param>
/// <param name="TakenAt">When the photo was taken, if known (UTC).</param>
/// <param name="Tags">Distinct tags, case-sensitive, in insertion order.</param>
/// <param name="Metadata">Free key/value pairs; filterable by equality.</param>
public sealed record ImageRecord(
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
    IReadOnlyDictionary<string, string> Metadata)
{
    /// <summary>The part of the record that vector stores keep beside each vector to filter on.</summary>
    public ImagePayload ToPayload() => new(Tags, Metadata, UploadedAt, TakenAt);
}

/// <summary>Filterable facts stored beside a vector.</summary>
public sealed record ImagePayload(
    IReadOnlyList<string> Tags,
    IReadOnlyDictionary<string, string> Metadata,
    DateTimeOffset UploadedAt,
    DateTimeOffset? TakenAt);

/// <summary>A change to tags and metadata; null members are left as they are.</summary>
/// <param name="Tags">Replaces all tags when set.</param>
/// <param name="Metadata">Merged into the metadata when set; a null value removes the key.</param>
/// <param name="TakenAt">Replaces the taken date when set.</param>
public sealed record ImagePatch(
    IReadOnlyList<string>? Tags = null,
    IReadOnlyDictionary<string, string?>? Metadata = null,
    DateTimeOffset? TakenAt = null)
{
    /// <summary>The metadata an image with <paramref name="current"/> has after this patch.</summary>
    public Dictionary<string, string> MergeMetadata(IReadOnlyDictionary<string, string> current)
    {
        ArgumentNullException.ThrowIfNull(current);
        var merged = new Dictionary<string, string>(current, StringComparer.Ordinal);
        foreach (var (key, value) in Metadata ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                merged.Remove(key);
            }
            else
            {
                merged[key] = value;
            }
        }

        return merged;
    }
}
