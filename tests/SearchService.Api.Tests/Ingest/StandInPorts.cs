using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using SearchService.Core.Images;
using SearchService.Core.Models;
using SearchService.Core.Storage;

namespace SearchService.Api.Tests.Ingest;

// Stand-ins for the adapters that are not merged into this branch yet (libvips preparation, the embedded
// store). They keep the contracts the real ones document: content-detected formats, typed rejections,
// dedupe by SHA-256 in the catalog, idempotent blobs and upserts.

/// <summary>Accepts PNGs only (by magic bytes), rejects truncated ones as corrupt, like the libvips preparer does.</summary>
internal sealed class PngOnlyPreparer(ModelDescriptor model) : IImagePreparer
{
    private static readonly byte[] Magic = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    public int Prepared;

    public ImageProbe Probe(ReadOnlySpan<byte> data)
    {
        if (data.Length == 0)
        {
            throw new ImageRejectedException(ImageRejectionReason.Empty, "The file is empty.");
        }

        if (data.Length < 24 || !data[..8].SequenceEqual(Magic))
        {
            throw new ImageRejectedException(ImageRejectionReason.UnsupportedFormat, "Not an image format this service accepts.");
        }

        var width = (data[16] << 24) | (data[17] << 16) | (data[18] << 8) | data[19];
        var height = (data[20] << 24) | (data[21] << 16) | (data[22] << 8) | data[23];
        return new ImageProbe(ImageFormat.Png, width, height);
    }

    public PreparedImage Prepare(ReadOnlyMemory<byte> data, PrepareOptions options, CancellationToken cancellationToken)
    {
        var probe = Probe(data.Span);
        if (data.Span.IndexOf("IEND"u8) < 0)
        {
            throw new ImageRejectedException(ImageRejectionReason.Corrupt, "The PNG data is truncated.");
        }

        Interlocked.Increment(ref Prepared);
        var tensor = new float[model.Preprocessing.TensorLength];
        var bytes = data.Span;
        for (var i = 0; i < tensor.Length; i++)
        {
            tensor[i] = (bytes[(i * 7) % bytes.Length] / 255f) - 0.5f;
        }

        return new PreparedImage(probe, tensor, data.ToArray(), "image/png");
    }
}

internal sealed class InMemoryCatalog : IImageCatalog
{
    private readonly ConcurrentDictionary<Guid, ImageRecord> _byId = new();
    private readonly Lock _gate = new();

    public Task<ImageRecord?> GetAsync(Guid id, CancellationToken cancellationToken) =>
        Task.FromResult(_byId.GetValueOrDefault(id));

    public Task<ImageRecord?> FindBySha256Async(string sha256, CancellationToken cancellationToken) =>
        Task.FromResult(_byId.Values.FirstOrDefault(record => record.Sha256 == sha256));

    public Task<(ImageRecord Record, bool Added)> AddOrGetAsync(ImageRecord record, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var existing = _byId.Values.FirstOrDefault(r => r.Sha256 == record.Sha256);
            if (existing is not null)
            {
                return Task.FromResult((existing, false));
            }

            _byId[record.Id] = record;
            return Task.FromResult((record, true));
        }
    }

    public Task<ImageRecord?> UpdateAsync(Guid id, ImagePatch patch, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<bool> DeleteAsync(Guid id, CancellationToken cancellationToken) => Task.FromResult(_byId.TryRemove(id, out _));

    public Task<Page<ImageRecord>> ListAsync(ImageFilter filter, string? cursor, int limit, CancellationToken cancellationToken) =>
        Task.FromResult(new Page<ImageRecord>(_byId.Values.OrderByDescending(r => r.UploadedAt).Take(limit).ToArray(), null));

    public Task<IReadOnlyList<ImageRecord>> GetManyAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<ImageRecord>>(ids.Select(id => _byId.GetValueOrDefault(id)).OfType<ImageRecord>().ToArray());

    public Task<long> CountAsync(CancellationToken cancellationToken) => Task.FromResult((long)_byId.Count);

    public async IAsyncEnumerable<Guid> ListIdsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        foreach (var id in _byId.Keys)
        {
            yield return id;
        }
    }

    public IReadOnlyCollection<ImageRecord> All => _byId.Values.ToArray();
}

internal sealed class InMemoryVectorStore : IVectorStore
{
    private readonly ConcurrentDictionary<Guid, VectorPoint> _points = new();

    public IReadOnlyCollection<Guid> Ids => _points.Keys.ToArray();

    public Task EnsureCollectionAsync(VectorCollection collection, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task UpsertAsync(VectorCollection collection, IReadOnlyList<VectorPoint> points, CancellationToken cancellationToken)
    {
        foreach (var point in points)
        {
            _points[point.Id] = point;
        }

        return Task.CompletedTask;
    }

    public Task<bool> SetPayloadAsync(VectorCollection collection, Guid id, ImagePayload payload, CancellationToken cancellationToken) =>
        Task.FromResult(_points.ContainsKey(id));

    public Task DeleteAsync(VectorCollection collection, IReadOnlyList<Guid> ids, CancellationToken cancellationToken)
    {
        foreach (var id in ids)
        {
            _points.TryRemove(id, out _);
        }

        return Task.CompletedTask;
    }

    public Task<float[]?> GetVectorAsync(VectorCollection collection, Guid id, CancellationToken cancellationToken) =>
        Task.FromResult(_points.TryGetValue(id, out var point) ? point.Vector : null);

    public Task<IReadOnlyList<ScoredPoint>> SearchAsync(VectorCollection collection, VectorQuery query, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<ScoredPoint>>(_points.Values
            .Select(point => new ScoredPoint(point.Id, point.Vector.Zip(query.Vector, (a, b) => a * b).Sum()))
            .OrderByDescending(hit => hit.Score).ThenBy(hit => hit.Id).Skip(query.Offset).Take(query.Limit).ToArray());

    public Task<long> CountAsync(VectorCollection collection, ImageFilter? filter, CancellationToken cancellationToken) =>
        Task.FromResult((long)_points.Count);

    public async IAsyncEnumerable<Guid> ListIdsAsync(VectorCollection collection, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        foreach (var id in _points.Keys)
        {
            yield return id;
        }
    }

    public Task<bool> IsReadyAsync(CancellationToken cancellationToken) => Task.FromResult(true);
}

internal sealed class InMemoryBlobStore : IBlobStore
{
    private readonly ConcurrentDictionary<(string, BlobKind), byte[]> _blobs = new();

    public IReadOnlyCollection<string> Keys => _blobs.Keys.Select(key => key.Item1).Distinct().ToArray();

    public Task PutAsync(string sha256, BlobKind kind, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        _blobs[(sha256, kind)] = content.ToArray();
        return Task.CompletedTask;
    }

    public async Task PutAsync(string sha256, BlobKind kind, Stream content, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await content.CopyToAsync(buffer, cancellationToken);
        _blobs[(sha256, kind)] = buffer.ToArray();
    }

    public string? GetPath(string sha256, BlobKind kind) => null;

    public Task<bool> ExistsAsync(string sha256, BlobKind kind, CancellationToken cancellationToken) =>
        Task.FromResult(_blobs.ContainsKey((sha256, kind)));

    public Task DeleteAsync(string sha256, BlobKind kind, CancellationToken cancellationToken)
    {
        _blobs.TryRemove((sha256, kind), out _);
        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<string> ListKeysAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        foreach (var key in Keys)
        {
            yield return key;
        }
    }
}
