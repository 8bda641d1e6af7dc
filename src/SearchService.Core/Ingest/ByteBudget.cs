namespace SearchService.Core.Ingest;

/// <summary>
/// Bytes a job may hold at once. Reservations wait until enough is released; one reservation larger than the
/// whole budget is allowed alone, so a single huge file cannot stall the job.
/// </summary>
internal sealed class ByteBudget
{
    private readonly long _capacity;
    private readonly Lock _gate = new();
    private long _used;
    private TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ByteBudget(long capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _capacity = capacity;
    }

    public async ValueTask<long> ReserveAsync(long bytes, CancellationToken cancellationToken)
    {
        var amount = Math.Clamp(bytes, 1, _capacity);
        while (true)
        {
            Task released;
            lock (_gate)
            {
                if (_used + amount <= _capacity)
                {
                    _used += amount;
                    return amount;
                }

                released = _released.Task;
            }

            await released.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public void Release(long amount)
    {
        if (amount <= 0)
        {
            return;
        }

        TaskCompletionSource released;
        lock (_gate)
        {
            _used -= amount;
            released = _released;
            _released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        released.SetResult();
    }
}
