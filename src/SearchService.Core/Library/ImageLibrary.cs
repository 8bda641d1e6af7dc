using SearchService.Core.Models;
using SearchService.Core.Storage;

namespace SearchService.Core.Library;

/// <summary>
/// The one writer of images. Every change runs under a lock on the image's SHA-256, so identical bytes
/// uploaded at once are stored once and a delete never interleaves with an upload of the same content.
/// Failed writes are undone on the spot where possible; what a crash leaves behind, <see cref="ReconcileAsync"/> removes.
/// </summary>
public sealed class ImageLibrary : IImageLibrary
{
    private const int DeleteBatchSize = 256;

    private readonly IImageCatalog _catalog;
    private readonly IVectorStore _vectors;
    private readonly IBlobStore _blobs;
    private readonly VectorCollection _collection;
    private readonly TimeProvider _time;
    private readonly Sha256Locks _locks = new();

    public ImageLibrary(IImageCatalog catalog, IVectorStore vectors, IBlobStore blobs, ModelDescriptor model, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(model);
        _catalog = catalog;
        _vectors = vectors;
        _blobs = blobs;
        _time = time;
        _collection = new VectorCollection(model.CollectionName, model.EmbeddingDimensions);
    }

    /// <summary>The vector collection this library writes to (one per model).</summary>
    public VectorCollection Collection => _collection;

    public async Task<IReadOnlyList<StoredImage>> StoreAsync(IReadOnlyList<NewImage> images, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(images);
        foreach (var image in images)
        {
            Validate(image);
        }

        if (images.Count == 0)
        {
            return [];
        }

        using var locks = await _locks.AcquireAsync(images.Select(i => i.Sha256), cancellationToken).ConfigureAwait(false);

        var results = new StoredImage?[images.Count];
        var firstIndexBySha = new Dictionary<string, int>(StringComparer.Ordinal);
        var fresh = new List<(int Index, ImageRecord Record)>();
        var now = _time.GetUtcNow();
        for (var i = 0; i < images.Count; i++)
        {
            var image = images[i];
            if (firstIndexBySha.ContainsKey(image.Sha256))
            {
                continue;
            }

            firstIndexBySha[image.Sha256] = i;
            var existing = await _catalog.FindBySha256Async(image.Sha256, cancellationToken).ConfigureAwait(false);
            if (existing is not null)
            {
                results[i] = new StoredImage(existing, Duplicate: true);
                continue;
            }

            fresh.Add((i, ToRecord(image, now)));
        }

        if (fresh.Count > 0)
        {
            await WriteFreshAsync(images, fresh, results, cancellationToken).ConfigureAwait(false);
        }

        // Later copies of the same bytes within this batch point at the first one.
        for (var i = 0; i < images.Count; i++)
        {
            results[i] ??= new StoredImage(results[firstIndexBySha[images[i].Sha256]]!.Record, Duplicate: true);
        }

        return results!;
    }

    public async Task<ImageRecord?> UpdateAsync(Guid id, ImagePatch patch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(patch);
        var current = await _catalog.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (current is null)
        {
            return null;
        }

        using var locks = await _locks.AcquireAsync([current.Sha256], cancellationToken).ConfigureAwait(false);
        var updated = await _catalog.UpdateAsync(id, patch, cancellationToken).ConfigureAwait(false);
        if (updated is null)
        {
            return null;
        }

        // The catalog is the record; the payload copy follows it. A failure here surfaces to the caller and a retry repairs it.
        if (!await _vectors.SetPayloadAsync(_collection, id, updated.ToPayload(), cancellationToken).ConfigureAwait(false))
        {
            throw new VectorStoreException($"Image {id} has a catalog row but no vector in '{_collection.Name}'.");
        }

        return updated;
    }

    public async Task<bool> DeleteAsync(Guid id, CancellationToken cancellationToken)
    {
        var current = await _catalog.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (current is null)
        {
            return false;
        }

        using var locks = await _locks.AcquireAsync([current.Sha256], cancellationToken).ConfigureAwait(false);
        if (!await _catalog.DeleteAsync(id, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        // The row is gone, so the image no longer exists; what follows is cleanup that must not stop half-way
        // because the client went away, nor skip the blobs because the vector store is down. What fails is left
        // for reconciliation, and the caller learns of it without being told the delete failed.
        Exception? leftover = null;
#pragma warning disable CA1031 // Collected and reported as ImageCleanupException once both steps have been tried.
        try
        {
            await _vectors.DeleteAsync(_collection, [id], CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception error)
        {
            leftover = error;
        }

        try
        {
            await DeleteBlobsAsync(current.Sha256, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception error)
        {
            leftover ??= error;
        }
#pragma warning restore CA1031

        return leftover is null ? true : throw new ImageCleanupException(id, leftover);
    }

    /// <summary>
    /// Removes vectors and blobs without a catalog row. Blob checks hold the per-image lock; vectors are
    /// compared against a snapshot of the catalog, so run this when no ingest is in flight (at start-up).
    /// </summary>
    public async Task<int> ReconcileAsync(CancellationToken cancellationToken)
    {
        var ids = new HashSet<Guid>();
        await foreach (var id in _catalog.ListIdsAsync(cancellationToken).ConfigureAwait(false))
        {
            ids.Add(id);
        }

        var removed = 0;
        var orphanVectors = new List<Guid>();
        await foreach (var id in _vectors.ListIdsAsync(_collection, cancellationToken).ConfigureAwait(false))
        {
            if (!ids.Contains(id))
            {
                orphanVectors.Add(id);
            }
        }

        foreach (var chunk in orphanVectors.Chunk(DeleteBatchSize))
        {
            await _vectors.DeleteAsync(_collection, chunk, cancellationToken).ConfigureAwait(false);
            removed += chunk.Length;
        }

        var keys = new List<string>();
        await foreach (var key in _blobs.ListKeysAsync(cancellationToken).ConfigureAwait(false))
        {
            keys.Add(key);
        }

        foreach (var key in keys)
        {
            using var locks = await _locks.AcquireAsync([key], cancellationToken).ConfigureAwait(false);
            if (await _catalog.FindBySha256Async(key, cancellationToken).ConfigureAwait(false) is null)
            {
                await DeleteBlobsAsync(key, cancellationToken).ConfigureAwait(false);
                removed++;
            }
        }

        return removed;
    }

    private async Task WriteFreshAsync(
        IReadOnlyList<NewImage> images,
        List<(int Index, ImageRecord Record)> fresh,
        StoredImage?[] results,
        CancellationToken cancellationToken)
    {
        var uncommitted = fresh.ToList();
        try
        {
            foreach (var (index, _) in fresh)
            {
                var image = images[index];
                await _blobs.PutAsync(image.Sha256, BlobKind.Original, image.Original, cancellationToken).ConfigureAwait(false);
                if (image.Prepared.Thumbnail.Length > 0)
                {
                    await _blobs.PutAsync(image.Sha256, BlobKind.Thumbnail, image.Prepared.Thumbnail, cancellationToken).ConfigureAwait(false);
                }
            }

            var points = fresh.Select(f => new VectorPoint(f.Record.Id, images[f.Index].Embedding, f.Record.ToPayload())).ToList();
            await _vectors.UpsertAsync(_collection, points, cancellationToken).ConfigureAwait(false);

            foreach (var (index, record) in fresh)
            {
                // The commit point. Once any row is written, the batch no longer honours cancellation, so that
                // the rest commits or is undone consistently.
                var (stored, added) = await _catalog.AddOrGetAsync(record, CancellationToken.None).ConfigureAwait(false);
                uncommitted.RemoveAll(u => u.Index == index);
                results[index] = new StoredImage(stored, Duplicate: !added);
                if (!added)
                {
                    // Another process committed the same bytes first: our vector is surplus, the blobs are shared.
                    await _vectors.DeleteAsync(_collection, [record.Id], CancellationToken.None).ConfigureAwait(false);
                }
            }
        }
        catch
        {
            await UndoAsync(uncommitted.Select(u => (u.Record.Id, u.Record.Sha256)).ToList()).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Best-effort removal of what an uncommitted write left; anything that fails here reconciliation removes later.</summary>
    private async Task UndoAsync(IReadOnlyList<(Guid Id, string Sha256)> written)
    {
        if (written.Count == 0)
        {
            return;
        }

        try
        {
            await _vectors.DeleteAsync(_collection, written.Select(w => w.Id).ToList(), CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The original failure is what the caller must see; this cleanup is retried by reconciliation.
        catch (Exception)
        {
        }

        foreach (var (_, sha256) in written)
        {
            try
            {
                await DeleteBlobsAsync(sha256, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception)
            {
            }
        }
#pragma warning restore CA1031
    }

    private async Task DeleteBlobsAsync(string sha256, CancellationToken cancellationToken)
    {
        await _blobs.DeleteAsync(sha256, BlobKind.Thumbnail, cancellationToken).ConfigureAwait(false);
        await _blobs.DeleteAsync(sha256, BlobKind.Original, cancellationToken).ConfigureAwait(false);
    }

    private void Validate(NewImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Sha256 is not { Length: 64 } || !image.Sha256.All(char.IsAsciiHexDigitLower))
        {
            throw new ArgumentException("Sha256 must be 64 lower-case hex digits.", nameof(image));
        }

        if (image.Embedding.Length != _collection.Dimensions)
        {
            throw new ArgumentException(
                $"Embedding has {image.Embedding.Length} dimensions; collection '{_collection.Name}' has {_collection.Dimensions}.",
                nameof(image));
        }
    }

    private static ImageRecord ToRecord(NewImage image, DateTimeOffset now) => new(
        Guid.CreateVersion7(now),
        image.Sha256,
        image.Prepared.Probe.MimeType,
        image.Original.Length,
        image.Prepared.Probe.Width,
        image.Prepared.Probe.Height,
        image.FileName,
        now,
        image.TakenAt ?? image.Prepared.Probe.TakenAt,
        image.Tags.Distinct(StringComparer.Ordinal).ToList(),
        new Dictionary<string, string>(image.Metadata, StringComparer.Ordinal));
}
