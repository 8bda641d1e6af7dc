namespace SearchService.Testing;

/// <summary>
/// Runs an action once, after a delay, on a thread of its own. Thread-pool timers (a <see cref="Timer"/>, a
/// <see cref="CancellationTokenSource"/> with a delay) fire late when parallel tests keep the pool busy, and a
/// cancel that comes after the work has finished tests nothing.
/// </summary>
public sealed class DelayedAction : IDisposable
{
    private readonly ManualResetEventSlim _dismissed = new();
    private readonly Thread _thread;

    public DelayedAction(TimeSpan delay, Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        _thread = new Thread(() =>
        {
            if (!_dismissed.Wait(delay))
            {
                action();
            }
        })
        { IsBackground = true, Name = "delayed test action" };
        _thread.Start();
    }

    /// <summary>Drops the action if it has not run yet and waits for the thread to end.</summary>
    public void Dispose()
    {
        _dismissed.Set();
        _thread.Join();
        _dismissed.Dispose();
    }
}
