using SearchService.Core.Images;
using SearchService.Core.Storage;

namespace SearchService.Core.Library;

/// <summary>An image ready to be stored: hashed, decoded once, embedded.</summary>
/// <param name="Sha256">Lower-case hex SHA-256 of <see cref="Original"/>.</param>
/// <param name="Original">The uploaded bytes, stored unchanged.</param>
/// <param name="Prepared">Decode results (size, format, thumbnail).</param>
/// <param name="Embedding">Unit-length image embedding from the current model.</param>
/// <param name="FileName">Name the uploader gave, if any.</param>
/// <param name="Tags">Initial tags.</param>
/// <param name="Metadata">Initial metadata.</param>
/// <param name="TakenAt">Overrides the EXIF date when the uploader states one.</param>
public sealed record NewImage(
    string Sha256,
    ReadOnlyMemory<byte> Original,
    PreparedImage Prepared,
    float[] Embedding,
    string? FileName,
    IReadOnlyList<string> Tags,
    IReadOnlyDictionary<string, string> Metadata,
    DateTimeOffset? TakenAt = null);

/// <summary>Outcome of storing one image.</summary>
/// <param name="Record">The stored record (the existing one for a duplicate).</param>
/// <param name="Duplicate">True when identical bytes were already stored; nothing new was written.</param>
public sealed record StoredImage(ImageRecord Record, bool Duplicate);

/// <summary>
/// Writes and removes images across the blob store, the vector store and the catalog with one protocol:
/// blobs first, then the vector, then the catalog row as the commit point (deletes run in reverse). A crash
/// at any step leaves at most orphans that <see cref="ReconcileAsync"/> removes, never a half-visible image.
/// </summary>
public interface IImageLibrary
{
    /// <summary>Stores images in one batch (one vector upsert, one catalog transaction); results in input order.</summary>
    Task<IReadOnlyList<StoredImage>> StoreAsync(IReadOnlyList<NewImage> images, CancellationToken cancellationToken);

    /// <summary>Updates tags/metadata in the catalog and the vector payload; null if the image does not exist.</summary>
    Task<ImageRecord?> UpdateAsync(Guid id, ImagePatch patch, CancellationToken cancellationToken);

    /// <summary>Removes row, vector and blobs; false if the image did not exist.</summary>
    Task<bool> DeleteAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>Removes vectors and blobs that have no catalog row (left by a crash); returns how many were removed.</summary>
    Task<int> ReconcileAsync(CancellationToken cancellationToken);
}
