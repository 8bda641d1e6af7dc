using SearchService.Core.Ingest;
using SearchService.Core.Storage;

namespace SearchService.Api.Tests.Ingest;

/// <summary>Points where a test holds up or breaks the real job store; unset hooks do nothing.</summary>
internal sealed class JobStoreHooks
{
    /// <summary>Runs after every list of unfinished jobs (recovery's and the runner's), with what it returned.</summary>
    public Func<IReadOnlyList<IngestJob>, Task>? AfterListUnfinished { get; set; }

    /// <summary>Runs before files are recorded for a job.</summary>
    public Func<Task>? BeforeAddFiles { get; set; }
}

/// <summary>The real job store with <see cref="JobStoreHooks"/> around two of its calls.</summary>
internal sealed class HookedJobStore(IIngestJobStore inner, JobStoreHooks hooks) : IIngestJobStore
{
    public Task CreateAsync(Guid jobId, IngestSource source, bool enumerated, CancellationToken cancellationToken) =>
        inner.CreateAsync(jobId, source, enumerated, cancellationToken);

    public Task<IngestJob?> GetAsync(Guid jobId, CancellationToken cancellationToken) => inner.GetAsync(jobId, cancellationToken);

    public Task<Page<IngestJob>> ListAsync(string? cursor, int limit, CancellationToken cancellationToken) =>
        inner.ListAsync(cursor, limit, cancellationToken);

    public async Task<IReadOnlyList<IngestJob>> ListUnfinishedAsync(CancellationToken cancellationToken)
    {
        var jobs = await inner.ListUnfinishedAsync(cancellationToken);
        if (hooks.AfterListUnfinished is { } hook)
        {
            await hook(jobs);
        }

        return jobs;
    }

    public async Task AddFilesAsync(Guid jobId, IReadOnlyList<IngestFileEntry> files, CancellationToken cancellationToken)
    {
        if (hooks.BeforeAddFiles is { } hook)
        {
            await hook();
        }

        await inner.AddFilesAsync(jobId, files, cancellationToken);
    }

    public Task MarkEnumeratedAsync(Guid jobId, CancellationToken cancellationToken) => inner.MarkEnumeratedAsync(jobId, cancellationToken);

    public IAsyncEnumerable<IngestFile> ReadPendingAsync(Guid jobId, CancellationToken cancellationToken) => inner.ReadPendingAsync(jobId, cancellationToken);

    public Task RecordAttemptsAsync(IReadOnlyList<IngestAttempt> attempts, DateTimeOffset at, CancellationToken cancellationToken) =>
        inner.RecordAttemptsAsync(attempts, at, cancellationToken);

    public Task CompleteFilesAsync(IReadOnlyList<IngestFileOutcome> outcomes, CancellationToken cancellationToken) =>
        inner.CompleteFilesAsync(outcomes, cancellationToken);

    public Task<bool> IsImageOwnedAsync(Guid imageId, CancellationToken cancellationToken) => inner.IsImageOwnedAsync(imageId, cancellationToken);

    public Task<bool> SetStateAsync(Guid jobId, IngestJobState state, string? error, CancellationToken cancellationToken) =>
        inner.SetStateAsync(jobId, state, error, cancellationToken);

    public Task<bool> TrySetStateAsync(Guid jobId, IngestJobState expected, IngestJobState state, string? error, CancellationToken cancellationToken) =>
        inner.TrySetStateAsync(jobId, expected, state, error, cancellationToken);

    public Task<IReadOnlyList<IngestFileError>> ListErrorsAsync(Guid jobId, long afterFileId, int limit, CancellationToken cancellationToken) =>
        inner.ListErrorsAsync(jobId, afterFileId, limit, cancellationToken);
}

/// <summary>
/// The real vector store whose upserts fail as a restarting Qdrant's do: calls number <see cref="FailFrom"/> up to
/// <see cref="FailFrom"/> + <see cref="Failures"/> - 1 (1-based) throw <see cref="VectorStoreException"/> with the given transience.
/// </summary>
internal sealed class FlakyVectorStore(IVectorStore inner, int failFrom, int failures, bool transient) : IVectorStore
{
    private int _upserts;
    private int _failed;

    public int FailFrom => failFrom;

    public int Failures => failures;

    /// <summary>Upserts that were made to fail so far.</summary>
    public int Failed => Volatile.Read(ref _failed);

    public Task UpsertAsync(VectorCollection collection, IReadOnlyList<VectorPoint> points, CancellationToken cancellationToken)
    {
        var call = Interlocked.Increment(ref _upserts);
        if (call >= failFrom && call < failFrom + failures)
        {
            Interlocked.Increment(ref _failed);
            throw new VectorStoreException($"upsert {call} refused: the store is restarting", isTransient: transient);
        }

        return inner.UpsertAsync(collection, points, cancellationToken);
    }

    public Task EnsureCollectionAsync(VectorCollection collection, CancellationToken cancellationToken) => inner.EnsureCollectionAsync(collection, cancellationToken);

    public Task<bool> SetPayloadAsync(VectorCollection collection, Guid id, ImagePayload payload, CancellationToken cancellationToken) =>
        inner.SetPayloadAsync(collection, id, payload, cancellationToken);

    public Task DeleteAsync(VectorCollection collection, IReadOnlyList<Guid> ids, CancellationToken cancellationToken) => inner.DeleteAsync(collection, ids, cancellationToken);

    public Task<float[]?> GetVectorAsync(VectorCollection collection, Guid id, CancellationToken cancellationToken) => inner.GetVectorAsync(collection, id, cancellationToken);

    public Task<IReadOnlyList<ScoredPoint>> SearchAsync(VectorCollection collection, VectorQuery query, CancellationToken cancellationToken) =>
        inner.SearchAsync(collection, query, cancellationToken);

    public Task<long> CountAsync(VectorCollection collection, ImageFilter? filter, CancellationToken cancellationToken) => inner.CountAsync(collection, filter, cancellationToken);

    public IAsyncEnumerable<Guid> ListIdsAsync(VectorCollection collection, CancellationToken cancellationToken) => inner.ListIdsAsync(collection, cancellationToken);

    public Task<bool> IsReadyAsync(CancellationToken cancellationToken) => inner.IsReadyAsync(cancellationToken);
}
