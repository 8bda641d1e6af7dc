namespace SearchService.Core.Storage;

/// <summary>
/// Conditions an image must meet; all set members must hold (AND). Applied before ranking, so a search
/// returns the best matches among the filtered images, not a filtered subset of the best overall.
/// </summary>
public sealed record ImageFilter
{
    public static readonly ImageFilter None = new();

    /// <summary>At least one of these tags.</summary>
    public IReadOnlyList<string>? TagsAny { get; init; }

    /// <summary>Every one of these tags.</summary>
    public IReadOnlyList<string>? TagsAll { get; init; }

    /// <summary>Metadata key equals value, for every pair.</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>Uploaded at or after (inclusive).</summary>
    public DateTimeOffset? UploadedFrom { get; init; }

    /// <summary>Uploaded before (exclusive).</summary>
    public DateTimeOffset? UploadedTo { get; init; }

    /// <summary>Taken at or after (inclusive); images without a taken date never match a taken range.</summary>
    public DateTimeOffset? TakenFrom { get; init; }

    /// <summary>Taken before (exclusive).</summary>
    public DateTimeOffset? TakenTo { get; init; }

    public bool IsEmpty =>
        TagsAny is not { Count: > 0 } && TagsAll is not { Count: > 0 } && Metadata is not { Count: > 0 }
        && UploadedFrom is null && UploadedTo is null && TakenFrom is null && TakenTo is null;

    /// <summary>The reference semantics every store must reproduce.</summary>
    public bool Matches(ImagePayload payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        if (TagsAny is { Count: > 0 } && !TagsAny.Any(payload.Tags.Contains))
        {
            return false;
        }

        if (TagsAll is { Count: > 0 } && !TagsAll.All(payload.Tags.Contains))
        {
            return false;
        }

        if (Metadata is { Count: > 0 })
        {
            foreach (var (key, value) in Metadata)
            {
                if (!payload.Metadata.TryGetValue(key, out var actual) || !string.Equals(actual, value, StringComparison.Ordinal))
                {
                    return false;
                }
            }
        }

        if (UploadedFrom is { } uploadedFrom && payload.UploadedAt < uploadedFrom)
        {
            return false;
        }

        if (UploadedTo is { } uploadedTo && payload.UploadedAt >= uploadedTo)
        {
            return false;
        }

        if (TakenFrom is not null || TakenTo is not null)
        {
            if (payload.TakenAt is not { } takenAt)
            {
                return false;
            }

            if (TakenFrom is { } takenFrom && takenAt < takenFrom)
            {
                return false;
            }

            if (TakenTo is { } takenTo && takenAt >= takenTo)
            {
                return false;
            }
        }

        return true;
    }
}
