namespace SearchService.Core.Storage;

/// <summary>A page of results with an opaque cursor for the next one (null at the end).</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);

/// <summary>
/// The system of record for images (SQLite). A row here is the commit point of an ingest: an image exists
/// exactly when its row does; vectors and blobs without a row are orphans that reconciliation removes.
/// </summary>
public interface IImageCatalog
{
    Task<ImageRecord?> GetAsync(Guid id, CancellationToken cancellationToken);

    Task<ImageRecord?> FindBySha256Async(string sha256, CancellationToken cancellationToken);

    /// <summary>Adds the record unless one with the same SHA-256 exists; returns the stored record either way.</summary>
    Task<(ImageRecord Record, bool Added)> AddOrGetAsync(ImageRecord record, CancellationToken cancellationToken);

    /// <summary>Applies a patch; null if the image does not exist.</summary>
    Task<ImageRecord?> UpdateAsync(Guid id, ImagePatch patch, CancellationToken cancellationToken);

    /// <summary>Deletes the row; false if it did not exist.</summary>
    Task<bool> DeleteAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>Newest first (uploaded time, then id), filtered; cursor from a previous page.</summary>
    Task<Page<ImageRecord>> ListAsync(ImageFilter filter, string? cursor, int limit, CancellationToken cancellationToken);

    /// <summary>Records for these ids, in no particular order; missing ids are skipped.</summary>
    Task<IReadOnlyList<ImageRecord>> GetManyAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken);

    Task<long> CountAsync(CancellationToken cancellationToken);

    /// <summary>Every id (for reconciliation and re-indexing).</summary>
    IAsyncEnumerable<Guid> ListIdsAsync(CancellationToken cancellationToken);
}
