using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using SearchService.Core.Storage;

namespace SearchService.Storage.Sqlite.Vectors;

/// <summary>
/// One collection's points in memory: unit vectors packed row after row in fixed-size segments (allocated once
/// each and reused, so growth never copies the matrix and the large-object heap does not churn), the id and
/// precomputed filter terms of each row beside it. Rows stay dense: a delete moves the last row into the gap.
/// Exact cosine search scans every row that passes the filter, segments spread across cores, each worker
/// keeping its own top hits, merged at the end. Readers share a lock; a write takes it alone for the few
/// microseconds it needs.
/// </summary>
internal sealed class VectorIndex : IDisposable
{
    /// <summary>Rows per segment: 4096 × 512 floats is 8 MiB, coarse enough for cheap scheduling, fine enough to balance cores.</summary>
    public const int SegmentRows = 4096;

    /// <summary>
    /// Below this many floats (32 MiB: 16k rows of 512) a search runs on the calling thread: it takes about a
    /// millisecond, and waking workers (and waiting for the slowest) costs as much on a busy machine.
    /// </summary>
    public const long DefaultParallelFromFloats = 1L << 23;

    private readonly List<Segment> _segments = [];
    private readonly Dictionary<Guid, int> _rows = [];
    private readonly Dictionary<string, int> _terms = new(StringComparer.Ordinal);
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly int _parallelism;
    private readonly long _parallelFromFloats;
    private int _count;

    /// <param name="collection">The collection the index holds.</param>
    /// <param name="parallelism">Cores one search may use.</param>
    /// <param name="parallelFromFloats">Searches over at least this many floats fan out across cores.</param>
    public VectorIndex(VectorCollection collection, int parallelism, long parallelFromFloats = DefaultParallelFromFloats)
    {
        ArgumentNullException.ThrowIfNull(collection);
        Collection = collection;
        _parallelism = parallelism;
        _parallelFromFloats = parallelFromFloats;
    }

    public VectorCollection Collection { get; }

    public int Dimensions => Collection.Dimensions;

    public int Count
    {
        get
        {
            _lock.EnterReadLock();
            try
            {
                return _count;
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
    }

    /// <summary>Inserts or replaces a point; <paramref name="unitVector"/> is already normalised.</summary>
    public void Upsert(Guid id, ReadOnlySpan<float> unitVector, ImagePayload payload)
    {
        _lock.EnterWriteLock();
        try
        {
            UpsertUnlocked(id, unitVector, ToTerms(payload));
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>
    /// Bulk insert for loading; the caller is the only one holding the index. The terms come from
    /// <see cref="TagTerms"/> and <see cref="MetadataTerms"/>, whose arrays points with equal payloads may share.
    /// </summary>
    public void Load(Guid id, ReadOnlySpan<float> unitVector, in PointTerms terms) => UpsertUnlocked(id, unitVector, terms);

    /// <summary>Tags as term ids, each once; interning is not thread-safe, so call it only while loading or locked.</summary>
    public int[] TagTerms(IEnumerable<string> tags) => tags.Select(Intern).Distinct().ToArray();

    /// <summary>Metadata pairs as packed term ids; the same rule as <see cref="TagTerms"/>.</summary>
    public long[] MetadataTerms(IReadOnlyDictionary<string, string> metadata) =>
        metadata.Select(pair => PointFilter.Pack(Intern(pair.Key), Intern(pair.Value))).ToArray();

    public bool SetPayload(Guid id, ImagePayload payload)
    {
        _lock.EnterWriteLock();
        try
        {
            if (!_rows.TryGetValue(id, out var row))
            {
                return false;
            }

            Locate(row, out var segment, out var offset);
            segment.Terms[offset] = ToTerms(payload);
            return true;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    public void Delete(IEnumerable<Guid> ids)
    {
        _lock.EnterWriteLock();
        try
        {
            foreach (var id in ids)
            {
                if (!_rows.Remove(id, out var row))
                {
                    continue;
                }

                var last = --_count;
                if (row != last)
                {
                    Locate(last, out var from, out var fromOffset);
                    Locate(row, out var to, out var toOffset);
                    from.Row(fromOffset, Dimensions).CopyTo(to.Row(toOffset, Dimensions));
                    to.Ids[toOffset] = from.Ids[fromOffset];
                    to.Terms[toOffset] = from.Terms[fromOffset];
                    _rows[to.Ids[toOffset]] = row;
                }

                Locate(last, out var vacated, out var vacatedOffset);
                vacated.Terms[vacatedOffset] = default;
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    public float[]? GetVector(Guid id)
    {
        _lock.EnterReadLock();
        try
        {
            if (!_rows.TryGetValue(id, out var row))
            {
                return null;
            }

            Locate(row, out var segment, out var offset);
            return segment.Row(offset, Dimensions).ToArray();
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    public Guid[] Ids()
    {
        _lock.EnterReadLock();
        try
        {
            return [.. _rows.Keys];
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    public long CountMatching(ImageFilter? filter)
    {
        _lock.EnterReadLock();
        try
        {
            if (filter is null || filter.IsEmpty)
            {
                return _count;
            }

            var compiled = Compile(filter);
            if (compiled.MatchesNothing)
            {
                return 0;
            }

            long matching = 0;
            for (var row = 0; row < _count; row++)
            {
                Locate(row, out var segment, out var offset);
                if (compiled.Matches(segment.Terms[offset]))
                {
                    matching++;
                }
            }

            return matching;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Exact ranking by dot product with <paramref name="unitQuery"/>: filter and exclusions first, then score, then id.</summary>
    public IReadOnlyList<ScoredPoint> Search(float[] unitQuery, int limit, int offset, float? minScore, ImageFilter? filter, IReadOnlyCollection<Guid>? excludeIds, CancellationToken cancellationToken)
    {
        var wanted = checked(offset + limit);
        var excluded = excludeIds is { Count: > 0 } ? excludeIds as ISet<Guid> ?? new HashSet<Guid>(excludeIds) : null;
        var threshold = minScore ?? float.NegativeInfinity;
        var hits = new List<(float Score, Guid Id)>();

        _lock.EnterReadLock();
        try
        {
            var compiled = filter is null || filter.IsEmpty ? null : Compile(filter);
            if (compiled?.MatchesNothing == true || _count == 0)
            {
                return [];
            }

            var segmentCount = ((_count - 1) / SegmentRows) + 1;
            if ((long)_count * Dimensions < _parallelFromFloats || _parallelism == 1 || segmentCount == 1)
            {
                var top = new TopHits(wanted);
                for (var s = 0; s < segmentCount; s++)
                {
                    Scan(s, unitQuery, compiled, excluded, threshold, top);
                }

                top.CopyTo(hits);
            }
            else
            {
                var gate = new Lock();
                Parallel.For(
                    0,
                    segmentCount,
                    new ParallelOptions { MaxDegreeOfParallelism = _parallelism, CancellationToken = cancellationToken },
                    () => new TopHits(wanted),
                    (s, _, top) =>
                    {
                        Scan(s, unitQuery, compiled, excluded, threshold, top);
                        return top;
                    },
                    top =>
                    {
                        lock (gate)
                        {
                            top.CopyTo(hits);
                        }
                    });
            }
        }
        finally
        {
            _lock.ExitReadLock();
        }

        hits.Sort((a, b) => TopHits.IsBetter(a.Score, a.Id, b.Score, b.Id) ? -1 : TopHits.IsBetter(b.Score, b.Id, a.Score, a.Id) ? 1 : 0);
        return hits.Skip(offset).Take(limit).Select(hit => new ScoredPoint(hit.Id, hit.Score)).ToArray();
    }

    public void Dispose() => _lock.Dispose();

    // The hot loop of every search: compiled fully optimised at once instead of waiting for tiering to find it.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Scan(int segmentIndex, float[] query, PointFilter? filter, ISet<Guid>? excluded, float threshold, TopHits top)
    {
        var segment = _segments[segmentIndex];
        var rows = Math.Min(SegmentRows, _count - (segmentIndex * SegmentRows));
        var dimensions = Dimensions;
        ReadOnlySpan<float> vectors = segment.Vectors;
        for (var row = 0; row < rows; row++)
        {
            if (filter is not null && !filter.Matches(segment.Terms[row]))
            {
                continue;
            }

            if (excluded is not null && excluded.Contains(segment.Ids[row]))
            {
                continue;
            }

            var score = TensorPrimitives.Dot(vectors.Slice(row * dimensions, dimensions), query);
            if (score >= threshold)
            {
                top.Offer(score, segment.Ids[row]);
            }
        }
    }

    private void UpsertUnlocked(Guid id, ReadOnlySpan<float> unitVector, in PointTerms terms)
    {
        if (!_rows.TryGetValue(id, out var row))
        {
            row = _count++;
            if (row / SegmentRows == _segments.Count)
            {
                _segments.Add(new Segment(Dimensions));
            }

            _rows[id] = row;
        }

        Locate(row, out var segment, out var offset);
        unitVector.CopyTo(segment.Row(offset, Dimensions));
        segment.Ids[offset] = id;
        segment.Terms[offset] = terms;
    }

    private PointTerms ToTerms(ImagePayload payload) =>
        new(TagTerms(payload.Tags), MetadataTerms(payload.Metadata), payload.UploadedAt.UtcTicks, payload.TakenAt?.UtcTicks ?? PointTerms.NoTicks);

    private int Intern(string term)
    {
        if (!_terms.TryGetValue(term, out var id))
        {
            id = _terms.Count;
            _terms[term] = id;
        }

        return id;
    }

    private PointFilter Compile(ImageFilter filter) => new(filter, term => _terms.TryGetValue(term, out var id) ? id : null);

    private void Locate(int row, out Segment segment, out int offset)
    {
        segment = _segments[row / SegmentRows];
        offset = row % SegmentRows;
    }

    private sealed class Segment(int dimensions)
    {
        public float[] Vectors { get; } = new float[SegmentRows * dimensions];

        public Guid[] Ids { get; } = new Guid[SegmentRows];

        public PointTerms[] Terms { get; } = new PointTerms[SegmentRows];

        public Span<float> Row(int offset, int dimensions) => Vectors.AsSpan(offset * dimensions, dimensions);
    }
}
