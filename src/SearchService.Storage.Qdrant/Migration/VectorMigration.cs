using System.Text.Json;
using Microsoft.Extensions.Logging;
using SearchService.Core.Storage;

namespace SearchService.Storage.Qdrant.Migration;

/// <summary>What one collection's migration did.</summary>
/// <param name="Collection">The collection migrated.</param>
/// <param name="Copied">Points written to the target in this run.</param>
/// <param name="Skipped">Points already copied by an earlier, interrupted run (known from the checkpoint).</param>
/// <param name="Orphans">Vectors without a catalog row: not images any more, so not copied.</param>
/// <param name="TargetCount">Points in the target collection afterwards.</param>
public sealed record MigrationResult(VectorCollection Collection, long Copied, long Skipped, long Orphans, long TargetCount);

/// <summary>
/// Copies every vector of a collection, with its payload taken from the catalog (the system of record), from
/// one vector store into another (the embedded store into Qdrant). Ids are copied in ascending order and a
/// checkpoint recording the last copied id is written atomically after each acknowledged batch, so an
/// interrupted run resumes where it stopped; re-copying a batch is harmless since upserts are by id.
/// Run it while the service is stopped: images added meanwhile below the checkpoint would be missed (a run
/// with <c>restart</c> copies everything again).
/// </summary>
public sealed partial class VectorMigration(
    IVectorStore source,
    IVectorStore target,
    IImageCatalog catalog,
    string checkpointDirectory,
    string targetIdentity,
    ILogger<VectorMigration> logger)
{
    public int BatchSize { get; init; } = 256;

    public async Task<MigrationResult> MigrateAsync(VectorCollection collection, bool restart, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1);
        await target.EnsureCollectionAsync(collection, cancellationToken).ConfigureAwait(false);

        var checkpointPath = Path.Combine(checkpointDirectory, $"migrate-{Sanitize(collection.Name)}.json");
        var checkpoint = restart ? null : await LoadAsync(checkpointPath, collection, cancellationToken).ConfigureAwait(false);
        if (checkpoint is not null)
        {
            LogResuming(logger, collection.Name, checkpoint.LastId, checkpoint.Copied);
        }

        var ids = new List<Guid>();
        await foreach (var id in source.ListIdsAsync(collection, cancellationToken).ConfigureAwait(false))
        {
            ids.Add(id);
        }

        ids.Sort();
        var start = 0;
        if (checkpoint is not null)
        {
            var found = ids.BinarySearch(checkpoint.LastId);
            start = found >= 0 ? found + 1 : ~found;
        }

        long copied = 0, orphans = 0;
        var previouslyCopied = checkpoint?.Copied ?? 0;
        for (var offset = start; offset < ids.Count; offset += BatchSize)
        {
            var batch = ids.GetRange(offset, Math.Min(BatchSize, ids.Count - offset));
            var records = (await catalog.GetManyAsync(batch, cancellationToken).ConfigureAwait(false)).ToDictionary(r => r.Id);
            var points = new List<VectorPoint>(batch.Count);
            foreach (var id in batch)
            {
                var vector = await source.GetVectorAsync(collection, id, cancellationToken).ConfigureAwait(false);
                if (vector is null || !records.TryGetValue(id, out var record))
                {
                    orphans++;
                    continue;
                }

                points.Add(new VectorPoint(id, vector, record.ToPayload()));
            }

            await target.UpsertAsync(collection, points, cancellationToken).ConfigureAwait(false);
            copied += points.Count;
            await SaveAsync(checkpointPath, new Checkpoint(targetIdentity, collection.Name, collection.Dimensions, batch[^1], previouslyCopied + copied), cancellationToken).ConfigureAwait(false);
            LogProgress(logger, collection.Name, offset + batch.Count, ids.Count);
        }

        var targetCount = await target.CountAsync(collection, null, cancellationToken).ConfigureAwait(false);
        var skipped = start;
        LogDone(logger, collection.Name, copied, skipped, orphans, targetCount);
        return new MigrationResult(collection, copied, skipped, orphans, targetCount);
    }

    private async Task<Checkpoint?> LoadAsync(string path, VectorCollection collection, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var stream = File.OpenRead(path);
        await using (stream.ConfigureAwait(false))
        {
            Checkpoint? checkpoint;
            try
            {
                checkpoint = await JsonSerializer.DeserializeAsync(stream, MigrationJsonContext.Default.Checkpoint, cancellationToken).ConfigureAwait(false);
            }
            catch (JsonException exception)
            {
                throw new InvalidOperationException($"The migration checkpoint {path} is damaged ({exception.Message}); delete it or run with --restart.", exception);
            }

            // A checkpoint of another target or another dimension says nothing about this one.
            return checkpoint is not null && checkpoint.Target == targetIdentity && checkpoint.Collection == collection.Name && checkpoint.Dimensions == collection.Dimensions
                ? checkpoint
                : null;
        }
    }

    private static async Task SaveAsync(string path, Checkpoint checkpoint, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + ".tmp";
        // Write-through, then rename: after a crash the checkpoint is the old one or the new one, never torn.
        var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.WriteThrough | FileOptions.Asynchronous);
        await using (stream.ConfigureAwait(false))
        {
            await JsonSerializer.SerializeAsync(stream, checkpoint, MigrationJsonContext.Default.Checkpoint, cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        File.Move(temporary, path, overwrite: true);
    }

    private static string Sanitize(string name) => string.Concat(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));

    [LoggerMessage(EventId = 5110, Level = LogLevel.Information, Message = "Resuming migration of {Collection} after {LastId} ({Copied} points copied before)")]
    private static partial void LogResuming(ILogger logger, string collection, Guid lastId, long copied);

    [LoggerMessage(EventId = 5111, Level = LogLevel.Information, Message = "Migrating {Collection}: {Done}/{Total} ids")]
    private static partial void LogProgress(ILogger logger, string collection, int done, int total);

    [LoggerMessage(EventId = 5112, Level = LogLevel.Information, Message = "Migrated {Collection}: {Copied} copied, {Skipped} already done, {Orphans} orphans skipped; target holds {TargetCount}")]
    private static partial void LogDone(ILogger logger, string collection, long copied, long skipped, long orphans, long targetCount);
}

/// <summary>Progress of one collection's migration to one target.</summary>
internal sealed record Checkpoint(string Target, string Collection, int Dimensions, Guid LastId, long Copied);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(WriteIndented = true)]
[System.Text.Json.Serialization.JsonSerializable(typeof(Checkpoint))]
internal sealed partial class MigrationJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
