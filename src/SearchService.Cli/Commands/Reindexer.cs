using System.Collections.Concurrent;
using SearchService.Core.Images;
using SearchService.Core.Storage;

namespace SearchService.Cli.Commands;

/// <summary>What a reindex did.</summary>
/// <param name="Collection">The model's collection that was filled.</param>
/// <param name="Images">Images in the catalog.</param>
/// <param name="Embedded">Vectors written by this run.</param>
/// <param name="AlreadyThere">Images that already had a vector in the collection (an earlier, interrupted run).</param>
/// <param name="Failures">Images that could not be embedded, with why.</param>
internal sealed record ReindexResult(VectorCollection Collection, long Images, long Embedded, long AlreadyThere, IReadOnlyList<ReindexFailure> Failures);

internal sealed record ReindexFailure(Guid ImageId, string? FileName, string Reason);

/// <summary>
/// Embeds every stored original again with the opened model, into that model's collection (the library's
/// collection: one per model name and dimension), so the service can switch models without re-uploading.
/// Images that already have a vector there are skipped, which makes a run resumable and a re-run a no-op; the
/// catalog, the blobs and other models' collections are left alone. Works through the catalog in chunks:
/// originals decoded in parallel, embeddings computed in the encoder's batches, one upsert per batch.
/// </summary>
internal sealed class Reindexer(LocalLibrary library, int decodeParallelism)
{
    public async Task<ReindexResult> RunAsync(ProgressBar progress, CancellationToken cancellationToken)
    {
        var batchSize = Math.Max(1, library.ImageEncoder.PreferredBatchSize);
        var chunkSize = batchSize * Math.Max(2, decodeParallelism);
        var total = await library.Catalog.CountAsync(cancellationToken);
        var run = new Run(library, batchSize, decodeParallelism, cancellationToken);
        var ids = new List<Guid>(chunkSize);
        progress.Report(new ProgressSnapshot(0, total, 0, null));
        var started = TimeProvider.System.GetTimestamp();
        await foreach (var id in library.Catalog.ListIdsAsync(cancellationToken))
        {
            ids.Add(id);
            if (ids.Count == chunkSize)
            {
                await run.ProcessAsync(ids);
                ids.Clear();
                progress.Report(run.Snapshot(total, started));
            }
        }

        await run.ProcessAsync(ids);
        progress.Complete(run.Snapshot(total, started));
        return new ReindexResult(library.Collection, total, run.Embedded, run.AlreadyThere, [.. run.Failures]);
    }

    private sealed class Run(LocalLibrary library, int batchSize, int decodeParallelism, CancellationToken cancellationToken)
    {
        private readonly PrepareOptions _noThumbnail = new(ThumbnailSize: 0);

        public long Embedded { get; private set; }

        public long AlreadyThere { get; private set; }

        public ConcurrentQueue<ReindexFailure> Failures { get; } = new();

        public ProgressSnapshot Snapshot(long total, long started)
        {
            var done = Embedded + AlreadyThere + Failures.Count;
            var seconds = TimeProvider.System.GetElapsedTime(started).TotalSeconds;
            return new ProgressSnapshot(done, total, Failures.Count, seconds > 0.5 && Embedded > 0 ? Embedded / seconds : null);
        }

        public async Task ProcessAsync(IReadOnlyCollection<Guid> ids)
        {
            if (ids.Count == 0)
            {
                return;
            }

            var missing = new List<ImageRecord>(ids.Count);
            foreach (var record in await library.Catalog.GetManyAsync(ids, cancellationToken))
            {
                if (await library.Vectors.GetVectorAsync(library.Collection, record.Id, cancellationToken) is null)
                {
                    missing.Add(record);
                }
                else
                {
                    AlreadyThere++;
                }
            }

            var prepared = new PreparedImage?[missing.Count];
            var options = new ParallelOptions { MaxDegreeOfParallelism = decodeParallelism, CancellationToken = cancellationToken };
            await Parallel.ForAsync(0, missing.Count, options, async (i, token) => prepared[i] = await PrepareAsync(missing[i], token));

            var ready = Enumerable.Range(0, missing.Count).Where(i => prepared[i] is not null).ToArray();
            foreach (var batch in ready.Chunk(batchSize))
            {
                var embeddings = await library.ImageEncoder.EncodeAsync(batch.Select(i => (ReadOnlyMemory<float>)prepared[i]!.Tensor).ToArray(), cancellationToken);
                var points = batch.Select((index, k) => new VectorPoint(missing[index].Id, embeddings[k], missing[index].ToPayload())).ToArray();
                await library.Vectors.UpsertAsync(library.Collection, points, cancellationToken);
                Embedded += points.Length;
                foreach (var index in batch)
                {
                    prepared[index] = null;
                }
            }
        }

        private async Task<PreparedImage?> PrepareAsync(ImageRecord record, CancellationToken token)
        {
            if (library.Blobs.GetPath(record.Sha256, BlobKind.Original) is not { } path)
            {
                Failures.Enqueue(new ReindexFailure(record.Id, record.FileName, "the original is missing from the blob store"));
                return null;
            }

            try
            {
                var bytes = await File.ReadAllBytesAsync(path, token);
                return library.Preparer.Prepare(bytes, _noThumbnail, token);
            }
            catch (Exception exception) when (exception is ImageRejectedException or IOException or UnauthorizedAccessException)
            {
                Failures.Enqueue(new ReindexFailure(record.Id, record.FileName, exception.Message));
                return null;
            }
        }
    }
}
