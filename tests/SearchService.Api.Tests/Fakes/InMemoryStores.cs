using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using SearchService.Core.Storage;

namespace SearchService.Api.Tests.Fakes;

/// <summary>Catalog in memory, for domain tests that inject failures and races the real store cannot stage.</summary>
internal sealed class InMemoryCatalog : IImageCatalog
{
    private readonly ConcurrentDictionary<Guid, ImageRecord> _rows = new();
    private readonly Lock _gate = new();

    public Func<ImageRecord, Exception?> FailAdd { get; set; } = _ => null;

    public IReadOnlyCollection<ImageRecord> Rows => _rows.Values.ToList();

    public Task<ImageRecord?> GetAsync(Guid id, CancellationToken cancellationToken) => Task.FromResult(_rows.GetValueOrDefault(id));

    public Task<ImageRecord?> FindBySha256Async(string sha256, CancellationToken cancellationToken) =>
        Task.FromResult(_rows.Values.FirstOrDefault(r => r.Sha256 == sha256));

    public async Task<(ImageRecord Record, bool Added)> AddOrGetAsync(ImageRecord record, CancellationToken cancellationToken)
    {
        await Task.Yield();
        if (FailAdd(record) is { } failure)
        {
            throw failure;
        }

        lock (_gate)
        {
            var existing = _rows.Values.FirstOrDefault(r => r.Sha256 == record.Sha256);
            if (existing is not null)
            {
                return (existing, false);
            }

            _rows[record.Id] = record;
            return (record, true);
        }
    }

    public void Insert(ImageRecord record) => _rows[record.Id] = record;

    public Task<ImageRecord?> UpdateAsync(Guid id, ImagePatch patch, CancellationToken cancellationToken)
    {
        if (!_rows.TryGetValue(id, out var current))
        {
            return Task.FromResult<ImageRecord?>(null);
        }

        var metadata = new Dictionary<string, string>(current.Metadata);
        foreach (var (key, value) in patch.Metadata ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                metadata.Remove(key);
            }
            else
            {
                metadata[key] = value;
            }
        }

        var updated = current with { Tags = patch.Tags ?? current.Tags, Metadata = metadata, TakenAt = patch.TakenAt ?? current.TakenAt };
        _rows[id] = updated;
        return Task.FromResult<ImageRecord?>(updated);
    }

    public Task<bool> DeleteAsync(Guid id, CancellationToken cancellationToken) => Task.FromResult(_rows.TryRemove(id, out _));

    public Task<Page<ImageRecord>> ListAsync(ImageFilter filter, string? cursor, int limit, CancellationToken cancellationToken)
    {
        var skip = cursor is null ? 0 : int.Parse(cursor, System.Globalization.CultureInfo.InvariantCulture);
        var matching = _rows.Values.Where(r => filter.Matches(r.ToPayload())).OrderByDescending(r => r.UploadedAt).ThenByDescending(r => r.Id).ToList();
        var page = matching.Skip(skip).Take(limit).ToList();
        var next = skip + limit < matching.Count ? (skip + limit).ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
        return Task.FromResult(new Page<ImageRecord>(page, next));
    }

    public Task<IReadOnlyList<ImageRecord>> GetManyAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<ImageRecord>>(ids.Select(id => _rows.GetValueOrDefault(id)).OfType<ImageRecord>().ToList());

    public Task<long> CountAsync(CancellationToken cancellationToken) => Task.FromResult((long)_rows.Count);

    public async IAsyncEnumerable<Guid> ListIdsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        foreach (var id in _rows.Keys)
        {
            yield return id;
        }
    }
}

/// <summary>Brute-force cosine store in memory with the reference filter semantics.</summary>
internal sealed class InMemoryVectorStore : IVectorStore
{
    private readonly ConcurrentDictionary<Guid, VectorPoint> _points = new();

    public Func<Exception?> FailUpsert { get; set; } = () => null;

    public Func<Exception?> FailDelete { get; set; } = () => null;

    public IReadOnlyCollection<Guid> Ids => _points.Keys.ToList();

    public Task EnsureCollectionAsync(VectorCollection collection, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task UpsertAsync(VectorCollection collection, IReadOnlyList<VectorPoint> points, CancellationToken cancellationToken)
    {
        if (FailUpsert() is { } failure)
        {
            throw failure;
        }

        foreach (var point in points)
        {
            _points[point.Id] = point;
        }

        return Task.CompletedTask;
    }

    public Task<bool> SetPayloadAsync(VectorCollection collection, Guid id, ImagePayload payload, CancellationToken cancellationToken)
    {
        if (!_points.TryGetValue(id, out var point))
        {
            return Task.FromResult(false);
        }

        _points[id] = point with { Payload = payload };
        return Task.FromResult(true);
    }

    public Task DeleteAsync(VectorCollection collection, IReadOnlyList<Guid> ids, CancellationToken cancellationToken)
    {
        if (FailDelete() is { } failure)
        {
            throw failure;
        }

        foreach (var id in ids)
        {
            _points.TryRemove(id, out _);
        }

        return Task.CompletedTask;
    }

    public Task<float[]?> GetVectorAsync(VectorCollection collection, Guid id, CancellationToken cancellationToken) =>
        Task.FromResult(_points.TryGetValue(id, out var point) ? point.Vector : null);

    public Task<IReadOnlyList<ScoredPoint>> SearchAsync(VectorCollection collection, VectorQuery query, CancellationToken cancellationToken)
    {
        var hits = _points.Values
            .Where(p => query.Filter?.Matches(p.Payload) ?? true)
            .Where(p => query.ExcludeIds?.Contains(p.Id) != true)
            .Select(p => new ScoredPoint(p.Id, Cosine(p.Vector, query.Vector)))
            .Where(h => query.MinScore is null || h.Score >= query.MinScore)
            .OrderByDescending(h => h.Score).ThenBy(h => h.Id)
            .Skip(query.Offset).Take(query.Limit)
            .ToList();
        return Task.FromResult<IReadOnlyList<ScoredPoint>>(hits);
    }

    public Task<long> CountAsync(VectorCollection collection, ImageFilter? filter, CancellationToken cancellationToken) =>
        Task.FromResult((long)_points.Values.Count(p => filter?.Matches(p.Payload) ?? true));

    public async IAsyncEnumerable<Guid> ListIdsAsync(VectorCollection collection, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        foreach (var id in _points.Keys)
        {
            yield return id;
        }
    }

    public Task<bool> IsReadyAsync(CancellationToken cancellationToken) => Task.FromResult(true);

    private static float Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }

        return (float)(dot / Math.Sqrt(na * nb));
    }
}

/// <summary>Blobs in a temporary folder (real files, so range responses can serve them).</summary>
internal sealed class FolderBlobStore(string root) : IBlobStore
{
    public Task PutAsync(string sha256, BlobKind kind, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(root);
        return File.WriteAllBytesAsync(PathOf(sha256, kind), content.ToArray(), cancellationToken);
    }

    public async Task PutAsync(string sha256, BlobKind kind, Stream content, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await content.CopyToAsync(buffer, cancellationToken);
        await PutAsync(sha256, kind, buffer.ToArray(), cancellationToken);
    }

    public string? GetPath(string sha256, BlobKind kind) => File.Exists(PathOf(sha256, kind)) ? PathOf(sha256, kind) : null;

    public Task<bool> ExistsAsync(string sha256, BlobKind kind, CancellationToken cancellationToken) => Task.FromResult(File.Exists(PathOf(sha256, kind)));

    public Task DeleteAsync(string sha256, BlobKind kind, CancellationToken cancellationToken)
    {
        File.Delete(PathOf(sha256, kind));
        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<string> ListKeysAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        if (!Directory.Exists(root))
        {
            yield break;
        }

        foreach (var key in Directory.EnumerateFiles(root).Select(f => Path.GetFileName(f).Split('.')[0]).Distinct())
        {
            yield return key;
        }
    }

    public IReadOnlyList<string> Files => Directory.Exists(root) ? Directory.GetFiles(root) : [];

    private string PathOf(string sha256, BlobKind kind) => Path.Combine(root, $"{sha256}.{kind.ToString().ToLowerInvariant()}");
}
