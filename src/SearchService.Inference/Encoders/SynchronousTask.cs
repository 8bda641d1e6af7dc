namespace SearchService.Inference.Encoders;

/// <summary>
/// Runs CPU-bound work on the calling thread and reports it as a completed task, so failures and cancellation
/// surface through the task like any asynchronous call (ORT's own threads do the parallel part).
/// </summary>
internal static class SynchronousTask
{
    public static Task<T> Run<T>(Func<T> work, CancellationToken cancellationToken)
    {
        try
        {
            return Task.FromResult(work());
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<T>(cancellationToken);
        }
        catch (Exception error)
        {
            return Task.FromException<T>(error);
        }
    }
}
