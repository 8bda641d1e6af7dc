using SearchService.Core.Storage;

namespace SearchService.Storage.Sqlite.Vectors;

/// <summary>
/// What filters read of a point, precomputed at write: tag and metadata strings as ids from the index's term
/// table (a point has a handful, so a check is a vectorised linear search), instants as UTC ticks
/// (<see cref="NoTicks"/> for no taken date).
/// </summary>
internal readonly record struct PointTerms(int[] Tags, long[] Metadata, long UploadedTicks, long TakenTicks)
{
    public const long NoTicks = long.MinValue;
}

/// <summary>
/// An <see cref="ImageFilter"/> translated to term ids and ticks for one index, with exactly the semantics of
/// <see cref="ImageFilter.Matches"/>. A string the index has never seen cannot match, so a filter that needs one
/// matches nothing (or, among "any" tags, is simply dropped).
/// </summary>
internal sealed class PointFilter
{
    private readonly int[]? _tagsAny;
    private readonly int[]? _tagsAll;
    private readonly long[]? _metadata;
    private readonly long _uploadedFrom = long.MinValue;
    private readonly long _uploadedTo = long.MaxValue;
    private readonly bool _hasTakenRange;
    private readonly long _takenFrom = long.MinValue;
    private readonly long _takenTo = long.MaxValue;

    /// <param name="filter">The filter to translate.</param>
    /// <param name="termId">Looks a string up in the index's term table; null if unknown.</param>
    public PointFilter(ImageFilter filter, Func<string, int?> termId)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(termId);
        if (filter.TagsAny is { Count: > 0 } any)
        {
            _tagsAny = any.Select(termId).OfType<int>().Distinct().ToArray();
            MatchesNothing |= _tagsAny.Length == 0;
        }

        if (filter.TagsAll is { Count: > 0 } all)
        {
            var ids = all.Select(termId).ToArray();
            MatchesNothing |= ids.Any(id => id is null);
            _tagsAll = ids.OfType<int>().Distinct().ToArray();
        }

        if (filter.Metadata is { Count: > 0 } metadata)
        {
            var pairs = metadata.Select(pair => (Key: termId(pair.Key), Value: termId(pair.Value))).ToArray();
            MatchesNothing |= pairs.Any(pair => pair.Key is null || pair.Value is null);
            _metadata = pairs.Where(pair => pair.Key is not null && pair.Value is not null).Select(pair => Pack(pair.Key!.Value, pair.Value!.Value)).ToArray();
        }

        if (filter.UploadedFrom is { } uploadedFrom)
        {
            _uploadedFrom = uploadedFrom.UtcTicks;
        }

        if (filter.UploadedTo is { } uploadedTo)
        {
            _uploadedTo = uploadedTo.UtcTicks;
        }

        if (filter.TakenFrom is not null || filter.TakenTo is not null)
        {
            _hasTakenRange = true;
            _takenFrom = filter.TakenFrom?.UtcTicks ?? long.MinValue;
            _takenTo = filter.TakenTo?.UtcTicks ?? long.MaxValue;
        }
    }

    /// <summary>True when no point of this index can match (a required string is unknown to it).</summary>
    public bool MatchesNothing { get; }

    public static long Pack(int key, int value) => ((long)key << 32) | (uint)value;

    public bool Matches(in PointTerms point)
    {
        if (point.UploadedTicks < _uploadedFrom || point.UploadedTicks >= _uploadedTo)
        {
            return false;
        }

        if (_hasTakenRange && (point.TakenTicks == PointTerms.NoTicks || point.TakenTicks < _takenFrom || point.TakenTicks >= _takenTo))
        {
            return false;
        }

        if (_tagsAny is not null && !ContainsAny(point.Tags, _tagsAny))
        {
            return false;
        }

        if (_tagsAll is not null)
        {
            foreach (var tag in _tagsAll)
            {
                if (!point.Tags.AsSpan().Contains(tag))
                {
                    return false;
                }
            }
        }

        if (_metadata is not null)
        {
            foreach (var pair in _metadata)
            {
                if (!point.Metadata.AsSpan().Contains(pair))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static bool ContainsAny(int[] tags, int[] wanted)
    {
        foreach (var tag in wanted)
        {
            if (tags.AsSpan().Contains(tag))
            {
                return true;
            }
        }

        return false;
    }
}
