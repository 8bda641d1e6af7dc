namespace SearchService.Core.Storage;

/// <summary>Kinds of blob kept per image.</summary>
public enum BlobKind
{
    Original,
    Thumbnail,
}

/// <summary>
/// Content-addressed files (originals and thumbnails) under the data directory. Writes are atomic
/// (temporary file, flush, rename) and idempotent: writing the same key twice is harmless.
/// </summary>
public interface IBlobStore
{
    Task PutAsync(string sha256, BlobKind kind, ReadOnlyMemory<byte> content, CancellationToken cancellationToken);

    /// <summary>Copies a stream into the store; used for originals that were spooled to disk.</summary>
    Task PutAsync(string sha256, BlobKind kind, Stream content, CancellationToken cancellationToken);

    /// <summary>Full path of the blob for range-capable file responses, or null if missing.</summary>
    string? GetPath(string sha256, BlobKind kind);

    Task<bool> ExistsAsync(string sha256, BlobKind kind, CancellationToken cancellationToken);

    Task DeleteAsync(string sha256, BlobKind kind, CancellationToken cancellationToken);

    /// <summary>Every sha256 that has at least one blob (for reconciliation).</summary>
    IAsyncEnumerable<string> ListKeysAsync(CancellationToken cancellationToken);
}
