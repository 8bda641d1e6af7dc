namespace SearchService.Core.Storage;

/// <summary>A named set of same-length vectors compared by cosine similarity (one per model).</summary>
public sealed record VectorCollection(string Name, int Dimensions)
{
    /// <summary>Throws the argument exception every store gives for a missing, unnamed or dimensionless collection.</summary>
    public static void Validate(VectorCollection collection)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentException.ThrowIfNullOrWhiteSpace(collection.Name, nameof(collection));
        ArgumentOutOfRangeException.ThrowIfLessThan(collection.Dimensions, 1, nameof(collection));
    }

    /// <summary>
    /// Throws unless <paramref name="vector"/> has this collection's length and only finite values, reporting the
    /// failure against <paramref name="parameterName"/> (the caller's argument that carried the vector).
    /// </summary>
    public void EnsureAccepts(float[] vector, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(vector, parameterName);
        if (vector.Length != Dimensions)
        {
            throw new ArgumentException($"Vector has {vector.Length} dimensions; collection {Name} holds {Dimensions}.", parameterName);
        }

        foreach (var value in vector)
        {
            if (!float.IsFinite(value))
            {
                throw new ArgumentException($"Vector for collection {Name} contains {value}; only finite values can be stored or searched.", parameterName);
            }
        }
    }
}

/// <summary>One stored vector with the payload that filters read.</summary>
public sealed record VectorPoint(Guid Id, float[] Vector, ImagePayload Payload);

/// <summary>A search hit: cosine similarity in [-1, 1].</summary>
public readonly record struct ScoredPoint(Guid Id, float Score);

/// <summary>A nearest-neighbour query.</summary>
/// <param name="Vector">Query vector (unit length; stores may normalise again).</param>
/// <param name="Limit">Maximum hits to return (≥ 1).</param>
/// <param name="Offset">Hits to skip first, for pagination.</param>
/// <param name="MinScore">Drop hits whose cosine is below this.</param>
/// <param name="Filter">Applied before ranking.</param>
/// <param name="ExcludeIds">Ids never returned (e.g. the query image itself).</param>
public sealed record VectorQuery(
    float[] Vector,
    int Limit,
    int Offset = 0,
    float? MinScore = null,
    ImageFilter? Filter = null,
    IReadOnlyCollection<Guid>? ExcludeIds = null);

/// <summary>
/// Where embeddings live: the embedded store by default, Qdrant for scale-out. Every implementation passes
/// the same behavioural test suite. Writes are acknowledged only once durable.
/// </summary>
public interface IVectorStore
{
    /// <summary>Creates the collection if missing; fails with <see cref="VectorStoreException"/> if it exists with another dimension.</summary>
    Task EnsureCollectionAsync(VectorCollection collection, CancellationToken cancellationToken);

    /// <summary>Inserts or replaces points by id.</summary>
    Task UpsertAsync(VectorCollection collection, IReadOnlyList<VectorPoint> points, CancellationToken cancellationToken);

    /// <summary>Replaces the payload of an existing point; false if the point does not exist.</summary>
    Task<bool> SetPayloadAsync(VectorCollection collection, Guid id, ImagePayload payload, CancellationToken cancellationToken);

    /// <summary>Deletes points; missing ids are ignored.</summary>
    Task DeleteAsync(VectorCollection collection, IReadOnlyList<Guid> ids, CancellationToken cancellationToken);

    /// <summary>The stored vector, or null if the point does not exist.</summary>
    Task<float[]?> GetVectorAsync(VectorCollection collection, Guid id, CancellationToken cancellationToken);

    /// <summary>Best matches first; ties broken by id so pages are stable.</summary>
    Task<IReadOnlyList<ScoredPoint>> SearchAsync(VectorCollection collection, VectorQuery query, CancellationToken cancellationToken);

    /// <summary>Number of points, optionally only those matching a filter.</summary>
    Task<long> CountAsync(VectorCollection collection, ImageFilter? filter, CancellationToken cancellationToken);

    /// <summary>Every point id, in no particular order (used by reconciliation and migration).</summary>
    IAsyncEnumerable<Guid> ListIdsAsync(VectorCollection collection, CancellationToken cancellationToken);

    /// <summary>True when the store can serve requests (for readiness probes).</summary>
    Task<bool> IsReadyAsync(CancellationToken cancellationToken);
}

/// <summary>A vector store failed or refused; <see cref="IsTransient"/> tells whether retrying may help.</summary>
public sealed class VectorStoreException : Exception
{
    public VectorStoreException(string message, bool isTransient = false, Exception? innerException = null)
        : base(message, innerException)
    {
        IsTransient = isTransient;
    }

    public bool IsTransient { get; }
}
