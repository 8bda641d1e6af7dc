using System.Collections.Concurrent;
using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using SearchService.Core.Storage;

namespace SearchService.Storage.Sqlite.Vectors;

/// <summary>
/// The embedded <see cref="IVectorStore"/>: points persisted in SQLite (vectors as little-endian float32 BLOBs,
/// normalised once at write), one collection per model, each loaded into a <see cref="VectorIndex"/> on first
/// use and kept in step with every write. A write commits to SQLite first and then applies to memory, one
/// writer at a time, so memory never holds what the file does not. One instance owns a file at a time.
/// </summary>
public sealed class EmbeddedVectorStore : IVectorStore, IDisposable
{
    private const int LoadLogEvery = 250_000;

    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE collections (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            dimensions INTEGER NOT NULL);
        CREATE TABLE points (
            collection_id INTEGER NOT NULL REFERENCES collections (id),
            id BLOB NOT NULL,
            tags TEXT NOT NULL,
            metadata TEXT NOT NULL,
            uploaded_at INTEGER NOT NULL,
            taken_at INTEGER,
            vector BLOB NOT NULL);
        CREATE UNIQUE INDEX points_by_id ON points (collection_id, id);
        """,
    ];

    /// <summary>16 KiB pages hold seven 512-d rows each instead of one per 4 KiB page.</summary>
    private const int PageSize = 16384;

    private readonly SqliteDatabase _database;
    private readonly ILogger<EmbeddedVectorStore> _logger;
    private readonly int _parallelism;
    private readonly long _parallelFromFloats;
    private readonly ConcurrentDictionary<string, (long Id, VectorIndex Index)> _collections = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _loadGate = new(1, 1);
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly FileStream _ownership;
    private bool _disposed;

    /// <param name="databasePath">The SQLite file (usually <c>&lt;Storage:DataPath&gt;/vectors.db</c>); created with its folder if missing.</param>
    /// <param name="searchThreads">Cores one search may use; 0 for all.</param>
    /// <param name="logger">Receives collection loads.</param>
    public EmbeddedVectorStore(string databasePath, int searchThreads, ILogger<EmbeddedVectorStore> logger)
        : this(databasePath, searchThreads, logger, VectorIndex.DefaultParallelFromFloats)
    {
    }

    /// <param name="databasePath">The SQLite file.</param>
    /// <param name="searchThreads">Cores one search may use; 0 for all.</param>
    /// <param name="logger">Receives collection loads.</param>
    /// <param name="parallelFromFloats">Collections of at least this many floats are searched across cores (tests lower it to reach that path on small data).</param>
    internal EmbeddedVectorStore(string databasePath, int searchThreads, ILogger<EmbeddedVectorStore> logger, long parallelFromFloats)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(searchThreads);
        ArgumentNullException.ThrowIfNull(logger);
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("The embedded vector store keeps vectors as little-endian float32 and needs a little-endian machine.");
        }

        _ownership = TakeOwnership(databasePath);
        try
        {
            _database = new SqliteDatabase(databasePath, Migrations, PageSize);
        }
        catch
        {
            _ownership.Dispose();
            throw;
        }

        _logger = logger;
        _parallelism = searchThreads == 0 ? Environment.ProcessorCount : searchThreads;
        _parallelFromFloats = parallelFromFloats;
    }

    public async Task EnsureCollectionAsync(VectorCollection collection, CancellationToken cancellationToken) =>
        await GetIndexAsync(collection, create: true, cancellationToken).ConfigureAwait(false);

    public async Task UpsertAsync(VectorCollection collection, IReadOnlyList<VectorPoint> points, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(points);
        var (collectionId, index) = await GetIndexAsync(collection, create: false, cancellationToken).ConfigureAwait(false);
        var units = new float[points.Count][];
        for (var i = 0; i < points.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(points[i], nameof(points));
            ArgumentNullException.ThrowIfNull(points[i].Payload, nameof(points));
            units[i] = Normalise(collection, points[i].Vector, nameof(points), rejectZero: true);
        }

        if (points.Count == 0)
        {
            return;
        }

        await WriteAsync(
            (connection, transaction) =>
            {
                using var command = SqliteDatabase.Command(connection, transaction, """
                    INSERT INTO points (collection_id, id, tags, metadata, uploaded_at, taken_at, vector)
                    VALUES ($collection, $id, $tags, $metadata, $uploaded, $taken, $vector)
                    ON CONFLICT (collection_id, id) DO UPDATE SET
                        tags = excluded.tags, metadata = excluded.metadata, uploaded_at = excluded.uploaded_at,
                        taken_at = excluded.taken_at, vector = excluded.vector
                    """);
                command.Parameters.AddWithValue("$collection", collectionId);
                var id = command.Parameters.Add("$id", SqliteType.Blob);
                var tags = command.Parameters.Add("$tags", SqliteType.Text);
                var metadata = command.Parameters.Add("$metadata", SqliteType.Text);
                var uploaded = command.Parameters.Add("$uploaded", SqliteType.Integer);
                var taken = command.Parameters.Add("$taken", SqliteType.Integer);
                var vector = command.Parameters.Add("$vector", SqliteType.Blob);
                for (var i = 0; i < points.Count; i++)
                {
                    var payload = points[i].Payload;
                    id.Value = Key(points[i].Id);
                    tags.Value = JsonSerializer.Serialize(payload.Tags);
                    metadata.Value = JsonSerializer.Serialize(payload.Metadata);
                    uploaded.Value = payload.UploadedAt.UtcTicks;
                    taken.Value = payload.TakenAt is { } takenAt ? takenAt.UtcTicks : DBNull.Value;
                    vector.Value = MemoryMarshal.AsBytes(units[i].AsSpan()).ToArray();
                    command.ExecuteNonQuery();
                }

                return true;
            },
            () =>
            {
                for (var i = 0; i < points.Count; i++)
                {
                    index.Upsert(points[i].Id, units[i], points[i].Payload);
                }
            },
            cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> SetPayloadAsync(VectorCollection collection, Guid id, ImagePayload payload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(payload);
        var (collectionId, index) = await GetIndexAsync(collection, create: false, cancellationToken).ConfigureAwait(false);
        return await WriteAsync(
            (connection, transaction) =>
            {
                using var command = SqliteDatabase.Command(connection, transaction, """
                    UPDATE points SET tags = $tags, metadata = $metadata, uploaded_at = $uploaded, taken_at = $taken
                    WHERE collection_id = $collection AND id = $id
                    """);
                command.Parameters.AddWithValue("$tags", JsonSerializer.Serialize(payload.Tags));
                command.Parameters.AddWithValue("$metadata", JsonSerializer.Serialize(payload.Metadata));
                command.Parameters.AddWithValue("$uploaded", payload.UploadedAt.UtcTicks);
                command.Parameters.AddWithValue("$taken", payload.TakenAt is { } takenAt ? takenAt.UtcTicks : DBNull.Value);
                command.Parameters.AddWithValue("$collection", collectionId);
                command.Parameters.AddWithValue("$id", Key(id));
                return command.ExecuteNonQuery() == 1;
            },
            () => { index.SetPayload(id, payload); },
            cancellationToken).ConfigureAwait(false);
    }

    public async Task DeleteAsync(VectorCollection collection, IReadOnlyList<Guid> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var (collectionId, index) = await GetIndexAsync(collection, create: false, cancellationToken).ConfigureAwait(false);
        if (ids.Count == 0)
        {
            return;
        }

        await WriteAsync(
            (connection, transaction) =>
            {
                using var command = SqliteDatabase.Command(connection, transaction, "DELETE FROM points WHERE collection_id = $collection AND id = $id");
                command.Parameters.AddWithValue("$collection", collectionId);
                var id = command.Parameters.Add("$id", SqliteType.Blob);
                foreach (var value in ids)
                {
                    id.Value = Key(value);
                    command.ExecuteNonQuery();
                }

                return true;
            },
            () => index.Delete(ids),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The stored vector, as stored: normalised to unit length.</summary>
    public async Task<float[]?> GetVectorAsync(VectorCollection collection, Guid id, CancellationToken cancellationToken)
    {
        var (_, index) = await GetIndexAsync(collection, create: false, cancellationToken).ConfigureAwait(false);
        return index.GetVector(id);
    }

    public async Task<IReadOnlyList<ScoredPoint>> SearchAsync(VectorCollection collection, VectorQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1, nameof(query));
        ArgumentOutOfRangeException.ThrowIfNegative(query.Offset, nameof(query));
        var (_, index) = await GetIndexAsync(collection, create: false, cancellationToken).ConfigureAwait(false);
        var unit = Normalise(collection, query.Vector, nameof(query), rejectZero: false);
        return index.Search(unit, query.Limit, query.Offset, query.MinScore, query.Filter, query.ExcludeIds, cancellationToken);
    }

    public async Task<long> CountAsync(VectorCollection collection, ImageFilter? filter, CancellationToken cancellationToken)
    {
        var (_, index) = await GetIndexAsync(collection, create: false, cancellationToken).ConfigureAwait(false);
        return index.CountMatching(filter);
    }

    public async IAsyncEnumerable<Guid> ListIdsAsync(VectorCollection collection, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var (_, index) = await GetIndexAsync(collection, create: false, cancellationToken).ConfigureAwait(false);
        foreach (var id in index.Ids())
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return id;
        }
    }

    public Task<bool> IsReadyAsync(CancellationToken cancellationToken)
    {
        if (_disposed)
        {
            return Task.FromResult(false);
        }

        try
        {
            return Task.FromResult(_database.Read(connection => connection.State == System.Data.ConnectionState.Open, cancellationToken));
        }
        catch (SqliteException exception)
        {
            EmbeddedStoreLog.NotReady(_logger, _database.Path, exception);
            return Task.FromResult(false);
        }
    }

    /// <summary>Drops a collection with its points (tests and tooling; the service never drops data); false if it did not exist.</summary>
    internal async Task<bool> DeleteCollectionAsync(VectorCollection collection, CancellationToken cancellationToken)
    {
        VectorCollection.Validate(collection);
        await _loadGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await WriteAsync(
                (connection, transaction) =>
                {
                    using var points = SqliteDatabase.Command(connection, transaction, "DELETE FROM points WHERE collection_id = (SELECT id FROM collections WHERE name = $name)");
                    points.Parameters.AddWithValue("$name", collection.Name);
                    points.ExecuteNonQuery();
                    using var row = SqliteDatabase.Command(connection, transaction, "DELETE FROM collections WHERE name = $name");
                    row.Parameters.AddWithValue("$name", collection.Name);
                    return row.ExecuteNonQuery() == 1;
                },
                () =>
                {
                    if (_collections.TryRemove(collection.Name, out var removed))
                    {
                        removed.Index.Dispose();
                    }
                },
                cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _loadGate.Release();
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _database.Dispose();
        foreach (var (_, index) in _collections.Values)
        {
            index.Dispose();
        }

        _loadGate.Dispose();
        _writeGate.Dispose();
        _ownership.Dispose();
    }

    /// <summary>
    /// Locks <c>&lt;database&gt;.lock</c> for this instance's lifetime: each instance serves searches from its own
    /// memory, so a second one (in this process or another) would miss the first one's writes. The operating system
    /// drops the lock when the process dies, so a crash never leaves the store locked.
    /// </summary>
    private static FileStream TakeOwnership(string databasePath)
    {
        ArgumentException.ThrowIfNullOrEmpty(databasePath);
        var lockPath = Path.GetFullPath(databasePath) + ".lock";
        Directory.CreateDirectory(Path.GetDirectoryName(lockPath)!);
        try
        {
            return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException error)
        {
            throw new VectorStoreException(
                $"The embedded vector store {databasePath} is open in another instance or process ({error.Message}); only one may serve it. Stop the other service or give this one another Storage:DataPath.",
                innerException: error);
        }
    }

    /// <summary>Commits <paramref name="persist"/>, then applies <paramref name="apply"/> to memory, one writer at a time.</summary>
    private async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, T> persist, Action apply, CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var result = await _database.WriteAsync(persist, cancellationToken).ConfigureAwait(false);
            apply();
            return result;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private async ValueTask<(long Id, VectorIndex Index)> GetIndexAsync(VectorCollection collection, bool create, CancellationToken cancellationToken)
    {
        VectorCollection.Validate(collection);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_collections.TryGetValue(collection.Name, out var loaded))
        {
            VerifyDimensions(collection, loaded.Index.Dimensions);
            return loaded;
        }

        await _loadGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_collections.TryGetValue(collection.Name, out loaded))
            {
                VerifyDimensions(collection, loaded.Index.Dimensions);
            return loaded;
            }

            var stored = _database.Read(connection => FindCollection(connection, null, collection.Name), cancellationToken);
            if (stored is null)
            {
                if (!create)
                {
                    throw new VectorStoreException($"Vector collection {collection.Name} does not exist; it is created by EnsureCollectionAsync at start-up.");
                }

                stored = await _database.WriteAsync(
                    (connection, transaction) =>
                    {
                        // Another process may have created it since we looked.
                        if (FindCollection(connection, transaction, collection.Name) is { } theirs)
                        {
                            return theirs;
                        }

                        using var insert = SqliteDatabase.Command(connection, transaction, "INSERT INTO collections (name, dimensions) VALUES ($name, $dimensions) RETURNING id");
                        insert.Parameters.AddWithValue("$name", collection.Name);
                        insert.Parameters.AddWithValue("$dimensions", collection.Dimensions);
                        return ((long)insert.ExecuteScalar()!, collection.Dimensions);
                    },
                    cancellationToken).ConfigureAwait(false);
                EmbeddedStoreLog.CollectionCreated(_logger, collection.Name, collection.Dimensions);
            }

            VerifyDimensions(collection, stored.Value.Dimensions);
            var index = Load(collection, stored.Value.Id, cancellationToken);
            loaded = (stored.Value.Id, index);
            _collections[collection.Name] = loaded;
            return loaded;
        }
        finally
        {
            _loadGate.Release();
        }
    }

    private static void VerifyDimensions(VectorCollection collection, int dimensions)
    {
        if (dimensions != collection.Dimensions)
        {
            throw new VectorStoreException(
                $"Vector collection {collection.Name} exists with {dimensions} dimensions; this model needs {collection.Dimensions}. Use another model name or remove the collection.");
        }
    }

    /// <summary>
    /// Reads every point of the collection into a new index: one sequential scan of the table (NOT INDEXED: going
    /// through the id index would visit rows in random order), vectors copied straight into the segments, each
    /// distinct tags or metadata text parsed and turned into terms once, its arrays shared by every point that has it
    /// (points share a few combinations, and a million small arrays would only give the GC work).
    /// </summary>
    private VectorIndex Load(VectorCollection collection, long collectionId, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var index = new VectorIndex(collection, _parallelism, _parallelFromFloats);
        try
        {
            var loaded = _database.Read(
                connection =>
                {
                    using var command = SqliteDatabase.Command(connection, null, "SELECT id, tags, metadata, uploaded_at, taken_at, vector FROM points NOT INDEXED WHERE collection_id = $collection");
                    command.Parameters.AddWithValue("$collection", collectionId);
                    using var reader = command.ExecuteReader();
                    var vectorBytes = collection.Dimensions * sizeof(float);
                    var tagTerms = new Dictionary<string, int[]>(StringComparer.Ordinal);
                    var metadataTerms = new Dictionary<string, long[]>(StringComparer.Ordinal);
                    var count = 0;
                    while (reader.Read())
                    {
                        // GetFieldValue, not GetBytes: GetBytes looks up the column's table and rowid (for blob
                        // streaming) on every call, which made it 80 % of the load time.
                        var id = reader.GetFieldValue<byte[]>(0);
                        var vector = reader.GetFieldValue<byte[]>(5);
                        if (id.Length != 16 || vector.Length != vectorBytes)
                        {
                            throw new VectorStoreException($"A point of vector collection {collection.Name} in {_database.Path} is damaged (short id or vector).");
                        }

                        var terms = new PointTerms(
                            Cached(tagTerms, reader.GetString(1), json => index.TagTerms(JsonSerializer.Deserialize<string[]>(json) ?? [])),
                            Cached(metadataTerms, reader.GetString(2), json => index.MetadataTerms(JsonSerializer.Deserialize<Dictionary<string, string>>(json) ?? [])),
                            reader.GetInt64(3),
                            reader.IsDBNull(4) ? PointTerms.NoTicks : reader.GetInt64(4));
                        index.Load(new Guid(id, bigEndian: true), MemoryMarshal.Cast<byte, float>(vector), terms);
                        if (++count % LoadLogEvery == 0)
                        {
                            cancellationToken.ThrowIfCancellationRequested();
                            EmbeddedStoreLog.LoadProgress(_logger, collection.Name, count);
                        }
                    }

                    return count;
                },
                cancellationToken);
            EmbeddedStoreLog.CollectionLoaded(_logger, collection.Name, loaded, collection.Dimensions, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return index;
        }
        catch
        {
            index.Dispose();
            throw;
        }
    }

    private static T Cached<T>(Dictionary<string, T> seen, string json, Func<string, T> convert)
    {
        if (!seen.TryGetValue(json, out var value))
        {
            value = convert(json);
            seen[json] = value;
        }

        return value;
    }

    /// <summary>
    /// Big-endian bytes: they sort as <see cref="Guid.CompareTo(Guid)"/> does, so the time-ordered (version 7) ids
    /// the library issues append to the id index instead of landing at random pages.
    /// </summary>
    private static byte[] Key(Guid id) => id.ToByteArray(bigEndian: true);

    private static (long Id, int Dimensions)? FindCollection(SqliteConnection connection, SqliteTransaction? transaction, string name)
    {
        using var command = SqliteDatabase.Command(connection, transaction, "SELECT id, dimensions FROM collections WHERE name = $name");
        command.Parameters.AddWithValue("$name", name);
        using var reader = command.ExecuteReader();
        return reader.Read() ? (reader.GetInt64(0), reader.GetInt32(1)) : null;
    }

    /// <summary>A unit-length copy; a zero vector has no direction, so it cannot be stored (a zero query scores 0 everywhere).</summary>
    private static float[] Normalise(VectorCollection collection, float[] vector, string parameter, bool rejectZero)
    {
        collection.EnsureAccepts(vector, parameter);
        var norm = TensorPrimitives.Norm(vector);
        if (norm == 0 || !float.IsFinite(norm))
        {
            if (rejectZero || !float.IsFinite(norm))
            {
                throw new ArgumentException($"Vector for collection {collection.Name} has length {norm}; cosine needs a non-zero, finite length.", parameter);
            }

            return (float[])vector.Clone();
        }

        var unit = new float[vector.Length];
        TensorPrimitives.Divide(vector, norm, unit);
        return unit;
    }
}
