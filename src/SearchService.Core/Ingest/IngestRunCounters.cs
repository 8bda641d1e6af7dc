namespace SearchService.Core.Ingest;

/// <summary>Outcomes written during the current run of a job (live, thread-safe); the store holds the totals.</summary>
public sealed class IngestRunCounters
{
    private long _done;
    private long _duplicates;
    private long _skipped;
    private long _failed;

    public long Done => Interlocked.Read(ref _done);

    public long Duplicates => Interlocked.Read(ref _duplicates);

    public long Skipped => Interlocked.Read(ref _skipped);

    public long Failed => Interlocked.Read(ref _failed);

    public long Processed => Done + Duplicates + Skipped + Failed;

    internal void Add(IReadOnlyList<IngestFileOutcome> outcomes)
    {
        foreach (var outcome in outcomes)
        {
            switch (outcome.State)
            {
                case IngestFileState.Done: Interlocked.Increment(ref _done); break;
                case IngestFileState.Duplicate: Interlocked.Increment(ref _duplicates); break;
                case IngestFileState.Skipped: Interlocked.Increment(ref _skipped); break;
                case IngestFileState.Failed: Interlocked.Increment(ref _failed); break;
                default: throw new ArgumentException($"File {outcome.FileId} has no final state.", nameof(outcomes));
            }
        }
    }
}
