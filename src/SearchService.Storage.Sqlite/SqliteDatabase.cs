using System.Globalization;
using Microsoft.Data.Sqlite;

namespace SearchService.Storage.Sqlite;

/// <summary>
/// One SQLite file in WAL mode with <c>synchronous=FULL</c>, a schema versioned by <c>PRAGMA user_version</c>,
/// and writes serialised in-process (a semaphore) and across processes (<c>BEGIN IMMEDIATE</c> plus the busy timeout).
/// </summary>
/// <remarks>
/// WAL with <c>synchronous=NORMAL</c> already keeps a committed transaction when only the process dies (the WAL
/// is in the page cache); <c>FULL</c> also syncs the WAL on every commit, so an acknowledged write survives a
/// power cut too. A row here is what the service acknowledges, and one fsync per commit is small next to
/// decoding and embedding an image.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage(
    "Performance",
    "CA1849:Call async methods when in an async method",
    Justification = "Microsoft.Data.Sqlite runs every call synchronously; its async variants only add allocations.")]
internal sealed class SqliteDatabase : IDisposable
{
    private readonly string _connectionString;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private bool _disposed;

    /// <param name="path">The database file; its folder is created.</param>
    /// <param name="migrations">Schema steps; step i takes the schema from version i to i + 1.</param>
    /// <param name="pageSize">Page size for a new file (large rows such as vectors pack better in larger pages).</param>
    public SqliteDatabase(string path, IReadOnlyList<string> migrations, int? pageSize = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(migrations);
        BundledSqliteLibrary.EnsureLoaded();
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();

        using var connection = Open();
        if (pageSize is { } size)
        {
            // Only takes effect before the first table exists and before the switch to WAL.
            Execute(connection, null, string.Create(CultureInfo.InvariantCulture, $"PRAGMA page_size={size};"));
        }

        Execute(connection, null, "PRAGMA journal_mode=WAL;");
        Migrate(connection, migrations);
    }

    public string Path { get; }

    /// <summary>A pooled connection with this store's per-connection settings.</summary>
    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            Execute(connection, null, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Runs <paramref name="read"/> on its own connection (WAL: readers never wait for the writer).</summary>
    public T Read<T>(Func<SqliteConnection, T> read, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(read);
        cancellationToken.ThrowIfCancellationRequested();
        using var connection = Open();
        return read(connection);
    }

    /// <summary>Runs <paramref name="write"/> in one immediate transaction, one writer at a time.</summary>
    public async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, T> write, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(write);
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var connection = Open();
            // Not deferred: BEGIN IMMEDIATE takes the write lock before the first read, so a read-then-write
            // (e.g. find by hash, then insert) cannot interleave with another process's.
            using var transaction = connection.BeginTransaction(deferred: false);
            var result = write(connection, transaction);
            transaction.Commit();
            return result;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    public static void Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        using var command = Command(connection, transaction, sql);
        command.ExecuteNonQuery();
    }

    /// <summary>Folds the WAL back into the database file, so a stopped service leaves one self-contained file.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            using var connection = Open();
            Execute(connection, null, "PRAGMA wal_checkpoint(TRUNCATE);");
        }
        catch (SqliteException)
        {
            // Another process holding the database only postpones the checkpoint; nothing is lost.
        }

        using (var pooled = new SqliteConnection(_connectionString))
        {
            SqliteConnection.ClearPool(pooled);
        }

        _writeGate.Dispose();
    }

    private void Migrate(SqliteConnection connection, IReadOnlyList<string> migrations)
    {
        // Immediate, so two processes opening a new file at once do not both create the schema.
        using var transaction = connection.BeginTransaction(deferred: false);
        using var read = Command(connection, transaction, "PRAGMA user_version;");
        var version = Convert.ToInt32(read.ExecuteScalar(), CultureInfo.InvariantCulture);
        if (version > migrations.Count)
        {
            throw new InvalidOperationException(
                $"{Path} has schema version {version}, newer than this build's {migrations.Count}; run a newer build or restore a backup.");
        }

        for (var step = version; step < migrations.Count; step++)
        {
            Execute(connection, transaction, migrations[step]);
        }

        Execute(connection, transaction, string.Create(CultureInfo.InvariantCulture, $"PRAGMA user_version={migrations.Count};"));
        transaction.Commit();
    }
}
