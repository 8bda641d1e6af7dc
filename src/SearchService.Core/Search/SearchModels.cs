using SearchService.Core.Storage;

namespace SearchService.Core.Search;

/// <summary>Which slice of the ranking to return and which images may appear in it.</summary>
/// <param name="Limit">Hits per page.</param>
/// <param name="Offset">Hits to skip; ignored when <paramref name="Cursor"/> is set.</param>
/// <param name="Cursor">Opaque continuation from a previous page of the same query.</param>
/// <param name="MinScore">Drop hits whose cosine is below this.</param>
/// <param name="Filter">Conditions applied before ranking.</param>
public sealed record SearchPage(int Limit = 20, int Offset = 0, string? Cursor = null, float? MinScore = null, ImageFilter? Filter = null);

/// <summary>A stored image with its cosine similarity to the query.</summary>
public sealed record SearchHit(ImageRecord Image, float Score);

/// <summary>One page of hits, best first.</summary>
/// <param name="Hits">Hits on this page.</param>
/// <param name="Offset">Rank of the first hit on this page (0-based).</param>
/// <param name="NextCursor">Continuation for the next page, or null when the ranking is exhausted.</param>
public sealed record SearchResults(IReadOnlyList<SearchHit> Hits, int Offset, string? NextCursor);

/// <summary>One term of a weighted query: a text or a stored image, with a weight (negative pushes away).</summary>
public sealed record QueryTerm(string? Text, Guid? ImageId, float Weight = 1f);

/// <summary>Bounds that keep queries cheap and caches small.</summary>
public sealed class SearchOptions
{
    public const string SectionName = "Search";

    /// <summary>Largest page size.</summary>
    public int MaxLimit { get; set; } = 100;

    /// <summary>Deepest rank a page may start at (offset or cursor).</summary>
    public int MaxOffset { get; set; } = 10_000;

    /// <summary>Longest query text in characters (the model truncates to its context length anyway).</summary>
    public int MaxQueryLength { get; set; } = 1_000;

    /// <summary>Most terms in one weighted query.</summary>
    public int MaxTerms { get; set; } = 16;

    /// <summary>Query-text embeddings kept in memory.</summary>
    public int QueryCacheSize { get; set; } = 1_024;
}
