using Microsoft.AspNetCore.Mvc;
using SearchService.Api.Uploads;
using SearchService.Core.Search;
using SearchService.Core.Storage;

namespace SearchService.Api.Endpoints;

/// <summary>Filter parameters shared by listing and search. Metadata filters are <c>meta.KEY=VALUE</c> query parameters.</summary>
internal sealed class FilterParameters
{
    public const string MetadataPrefix = "meta.";

    /// <summary>Images with at least one of these tags (repeat the parameter).</summary>
    [FromQuery(Name = "tags")]
    public string[]? Tags { get; init; }

    /// <summary>Images with every one of these tags (repeat the parameter).</summary>
    [FromQuery(Name = "tagsAll")]
    public string[]? TagsAll { get; init; }

    /// <summary>Uploaded at or after this instant (ISO 8601).</summary>
    [FromQuery(Name = "uploadedFrom")]
    public DateTimeOffset? UploadedFrom { get; init; }

    /// <summary>Uploaded before this instant (ISO 8601).</summary>
    [FromQuery(Name = "uploadedTo")]
    public DateTimeOffset? UploadedTo { get; init; }

    /// <summary>Taken at or after this instant (ISO 8601); images without a taken date are excluded.</summary>
    [FromQuery(Name = "takenFrom")]
    public DateTimeOffset? TakenFrom { get; init; }

    /// <summary>Taken before this instant (ISO 8601).</summary>
    [FromQuery(Name = "takenTo")]
    public DateTimeOffset? TakenTo { get; init; }

    public HttpContext HttpContext { get; init; } = default!;

    public ImageFilter ToFilter()
    {
        var metadata = HttpContext.Request.Query
            .Where(p => p.Key.StartsWith(MetadataPrefix, StringComparison.Ordinal) && p.Key.Length > MetadataPrefix.Length)
            .ToDictionary(p => p.Key[MetadataPrefix.Length..], p => p.Value.Count == 1
                ? p.Value[0] ?? string.Empty
                : throw new InvalidQueryException(p.Key, "Give each metadata filter once."), StringComparer.Ordinal);
        return ToFilter(Tags, TagsAll, metadata, UploadedFrom, UploadedTo, TakenFrom, TakenTo);
    }

    public static ImageFilter ToFilter(
        IReadOnlyList<string>? tags,
        IReadOnlyList<string>? tagsAll,
        IReadOnlyDictionary<string, string>? metadata,
        DateTimeOffset? uploadedFrom,
        DateTimeOffset? uploadedTo,
        DateTimeOffset? takenFrom,
        DateTimeOffset? takenTo)
    {
        if (uploadedFrom > uploadedTo)
        {
            throw new InvalidQueryException("uploadedFrom", "uploadedFrom is after uploadedTo.");
        }

        if (takenFrom > takenTo)
        {
            throw new InvalidQueryException("takenFrom", "takenFrom is after takenTo.");
        }

        // An image holds at most this many of each, so a longer filter cannot match more; it would only make an
        // oversized request to the vector store.
        if (tags?.Count > UploadForm.MaxTags || tagsAll?.Count > UploadForm.MaxTags)
        {
            throw new InvalidQueryException(tags?.Count > UploadForm.MaxTags ? "tags" : "tagsAll", $"Filter on at most {UploadForm.MaxTags} tags.");
        }

        if (metadata?.Count > UploadForm.MaxMetadataEntries)
        {
            throw new InvalidQueryException("metadata", $"Filter on at most {UploadForm.MaxMetadataEntries} metadata entries.");
        }

        return new ImageFilter
        {
            TagsAny = tags is { Count: > 0 } ? tags : null,
            TagsAll = tagsAll is { Count: > 0 } ? tagsAll : null,
            Metadata = metadata is { Count: > 0 } ? metadata : null,
            UploadedFrom = uploadedFrom,
            UploadedTo = uploadedTo,
            TakenFrom = takenFrom,
            TakenTo = takenTo,
        };
    }
}

/// <summary>Paging of a ranked result: <c>limit</c> with either <c>offset</c> or <c>cursor</c>, and a score floor.</summary>
internal sealed class RankingParameters
{
    /// <summary>Hits per page (1–100).</summary>
    [FromQuery(Name = "limit")]
    public int? Limit { get; init; }

    /// <summary>Hits to skip (not with <c>cursor</c>).</summary>
    [FromQuery(Name = "offset")]
    public int? Offset { get; init; }

    /// <summary>Continuation from a previous response to the same query.</summary>
    [FromQuery(Name = "cursor")]
    public string? Cursor { get; init; }

    /// <summary>Drop hits whose cosine is below this (−1 to 1).</summary>
    [FromQuery(Name = "minScore")]
    public float? MinScore { get; init; }

    public SearchPage ToPage(ImageFilter filter) => new(Limit ?? 20, Offset ?? 0, Cursor, MinScore, filter);
}
