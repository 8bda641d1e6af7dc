namespace SearchService.Api.Contracts;

/// <summary>A ranked page of images.</summary>
/// <param name="Items">Hits, best first.</param>
/// <param name="Offset">Rank of the first hit on this page (0-based).</param>
/// <param name="NextCursor">Pass as <c>cursor</c> (with the same query) for the next page; null at the end.</param>
public sealed record SearchResponse(IReadOnlyList<SearchHitDto> Items, int Offset, string? NextCursor);

/// <summary>An image and its cosine similarity to the query.</summary>
/// <param name="Score">Cosine similarity in [-1, 1]; higher is more similar.</param>
/// <param name="Image">The image.</param>
public sealed record SearchHitDto(float Score, ImageDto Image);

/// <summary>A weighted query over texts and stored images.</summary>
/// <param name="Terms">Terms; their unit embeddings are summed by weight and the sum is normalised.</param>
/// <param name="Limit">Hits per page (1–100, default 20).</param>
/// <param name="Offset">Hits to skip (ignored with a cursor).</param>
/// <param name="Cursor">Continuation from a previous response to the same query.</param>
/// <param name="MinScore">Drop hits whose cosine is below this.</param>
/// <param name="Filter">Conditions applied before ranking.</param>
public sealed record WeightedSearchRequest(
    IReadOnlyList<QueryTermDto>? Terms,
    int? Limit,
    int? Offset,
    string? Cursor,
    float? MinScore,
    ImageFilterDto? Filter);

/// <summary>One term: a text or a stored image id, with a weight (negative to push results away).</summary>
/// <param name="Text">Text to embed.</param>
/// <param name="ImageId">Stored image whose embedding is used.</param>
/// <param name="Weight">Weight of this term (default 1; may be negative).</param>
public sealed record QueryTermDto(string? Text, Guid? ImageId, float? Weight);

/// <summary>Conditions an image must meet (all given members must hold).</summary>
/// <param name="Tags">At least one of these tags.</param>
/// <param name="TagsAll">Every one of these tags.</param>
/// <param name="Metadata">Metadata key equals value, for every pair.</param>
/// <param name="UploadedFrom">Uploaded at or after.</param>
/// <param name="UploadedTo">Uploaded before.</param>
/// <param name="TakenFrom">Taken at or after.</param>
/// <param name="TakenTo">Taken before.</param>
public sealed record ImageFilterDto(
    IReadOnlyList<string>? Tags,
    IReadOnlyList<string>? TagsAll,
    IReadOnlyDictionary<string, string>? Metadata,
    DateTimeOffset? UploadedFrom,
    DateTimeOffset? UploadedTo,
    DateTimeOffset? TakenFrom,
    DateTimeOffset? TakenTo);

/// <summary>Zero-shot classification of a stored image.</summary>
/// <param name="ImageId">The stored image to classify.</param>
/// <param name="Labels">Candidate labels (2–100).</param>
/// <param name="Templates">Prompt templates with <c>{}</c> where the label goes; default: a CLIP prompt ensemble.</param>
public sealed record ClassifyRequest(Guid? ImageId, IReadOnlyList<string>? Labels, IReadOnlyList<string>? Templates);

/// <summary>Labels ranked by probability.</summary>
/// <param name="Model">Model that scored them.</param>
/// <param name="Items">Labels, most probable first.</param>
public sealed record ClassifyResponse(string Model, IReadOnlyList<LabelScoreDto> Items);

/// <summary>A label's softmax probability (over the given labels) and its raw cosine with the image.</summary>
/// <param name="Label">The label as given.</param>
/// <param name="Probability">Softmax over the given labels at the model's logit scale; all sum to 1.</param>
/// <param name="Cosine">Cosine between the image and the label's (template-averaged) text embedding.</param>
public sealed record LabelScoreDto(string Label, float Probability, float Cosine);
