namespace SearchService.Storage.Qdrant.Protocol;

/// <summary>
/// The payload stored beside each vector. <c>metadata</c> keeps the pairs as an object for people reading
/// the collection; <c>metadata_pairs</c> holds the same pairs as <c>key=value</c> keywords so one keyword
/// index serves equality filters on any key. Dates are RFC 3339 UTC strings with microsecond precision
/// (Qdrant's datetime resolution) under a datetime index; a missing <c>taken_at</c> is absent, not null.
/// </summary>
internal sealed record QdrantPayload(
    IReadOnlyList<string> Tags,
    IReadOnlyDictionary<string, string> Metadata,
    IReadOnlyList<string> MetadataPairs,
    string UploadedAt,
    string? TakenAt);
