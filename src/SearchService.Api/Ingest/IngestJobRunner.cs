using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using SearchService.Core.Images;
using SearchService.Core.Ingest;
using SearchService.Core.Library;
using SearchService.Core.Models;
using SearchService.Core.Storage;

namespace SearchService.Api.Ingest;

/// <summary>Live figures of a running job (rates are measured over the last seconds).</summary>
public sealed record IngestLiveStatus(double ImagesPerSecond, TimeSpan? EstimatedRemaining);

/// <summary>
/// Runs ingest jobs in the background, oldest first, up to <see cref="IngestOptions.MaxConcurrentJobs"/> at
/// once. At start-up, before the server takes requests, it resumes the jobs a restart or crash left unfinished
/// (after removing the orphans a crash can leave in the library). A store that fails transiently (a restarting
/// Qdrant, a busy database) pauses the job with a growing back-off and resumes its pending files; only other
/// failures end it as failed. On shutdown it stops intake, lets in-flight files finish for
/// <see cref="IngestOptions.ShutdownDrainSeconds"/>, and leaves the jobs unfinished so the next start resumes them.
/// </summary>
public sealed partial class IngestJobRunner : BackgroundService
{
    private readonly IIngestJobStore _jobs;
    private readonly IIngestFileReader _reader;
    private readonly IImagePreparer _preparer;
    private readonly IImageEncoder _encoder;
    private readonly IImageLibrary _library;
    private readonly IImageCatalog _catalog;
    private readonly FolderAccess _folders;
    private readonly IOptionsMonitor<IngestOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<IngestJobRunner> _logger;
    private readonly ConcurrentDictionary<Guid, ActiveJob> _active = new();
    private readonly SemaphoreSlim _wake = new(0);

    /// <summary>Why an upload job whose files were never all recorded is failed.</summary>
    public const string InterruptedUpload = "The upload was interrupted before all its files were received.";

    public IngestJobRunner(
        IIngestJobStore jobs,
        IIngestFileReader reader,
        IImagePreparer preparer,
        IImageEncoder encoder,
        IImageLibrary library,
        IImageCatalog catalog,
        FolderAccess folders,
        IOptionsMonitor<IngestOptions> options,
        TimeProvider time,
        ILogger<IngestJobRunner> logger)
    {
        _jobs = jobs;
        _reader = reader;
        _preparer = preparer;
        _encoder = encoder;
        _library = library;
        _catalog = catalog;
        _folders = folders;
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>Where upload jobs keep their files until the job ends.</summary>
    public static string SpoolDirectory(IngestOptions options, Guid jobId) => Path.Combine(options.SpoolPath!, jobId.ToString("N"));

    /// <summary>Tells the runner a job was queued.</summary>
    public void Notify() => _wake.Release();

    public IngestLiveStatus? GetLive(Guid jobId, long pending) =>
        _active.TryGetValue(jobId, out var active) ? active.Live(pending, _time) : null;

    /// <summary>Cancels a job; null when it does not exist. A job already finished is left as it is.</summary>
    public async Task<IngestJob?> CancelAsync(Guid jobId, CancellationToken cancellationToken)
    {
        while (true)
        {
            // Read before looking for a run: a job is marked active before it is claimed, so a job seen queued or
            // running here and not active now is one no run holds; the compare-and-set below catches a claim in between.
            var job = await _jobs.GetAsync(jobId, cancellationToken).ConfigureAwait(false);
            if (job is null or { IsFinal: true })
            {
                return job;
            }

            if (_active.TryGetValue(jobId, out var active))
            {
                await active.Cancel.CancelAsync().ConfigureAwait(false);
                await active.Finished.WaitAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (await _jobs.TrySetStateAsync(jobId, job.State, IngestJobState.Cancelled, null, cancellationToken).ConfigureAwait(false))
            {
                DeleteSpool(job);
                return await _jobs.GetAsync(jobId, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Recovers before the hosts starts serving, so no live upload can meet the sweep of what a crash left.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Since .NET 10 all of ExecuteAsync runs on the thread pool while the server already takes requests.
        await RecoverAsync(cancellationToken).ConfigureAwait(false);
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var running = new List<Task>();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                running.RemoveAll(task => task.IsCompleted);
                var free = _options.CurrentValue.MaxConcurrentJobs - running.Count;
                if (free > 0)
                {
                    // An upload job is recorded before its files; it becomes runnable once they all are.
                    var next = (await _jobs.ListUnfinishedAsync(stoppingToken).ConfigureAwait(false))
                        .Where(job => job.State == IngestJobState.Queued && !_active.ContainsKey(job.Id)
                            && (job.Enumerated || job.Source.Kind == IngestSourceKind.Folder))
                        .Take(free);
                    foreach (var job in next)
                    {
                        var active = new ActiveJob(_time.GetTimestamp());
                        _active[job.Id] = active;
                        running.Add(RunJobAsync(job, active, stoppingToken));
                    }
                }

                var wake = _wake.WaitAsync(stoppingToken);
                await (running.Count == 0 ? wake : Task.WhenAny([wake, .. running])).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            await Task.WhenAll(running).ConfigureAwait(false);
        }
    }

    private async Task RecoverAsync(CancellationToken cancellationToken)
    {
        // Orphans a crash left in the library were removed by the library's own start-up, which runs first.
        var unfinished = await _jobs.ListUnfinishedAsync(cancellationToken).ConfigureAwait(false);
        foreach (var job in unfinished.Where(job => job.Source.Kind == IngestSourceKind.Upload && !job.Enumerated))
        {
            await _jobs.TrySetStateAsync(job.Id, job.State, IngestJobState.Failed, InterruptedUpload, cancellationToken).ConfigureAwait(false);
        }

        unfinished = unfinished.Where(job => job.Source.Kind != IngestSourceKind.Upload || job.Enumerated).ToArray();
        if (unfinished.Count > 0)
        {
            LogResuming(unfinished.Count);
        }

        // No run of this process holds them yet: queued again, they are claimed like any new job.
        foreach (var job in unfinished.Where(job => job.State == IngestJobState.Running))
        {
            await _jobs.TrySetStateAsync(job.Id, IngestJobState.Running, IngestJobState.Queued, null, cancellationToken).ConfigureAwait(false);
        }

        var spool = _options.CurrentValue.SpoolPath!;
        if (Directory.Exists(spool))
        {
            // Uploads interrupted before their job was recorded leave spool folders that nothing refers to.
            var live = unfinished.Select(job => job.Id.ToString("N")).ToHashSet(StringComparer.Ordinal);
            foreach (var directory in Directory.EnumerateDirectories(spool))
            {
                if (!live.Contains(Path.GetFileName(directory)))
                {
                    TryDelete(directory);
                }
            }
        }
    }

    private async Task RunJobAsync(IngestJob job, ActiveJob active, CancellationToken stoppingToken)
    {
        await Task.Yield();
        using var hardStop = CancellationTokenSource.CreateLinkedTokenSource(active.Cancel.Token);
        using var registration = stoppingToken.Register(() => hardStop.CancelAfter(TimeSpan.FromSeconds(_options.CurrentValue.ShutdownDrainSeconds)));
        try
        {
            // The claim is a compare-and-set: a cancel that got in first (or a second runner) leaves the job alone.
            if (!await _jobs.TrySetStateAsync(job.Id, IngestJobState.Queued, IngestJobState.Running, null, hardStop.Token).ConfigureAwait(false))
            {
                LogClaimLost(job.Id);
                return;
            }

            LogJobStarted(job.Id, job.Source.Kind, job.Source.Path);
            await RunUntilEndedAsync(job, active, stoppingToken, hardStop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (active.Cancel.IsCancellationRequested)
        {
            await FinishAsync(job, IngestJobState.Cancelled, null).ConfigureAwait(false);
            LogJobCancelled(job.Id);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            LogJobStopped(job.Id);
        }
        catch (Exception exception)
        {
            LogJobFailed(exception, job.Id);
            await FinishAsync(job, IngestJobState.Failed, exception.Message).ConfigureAwait(false);
        }
        finally
        {
            _active.TryRemove(job.Id, out _);
            active.Finish();
            _wake.Release();
        }
    }

    // Runs the job's pending files until they all have an outcome or intake stops; a transient store failure
    // pauses and runs what is still pending again (outcomes already written stay, and a file the library was
    // storing when it failed is recognised by its recorded attempt, as after a crash).
    private async Task RunUntilEndedAsync(IngestJob job, ActiveJob active, CancellationToken stoppingToken, CancellationToken hardStop)
    {
        var failuresInARow = 0;
        while (true)
        {
            var processedBefore = active.Counters.Processed;
            try
            {
                if (!job.Enumerated)
                {
                    using var enumerationStop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, hardStop);
                    await EnumerateAsync(job, enumerationStop.Token).ConfigureAwait(false);
                }

                job = await _jobs.GetAsync(job.Id, hardStop).ConfigureAwait(false) ?? throw new InvalidOperationException($"Job {job.Id} vanished.");
                active.Started(_time.GetTimestamp());
                var pipeline = new IngestPipeline(_jobs, _reader, _preparer, _encoder, _library, _catalog, _options.CurrentValue.ToPipelineOptions(), _time);
                var result = await pipeline.RunAsync(job, active.Counters, stoppingToken, hardStop).ConfigureAwait(false);
                if (result == IngestRunResult.Completed)
                {
                    await FinishAsync(job, IngestJobState.Completed, null).ConfigureAwait(false);
                    LogJobCompleted(job.Id, active.Counters.Processed);
                }
                else
                {
                    LogJobStopped(job.Id);
                }

                return;
            }
            catch (Exception exception) when (TransientStoreFailure.Is(exception))
            {
                // Progress since the last pause means the store came back: start the back-off over.
                failuresInARow = active.Counters.Processed > processedBefore ? 1 : failuresInARow + 1;
                var delay = _options.CurrentValue.StoreRetryDelay(failuresInARow);
                using var pause = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, hardStop);
                pause.Token.ThrowIfCancellationRequested();
                LogJobPaused(exception, job.Id, failuresInARow, delay.TotalSeconds);
                await Task.Delay(delay, _time, pause.Token).ConfigureAwait(false);
            }
        }
    }

    private async Task EnumerateAsync(IngestJob job, CancellationToken cancellationToken)
    {
        if (job.Source.Kind != IngestSourceKind.Folder)
        {
            throw new InvalidOperationException("The upload of this job did not complete.");
        }

        var batch = new List<IngestFileEntry>(1000);
        foreach (var entry in _folders.Scan(job.Source.Path, job.Source.Recursive))
        {
            cancellationToken.ThrowIfCancellationRequested();
            batch.Add(entry);
            if (batch.Count == batch.Capacity)
            {
                await _jobs.AddFilesAsync(job.Id, batch, cancellationToken).ConfigureAwait(false);
                batch.Clear();
            }
        }

        await _jobs.AddFilesAsync(job.Id, batch, cancellationToken).ConfigureAwait(false);
        await _jobs.MarkEnumeratedAsync(job.Id, cancellationToken).ConfigureAwait(false);
    }

    private async Task FinishAsync(IngestJob job, IngestJobState state, string? error)
    {
        // The final state is written even while the host stops: it is one short transaction. The spool goes only
        // with a final state this run wrote; a job that is still unfinished needs its files.
        if (await _jobs.TrySetStateAsync(job.Id, IngestJobState.Running, state, error, CancellationToken.None).ConfigureAwait(false))
        {
            DeleteSpool(job);
        }
        else
        {
            LogFinalStateLost(job.Id, state);
        }
    }

    private void DeleteSpool(IngestJob job)
    {
        if (job.Source.Kind == IngestSourceKind.Upload)
        {
            TryDelete(job.Source.Path);
        }
    }

    private void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            LogSpoolNotDeleted(exception, directory);
        }
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Ingest job {JobId} started ({Kind} {Path})")]
    private partial void LogJobStarted(Guid jobId, IngestSourceKind kind, string path);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Ingest job {JobId} completed; {Processed} files processed in this run")]
    private partial void LogJobCompleted(Guid jobId, long processed);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Information, Message = "Ingest job {JobId} cancelled")]
    private partial void LogJobCancelled(Guid jobId);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Information, Message = "Ingest job {JobId} stopped for shutdown; it resumes at the next start")]
    private partial void LogJobStopped(Guid jobId);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Error, Message = "Ingest job {JobId} failed")]
    private partial void LogJobFailed(Exception exception, Guid jobId);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Information, Message = "Resuming {Count} unfinished ingest jobs")]
    private partial void LogResuming(int count);

    [LoggerMessage(EventId = 4020, Level = LogLevel.Warning, Message = "Ingest job {JobId} paused: a store failed transiently ({Failures} in a row); its pending files run again in {DelaySeconds} s")]
    private partial void LogJobPaused(Exception exception, Guid jobId, int failures, double delaySeconds);

    [LoggerMessage(EventId = 4021, Level = LogLevel.Information, Message = "Ingest job {JobId} was not started: it left the queue first (cancelled)")]
    private partial void LogClaimLost(Guid jobId);

    [LoggerMessage(EventId = 4022, Level = LogLevel.Warning, Message = "Ingest job {JobId} could not be marked {State}: its state was changed elsewhere")]
    private partial void LogFinalStateLost(Guid jobId, IngestJobState state);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Warning, Message = "Could not delete spool folder {Directory}")]
    private partial void LogSpoolNotDeleted(Exception exception, string directory);

    private sealed class ActiveJob(long createdTimestamp)
    {
        private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Lock _gate = new();
        private readonly Queue<(long Timestamp, long Processed)> _samples = new();
        private long _startTimestamp = createdTimestamp;

        public CancellationTokenSource Cancel { get; } = new();

        public IngestRunCounters Counters { get; } = new();

        public Task Finished => _finished.Task;

        public void Started(long timestamp) => _startTimestamp = timestamp;

        // The token source is not disposed: a concurrent DELETE may still be cancelling it, and it holds no timer.
        public void Finish() => _finished.TrySetResult();

        public IngestLiveStatus Live(long pending, TimeProvider time)
        {
            var now = time.GetTimestamp();
            var processed = Counters.Processed;
            double rate;
            lock (_gate)
            {
                _samples.Enqueue((now, processed));
                while (_samples.Count > 2 && time.GetElapsedTime(_samples.Peek().Timestamp, now) > TimeSpan.FromSeconds(10))
                {
                    _samples.Dequeue();
                }

                var (oldestTime, oldestProcessed) = _samples.Peek();
                var window = time.GetElapsedTime(oldestTime, now).TotalSeconds;
                rate = window >= 1 ? (processed - oldestProcessed) / window : processed / Math.Max(1e-3, time.GetElapsedTime(_startTimestamp, now).TotalSeconds);
            }

            return new IngestLiveStatus(rate, rate > 0 ? TimeSpan.FromSeconds(pending / rate) : null);
        }
    }
}
