using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using System.Threading.Channels;
using SearchService.Core.Images;
using SearchService.Core.Library;
using SearchService.Core.Models;
using SearchService.Core.Storage;

namespace SearchService.Core.Ingest;

/// <summary>How a run of the pipeline ended.</summary>
public enum IngestRunResult
{
    /// <summary>Every pending file has a final state.</summary>
    Completed,

    /// <summary>Intake was stopped (shutdown); what was in flight was finished, the rest stays pending.</summary>
    Stopped,
}

/// <summary>
/// Ingests the pending files of one job: read → hash and dedupe → decode (parallel) → batch → encode →
/// store, stages joined by bounded channels so the slowest stage (the encoder, ideally) sets the pace and
/// memory stays bounded by <see cref="IngestPipelineOptions.MaxBytesInFlight"/> whatever the job's size.
/// A file that fails is recorded with its reason; only failures of the stores themselves stop the run.
/// </summary>
public sealed class IngestPipeline
{
    private readonly IIngestJobStore _jobs;
    private readonly IIngestFileReader _reader;
    private readonly IImagePreparer _preparer;
    private readonly IImageEncoder _encoder;
    private readonly IImageLibrary _library;
    private readonly IImageCatalog _catalog;
    private readonly IngestPipelineOptions _options;
    private readonly TimeProvider _time;

    public IngestPipeline(
        IIngestJobStore jobs,
        IIngestFileReader reader,
        IImagePreparer preparer,
        IImageEncoder encoder,
        IImageLibrary library,
        IImageCatalog catalog,
        IngestPipelineOptions options,
        TimeProvider time)
    {
        _jobs = jobs;
        _reader = reader;
        _preparer = preparer;
        _encoder = encoder;
        _library = library;
        _catalog = catalog;
        _options = options;
        _time = time;
    }

    public int BatchSize => _options.BatchSize > 0 ? _options.BatchSize : Math.Max(1, _encoder.PreferredBatchSize);

    /// <summary>Processes the job's pending files.</summary>
    /// <param name="job">The job (its files are already recorded).</param>
    /// <param name="counters">Updated as outcomes are written.</param>
    /// <param name="stopIntake">Stops taking new files; what is in flight is finished and written.</param>
    /// <param name="cancellationToken">Stops at once; files in flight stay pending.</param>
    public async Task<IngestRunResult> RunAsync(IngestJob job, IngestRunCounters counters, CancellationToken stopIntake, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(counters);
        using var failure = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var intake = CancellationTokenSource.CreateLinkedTokenSource(failure.Token, stopIntake);
        var run = new Run(this, job, counters, failure.Token);

        var stages = new[]
        {
            Guard(run.ReadAsync(intake.Token), failure),
            Guard(run.DecodeAsync(), failure),
            Guard(run.BatchAsync(), failure),
            Guard(run.EncodeAsync(), failure),
            Guard(run.WriteAsync(), failure),
        };
        try
        {
            await Task.WhenAll(stages).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Stages cancelled by a failing stage end with OperationCanceledException; report the failure itself.
            var cause = stages.Where(stage => stage.IsFaulted).SelectMany(stage => stage.Exception!.InnerExceptions)
                .FirstOrDefault(exception => exception is not OperationCanceledException);
            if (cause is not null)
            {
                ExceptionDispatchInfo.Throw(cause);
            }

            throw;
        }

        cancellationToken.ThrowIfCancellationRequested();
        return run.IntakeStopped ? IngestRunResult.Stopped : IngestRunResult.Completed;
    }

    // The first stage to fail cancels the others, so no stage is left blocked on a channel nobody drains.
    private static async Task Guard(Task stage, CancellationTokenSource failure)
    {
        try
        {
            await stage.ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            await failure.CancelAsync().ConfigureAwait(false);
            throw;
        }
    }

    private sealed class WorkItem(IngestFile file)
    {
        public IngestFile File { get; } = file;

        public long Reserved { get; set; }

        public byte[]? Bytes { get; set; }

        public string? Sha256 { get; set; }

        public PreparedImage? Prepared { get; set; }

        public float[]? Embedding { get; set; }

        public ImageRecord? Existing { get; set; }

        public IngestFileOutcome? Outcome { get; set; }

        public void Fail(string reason)
        {
            Outcome = new IngestFileOutcome(File.Id, IngestFileState.Failed, Sha256, null, reason);
            Bytes = null;
            Prepared = null;
        }
    }

    private sealed class Run
    {
        private readonly IngestPipeline _pipeline;
        private readonly IngestJob _job;
        private readonly IngestRunCounters _counters;
        private readonly CancellationToken _cancellationToken;
        private readonly ByteBudget _budget;
        private readonly long _tensorBytes;
        private readonly Channel<WorkItem> _toDecode;
        private readonly Channel<WorkItem> _toBatch;
        private readonly Channel<List<WorkItem>> _toEncode;
        private readonly Channel<List<WorkItem>> _toWrite;
        private readonly IReadOnlyDictionary<string, string> _metadata;

        public Run(IngestPipeline pipeline, IngestJob job, IngestRunCounters counters, CancellationToken cancellationToken)
        {
            _pipeline = pipeline;
            _job = job;
            _counters = counters;
            _cancellationToken = cancellationToken;
            var options = pipeline._options;
            _budget = new ByteBudget(options.MaxBytesInFlight);
            _tensorBytes = (long)pipeline._encoder.Model.Preprocessing.TensorLength * sizeof(float);
            var batch = pipeline.BatchSize;
            _toDecode = Bounded<WorkItem>(options.EffectiveDecodeConcurrency * 2);
            _toBatch = Bounded<WorkItem>(batch * 2);
            _toEncode = Bounded<List<WorkItem>>(Math.Max(1, options.EncodeConcurrency));
            _toWrite = Bounded<List<WorkItem>>(Math.Max(2, options.EncodeConcurrency + 1) + options.ReadConcurrency + options.EffectiveDecodeConcurrency);
            _metadata = new Dictionary<string, string> { ["ingest_job"] = job.Id.ToString() };
        }

        public bool IntakeStopped { get; private set; }

        private static Channel<T> Bounded<T>(int capacity) =>
            Channel.CreateBounded<T>(new BoundedChannelOptions(Math.Max(1, capacity)) { FullMode = BoundedChannelFullMode.Wait });

        public async Task ReadAsync(CancellationToken intake)
        {
            try
            {
                var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _pipeline._options.ReadConcurrency), CancellationToken = intake };
                await Parallel.ForEachAsync(_pipeline._jobs.ReadPendingAsync(_job.Id, intake), options, ReadOneAsync).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (intake.IsCancellationRequested && !_cancellationToken.IsCancellationRequested)
            {
                IntakeStopped = true;
            }
            finally
            {
                _toDecode.Writer.TryComplete();
            }
        }

        private async ValueTask ReadOneAsync(IngestFile file, CancellationToken intake)
        {
            var item = new WorkItem(file);
            var catalog = _pipeline._catalog;
            if (file.PriorUnchanged && file.PriorSha256 is { } prior
                && await catalog.FindBySha256Async(prior, _cancellationToken).ConfigureAwait(false) is { } unchanged)
            {
                item.Outcome = new IngestFileOutcome(file.Id, IngestFileState.Skipped, prior, unchanged.Id, "unchanged since an earlier ingest");
                await ToWriterAsync(item).ConfigureAwait(false);
                return;
            }

            // Reserving is where intake waits when memory is full; once reserved the file is finished even if intake stops.
            item.Reserved = await _budget.ReserveAsync(file.Entry.SizeBytes + _tensorBytes, intake).ConfigureAwait(false);
            try
            {
                item.Bytes = await _pipeline._reader.ReadAsync(_job, file, _cancellationToken).ConfigureAwait(false);
                item.Sha256 = Convert.ToHexStringLower(SHA256.HashData(item.Bytes));
            }
            catch (IngestFileException exception)
            {
                item.Fail(exception.Message);
                await ToWriterAsync(item).ConfigureAwait(false);
                return;
            }

            // Known bytes are never decoded: the catalog already has them.
            if (await catalog.FindBySha256Async(item.Sha256, _cancellationToken).ConfigureAwait(false) is { } existing)
            {
                item.Existing = existing;
                item.Bytes = null;
                await ToWriterAsync(item).ConfigureAwait(false);
                return;
            }

            await _toDecode.Writer.WriteAsync(item, _cancellationToken).ConfigureAwait(false);
        }

        private ValueTask ToWriterAsync(WorkItem item) => _toWrite.Writer.WriteAsync([item], _cancellationToken);

        public async Task DecodeAsync()
        {
            try
            {
                var workers = Enumerable.Range(0, _pipeline._options.EffectiveDecodeConcurrency)
                    .Select(_ => Task.Run(DecodeWorkerAsync, _cancellationToken));
                await Task.WhenAll(workers).ConfigureAwait(false);
            }
            finally
            {
                _toBatch.Writer.TryComplete();
            }
        }

        private async Task DecodeWorkerAsync()
        {
            var options = new PrepareOptions(_pipeline._options.ThumbnailSize);
            await foreach (var item in _toDecode.Reader.ReadAllAsync(_cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    item.Prepared = _pipeline._preparer.Prepare(item.Bytes!, options, _cancellationToken);
                }
                catch (ImageRejectedException exception)
                {
                    item.Fail(exception.Message);
                    await ToWriterAsync(item).ConfigureAwait(false);
                    continue;
                }

                await _toBatch.Writer.WriteAsync(item, _cancellationToken).ConfigureAwait(false);
            }
        }

        public async Task BatchAsync()
        {
            var size = _pipeline.BatchSize;
            var linger = _pipeline._options.BatchLinger;
            var reader = _toBatch.Reader;
            var batch = new List<WorkItem>(size);
            try
            {
                while (true)
                {
                    if (!reader.TryRead(out var item))
                    {
                        var more = batch.Count == 0
                            ? await reader.WaitToReadAsync(_cancellationToken).ConfigureAwait(false)
                            : await WaitOrLingerAsync(reader, linger).ConfigureAwait(false);
                        if (more is null || (more == false && batch.Count > 0))
                        {
                            await FlushAsync().ConfigureAwait(false);
                        }

                        if (more == false)
                        {
                            return;
                        }

                        continue;
                    }

                    batch.Add(item);
                    if (batch.Count == size)
                    {
                        await FlushAsync().ConfigureAwait(false);
                    }
                }
            }
            finally
            {
                _toEncode.Writer.TryComplete();
            }

            async Task FlushAsync()
            {
                if (batch.Count == 0)
                {
                    return;
                }

                await _toEncode.Writer.WriteAsync(batch, _cancellationToken).ConfigureAwait(false);
                batch = new List<WorkItem>(size);
            }
        }

        // True: an item is ready; false: the channel is finished; null: nothing came within the linger time.
        private async Task<bool?> WaitOrLingerAsync(ChannelReader<WorkItem> reader, TimeSpan linger)
        {
            using var lingerSource = CancellationTokenSource.CreateLinkedTokenSource(_cancellationToken);
            lingerSource.CancelAfter(linger);
            try
            {
                return await reader.WaitToReadAsync(lingerSource.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!_cancellationToken.IsCancellationRequested)
            {
                return null;
            }
        }

        public async Task EncodeAsync()
        {
            try
            {
                var workers = Enumerable.Range(0, Math.Max(1, _pipeline._options.EncodeConcurrency)).Select(_ => EncodeWorkerAsync());
                await Task.WhenAll(workers).ConfigureAwait(false);
            }
            finally
            {
                _toWrite.Writer.TryComplete();
            }
        }

        private async Task EncodeWorkerAsync()
        {
            await foreach (var batch in _toEncode.Reader.ReadAllAsync(_cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    Assign(batch, await EncodeAsync(batch).ConfigureAwait(false));
                }
                catch (Exception exception) when (exception is not OperationCanceledException && batch.Count > 1)
                {
                    // One input the model cannot take must not fail its neighbours: isolate it.
                    foreach (var item in batch)
                    {
                        try
                        {
                            Assign([item], await EncodeAsync([item]).ConfigureAwait(false));
                        }
                        catch (Exception single) when (single is not OperationCanceledException)
                        {
                            item.Fail($"encoding failed: {single.Message}");
                        }
                    }
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    batch[0].Fail($"encoding failed: {exception.Message}");
                }

                await _toWrite.Writer.WriteAsync(batch, _cancellationToken).ConfigureAwait(false);
            }
        }

        private Task<float[][]> EncodeAsync(List<WorkItem> batch) =>
            _pipeline._encoder.EncodeAsync(batch.Select(item => (ReadOnlyMemory<float>)item.Prepared!.Tensor).ToArray(), _cancellationToken);

        private static void Assign(List<WorkItem> batch, float[][] embeddings)
        {
            if (embeddings.Length != batch.Count)
            {
                throw new InvalidOperationException($"The encoder returned {embeddings.Length} embeddings for {batch.Count} images.");
            }

            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Embedding = embeddings[i];
                batch[i].Prepared = batch[i].Prepared! with { Tensor = [] };
            }
        }

        public async Task WriteAsync()
        {
            var pending = new List<IngestFileOutcome>();
            var claimedHere = new HashSet<Guid>();
            var lastFlush = _pipeline._time.GetTimestamp();
            try
            {
                await foreach (var message in _toWrite.Reader.ReadAllAsync(_cancellationToken).ConfigureAwait(false))
                {
                    var toStore = new List<WorkItem>(message.Count);
                    foreach (var item in message)
                    {
                        if (item.Outcome is { } outcome)
                        {
                            pending.Add(outcome);
                        }
                        else if (item.Existing is { } existing)
                        {
                            // Decided here, one at a time, because ownership depends on outcomes written before it.
                            var owned = claimedHere.Contains(existing.Id)
                                || await _pipeline._jobs.IsImageOwnedAsync(existing.Id, _cancellationToken).ConfigureAwait(false);
                            var resolved = IngestAccounting.ResolveExisting(item.File, item.Sha256!, existing, owned);
                            if (resolved.State == IngestFileState.Done)
                            {
                                claimedHere.Add(existing.Id);
                            }

                            pending.Add(resolved);
                        }
                        else
                        {
                            toStore.Add(item);
                        }
                    }

                    if (toStore.Count > 0)
                    {
                        pending.AddRange(await StoreAsync(toStore).ConfigureAwait(false));
                    }

                    var due = pending.Count >= _pipeline._options.OutcomeFlushCount
                        || toStore.Count > 0
                        || _pipeline._time.GetElapsedTime(lastFlush) > TimeSpan.FromSeconds(1);
                    if (due && pending.Count > 0)
                    {
                        await FlushAsync(pending).ConfigureAwait(false);
                        lastFlush = _pipeline._time.GetTimestamp();
                    }

                    foreach (var item in message)
                    {
                        _budget.Release(item.Reserved);
                        item.Reserved = 0;
                    }
                }

                if (pending.Count > 0)
                {
                    await FlushAsync(pending).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                // Outcomes already decided are still true; keeping them saves redoing that work after the restart.
                if (pending.Count > 0)
                {
                    await _pipeline._jobs.CompleteFilesAsync(pending, CancellationToken.None).ConfigureAwait(false);
                }

                throw;
            }
        }

        private async Task FlushAsync(List<IngestFileOutcome> pending)
        {
            await _pipeline._jobs.CompleteFilesAsync(pending, _cancellationToken).ConfigureAwait(false);
            _counters.Add(pending);
            pending.Clear();
        }

        private async Task<IReadOnlyList<IngestFileOutcome>> StoreAsync(List<WorkItem> items)
        {
            // The attempt must be durable before the library's commit point, or a crash in between would make
            // the file count as a duplicate of its own image on the re-run.
            var attempts = items.Select(item => new IngestAttempt(item.File.Id, item.Sha256!)).ToArray();
            await _pipeline._jobs.RecordAttemptsAsync(attempts, _pipeline._time.GetUtcNow(), _cancellationToken).ConfigureAwait(false);

            var images = items.Select(item => new NewImage(
                item.Sha256!,
                item.Bytes,
                item.Prepared!,
                item.Embedding!,
                item.File.Entry.DisplayName,
                _job.Source.Tags,
                _metadata)).ToArray();
            var stored = await _pipeline._library.StoreAsync(images, _cancellationToken).ConfigureAwait(false);
            if (stored.Count != items.Count)
            {
                throw new InvalidOperationException($"The library returned {stored.Count} results for {items.Count} images.");
            }

            var outcomes = new IngestFileOutcome[items.Count];
            for (var i = 0; i < items.Count; i++)
            {
                var result = stored[i];
                outcomes[i] = new IngestFileOutcome(
                    items[i].File.Id,
                    result.Duplicate ? IngestFileState.Duplicate : IngestFileState.Done,
                    items[i].Sha256,
                    result.Record.Id,
                    null);
                items[i].Bytes = null;
            }

            return outcomes;
        }
    }
}
