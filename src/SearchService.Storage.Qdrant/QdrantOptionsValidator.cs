using Microsoft.Extensions.Options;

namespace SearchService.Storage.Qdrant;

/// <summary>Fails start-up with one message naming every bad <c>VectorStore:Qdrant</c> key.</summary>
internal sealed class QdrantOptionsValidator : IValidateOptions<QdrantOptions>
{
    private static readonly string[] WriteOrderings = ["weak", "medium", "strong"];

    public ValidateOptionsResult Validate(string? name, QdrantOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        const string Section = QdrantOptions.SectionName;

        if (string.IsNullOrWhiteSpace(options.Url))
        {
            errors.Add($"{Section}:Url is required when the vector store provider is Qdrant (e.g. http://qdrant:6333).");
        }
        else if (!Uri.TryCreate(options.Url, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            errors.Add($"{Section}:Url must be an absolute http or https URL; got '{options.Url}'.");
        }

        if (options.Timeout <= TimeSpan.Zero)
        {
            errors.Add($"{Section}:Timeout must be positive; got {options.Timeout}.");
        }

        Positive(errors, "UpsertBatchSize", options.UpsertBatchSize);
        Positive(errors, "UpsertParallelism", options.UpsertParallelism);
        Positive(errors, "ScrollPageSize", options.ScrollPageSize);
        Positive(errors, "HnswEf", options.HnswEf);
        if (options.WriteOrdering is { } ordering && !WriteOrderings.Contains(ordering, StringComparer.Ordinal))
        {
            errors.Add($"{Section}:WriteOrdering must be one of weak, medium, strong; got '{ordering}'.");
        }

        var collection = options.Collection;
        Positive(errors, "Collection:HnswM", collection.HnswM);
        if (collection.HnswEfConstruct is < 4)
        {
            errors.Add($"{Section}:Collection:HnswEfConstruct must be at least 4; got {collection.HnswEfConstruct}.");
        }

        if (collection.QuantizationQuantile is < 0.5f or > 1f)
        {
            errors.Add($"{Section}:Collection:QuantizationQuantile must be in [0.5, 1]; got {collection.QuantizationQuantile}.");
        }

        if (collection.QuantizationOversampling is < 1)
        {
            errors.Add($"{Section}:Collection:QuantizationOversampling must be at least 1; got {collection.QuantizationOversampling}.");
        }

        Positive(errors, "Collection:ShardNumber", collection.ShardNumber);
        Positive(errors, "Collection:ReplicationFactor", collection.ReplicationFactor);
        Positive(errors, "Collection:WriteConsistencyFactor", collection.WriteConsistencyFactor);
        if (collection.WriteConsistencyFactor > (collection.ReplicationFactor ?? 1))
        {
            errors.Add($"{Section}:Collection:WriteConsistencyFactor ({collection.WriteConsistencyFactor}) cannot exceed the replication factor ({collection.ReplicationFactor ?? 1}).");
        }

        var retry = options.Retry;
        if (retry.MaxRetries < 0)
        {
            errors.Add($"{Section}:Retry:MaxRetries must not be negative; got {retry.MaxRetries}.");
        }

        if (retry.BaseDelay <= TimeSpan.Zero || retry.MaxDelay < retry.BaseDelay)
        {
            errors.Add($"{Section}:Retry:BaseDelay must be positive and not above Retry:MaxDelay; got {retry.BaseDelay} and {retry.MaxDelay}.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Positive(List<string> errors, string key, int? value)
    {
        if (value is <= 0)
        {
            errors.Add($"{QdrantOptions.SectionName}:{key} must be positive; got {value}.");
        }
    }
}
