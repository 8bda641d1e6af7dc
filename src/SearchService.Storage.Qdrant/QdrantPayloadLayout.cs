using System.Globalization;
using System.Text;
using SearchService.Core.Storage;
using SearchService.Storage.Qdrant.Protocol;

namespace SearchService.Storage.Qdrant;

/// <summary>Maps Core's payload and filters onto the payload layout described on <see cref="QdrantPayload"/>.</summary>
internal static class QdrantPayloadLayout
{
    public const string Tags = "tags";
    public const string MetadataPairs = "metadata_pairs";
    public const string UploadedAt = "uploaded_at";
    public const string TakenAt = "taken_at";

    /// <summary>Every filterable field and the payload index type it gets.</summary>
    public static readonly IReadOnlyList<(string Field, string Schema)> Indexes =
    [
        (Tags, "keyword"),
        (MetadataPairs, "keyword"),
        (UploadedAt, "datetime"),
        (TakenAt, "datetime"),
    ];

    public static QdrantPayload ToPayload(ImagePayload payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        var pairs = payload.Metadata.Select(pair => MetadataPair(pair.Key, pair.Value)).ToArray();
        return new QdrantPayload(
            payload.Tags,
            payload.Metadata,
            pairs,
            FormatDate(payload.UploadedAt),
            payload.TakenAt is { } takenAt ? FormatDate(takenAt) : null);
    }

    /// <summary>
    /// <c>key=value</c> with <c>\</c> and <c>=</c> escaped in the key, so distinct pairs never encode alike
    /// (the first unescaped <c>=</c> ends the key; the value needs no escaping).
    /// </summary>
    public static string MetadataPair(string key, string value)
    {
        var escaped = new StringBuilder(key.Length + value.Length + 1);
        foreach (var c in key)
        {
            if (c is '\\' or '=')
            {
                escaped.Append('\\');
            }

            escaped.Append(c);
        }

        return escaped.Append('=').Append(value).ToString();
    }

    /// <summary>RFC 3339 in UTC, truncated to microseconds like Qdrant's datetime index.</summary>
    public static string FormatDate(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>The Qdrant filter equivalent to <see cref="ImageFilter.Matches"/> plus excluded ids; null when nothing filters.</summary>
    public static QdrantFilter? ToFilter(ImageFilter? filter, IReadOnlyCollection<Guid>? excludeIds)
    {
        var must = new List<QdrantCondition>();
        if (filter is not null)
        {
            if (filter.TagsAny is { Count: > 0 } any)
            {
                must.Add(new QdrantCondition { Key = Tags, Match = new QdrantMatch { Any = any.Distinct(StringComparer.Ordinal).ToArray() } });
            }

            foreach (var tag in (filter.TagsAll ?? []).Distinct(StringComparer.Ordinal))
            {
                must.Add(new QdrantCondition { Key = Tags, Match = new QdrantMatch { Value = tag } });
            }

            foreach (var (key, value) in filter.Metadata ?? new Dictionary<string, string>())
            {
                must.Add(new QdrantCondition { Key = MetadataPairs, Match = new QdrantMatch { Value = MetadataPair(key, value) } });
            }

            AddRange(must, UploadedAt, filter.UploadedFrom, filter.UploadedTo);
            // A range condition never matches a point without the field, as ImageFilter requires for taken dates.
            AddRange(must, TakenAt, filter.TakenFrom, filter.TakenTo);
        }

        var mustNot = excludeIds is { Count: > 0 }
            ? new[] { new QdrantCondition { HasId = excludeIds.Distinct().ToArray() } }
            : null;
        return must.Count == 0 && mustNot is null ? null : new QdrantFilter(must.Count == 0 ? null : must, mustNot);
    }

    private static void AddRange(List<QdrantCondition> must, string field, DateTimeOffset? from, DateTimeOffset? to)
    {
        if (from is null && to is null)
        {
            return;
        }

        must.Add(new QdrantCondition
        {
            Key = field,
            Range = new DatetimeRange(from is { } f ? FormatDate(f) : null, to is { } t ? FormatDate(t) : null),
        });
    }
}
