using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using SearchService.Core.Ingest;
using SearchService.Core.Storage;

namespace SearchService.Storage.Sqlite.Jobs;

/// <summary>
/// Ingest jobs and their files in their own SQLite file (WAL: a committed transaction survives a killed
/// process). Writes are serialised in-process; every multi-row change is one transaction.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage(
    "Performance",
    "CA1849:Call async methods when in an async method",
    Justification = "Microsoft.Data.Sqlite runs every call synchronously; its async variants only add allocations.")]
public sealed class SqliteIngestJobStore : IIngestJobStore, IDisposable
{
    private const int PageSize = 512;

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS jobs (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            kind INTEGER NOT NULL,
            path TEXT NOT NULL,
            recursive INTEGER NOT NULL,
            tags TEXT NOT NULL,
            state INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            started_at INTEGER,
            finished_at INTEGER,
            error TEXT,
            enumerated INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS job_files (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            job_id TEXT NOT NULL,
            location TEXT NOT NULL,
            name TEXT NOT NULL,
            size INTEGER NOT NULL,
            mtime INTEGER,
            prior_sha TEXT,
            prior_unchanged INTEGER NOT NULL,
            state INTEGER NOT NULL,
            sha256 TEXT,
            attempt_sha TEXT,
            attempt_at INTEGER,
            image_id TEXT,
            reason TEXT,
            UNIQUE (job_id, location));
        CREATE INDEX IF NOT EXISTS job_files_by_state ON job_files (job_id, state, id);
        CREATE INDEX IF NOT EXISTS job_files_by_location ON job_files (location, id);
        CREATE INDEX IF NOT EXISTS job_files_by_image ON job_files (image_id) WHERE state = 1;
        """;

    private const string JobColumns = "seq, id, kind, path, recursive, tags, state, created_at, started_at, finished_at, error, enumerated";
    private const string FileColumns = "id, job_id, location, name, size, mtime, prior_sha, prior_unchanged, attempt_sha, attempt_at";

    private readonly string _connectionString;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _writeGate = new(1, 1);

    public SqliteIngestJobStore(string databasePath, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrEmpty(databasePath);
        BundledSqliteLibrary.EnsureLoaded();
        var directory = Path.GetDirectoryName(Path.GetFullPath(databasePath));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        _time = time;
        using var connection = Open();
        SqliteDatabase.Execute(connection, null, "PRAGMA journal_mode=WAL;");
        SqliteDatabase.Execute(connection, null, Schema);
    }

    public void Dispose()
    {
        _writeGate.Dispose();
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }

    public async Task CreateAsync(Guid jobId, IngestSource source, bool enumerated, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        await WriteAsync(
            (connection, transaction) =>
            {
                using var command = SqliteDatabase.Command(connection, transaction, """
                    INSERT INTO jobs (id, kind, path, recursive, tags, state, created_at, enumerated)
                    VALUES ($id, $kind, $path, $recursive, $tags, $state, $now, $enumerated)
                    """);
                command.Parameters.AddWithValue("$id", Key(jobId));
                command.Parameters.AddWithValue("$kind", (int)source.Kind);
                command.Parameters.AddWithValue("$path", source.Path);
                command.Parameters.AddWithValue("$recursive", source.Recursive);
                command.Parameters.AddWithValue("$tags", JsonSerializer.Serialize(source.Tags));
                command.Parameters.AddWithValue("$state", (int)IngestJobState.Queued);
                command.Parameters.AddWithValue("$now", Now());
                command.Parameters.AddWithValue("$enumerated", enumerated);
                command.ExecuteNonQuery();
            },
            cancellationToken).ConfigureAwait(false);
    }

    public async Task<IngestJob?> GetAsync(Guid jobId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var jobs = await ReadJobsAsync(connection, $"SELECT {JobColumns} FROM jobs WHERE id = $id", [("$id", Key(jobId))], cancellationToken).ConfigureAwait(false);
        return jobs.Count == 0 ? null : jobs[0].Job;
    }

    public async Task<Page<IngestJob>> ListAsync(string? cursor, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var before = long.MaxValue;
        if (cursor is not null && (!long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out before) || before <= 0))
        {
            throw new ArgumentException("The cursor is not one this service issued.", nameof(cursor));
        }

        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await ReadJobsAsync(
            connection,
            $"SELECT {JobColumns} FROM jobs WHERE seq < $before ORDER BY seq DESC LIMIT $limit",
            [("$before", before), ("$limit", limit + 1)],
            cancellationToken).ConfigureAwait(false);
        var items = rows.Take(limit).Select(row => row.Job).ToArray();
        var next = rows.Count > limit ? rows[limit - 1].Seq.ToString(CultureInfo.InvariantCulture) : null;
        return new Page<IngestJob>(items, next);
    }

    public async Task<IReadOnlyList<IngestJob>> ListUnfinishedAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await ReadJobsAsync(
            connection,
            $"SELECT {JobColumns} FROM jobs WHERE state IN ($queued, $running) ORDER BY seq",
            [("$queued", (int)IngestJobState.Queued), ("$running", (int)IngestJobState.Running)],
            cancellationToken).ConfigureAwait(false);
        return rows.Select(row => row.Job).ToArray();
    }

    public async Task AddFilesAsync(Guid jobId, IReadOnlyList<IngestFileEntry> files, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(files);
        if (files.Count == 0)
        {
            return;
        }

        await WriteAsync(
            (connection, transaction) =>
            {
                using var kindCommand = SqliteDatabase.Command(connection, transaction, "SELECT kind FROM jobs WHERE id = $id");
                kindCommand.Parameters.AddWithValue("$id", Key(jobId));
                var kind = kindCommand.ExecuteScalar() is long value ? (IngestSourceKind)value : throw new InvalidOperationException($"No job {jobId}.");

                // Spool locations repeat between uploads; only server paths have a history worth comparing with.
                var prior = kind == IngestSourceKind.Folder
                    ? """
                      (SELECT sha256, size, mtime FROM job_files
                       WHERE location = $location AND job_id <> $job AND state IN (1, 2, 3) AND sha256 IS NOT NULL
                       ORDER BY id DESC LIMIT 1)
                      """
                    : "(SELECT NULL AS sha256, NULL AS size, NULL AS mtime)";
                using var insert = SqliteDatabase.Command(connection, transaction, $"""
                    INSERT OR IGNORE INTO job_files (job_id, location, name, size, mtime, prior_sha, prior_unchanged, state)
                    SELECT $job, $location, $name, $size, $mtime, p.sha256,
                           COALESCE(p.size = $size AND p.mtime IS $mtime, 0), 0
                    FROM (SELECT 1) LEFT JOIN {prior} p
                    """);
                var job = insert.Parameters.AddWithValue("$job", Key(jobId));
                var location = insert.Parameters.Add("$location", SqliteType.Text);
                var name = insert.Parameters.Add("$name", SqliteType.Text);
                var size = insert.Parameters.Add("$size", SqliteType.Integer);
                var mtime = insert.Parameters.Add("$mtime", SqliteType.Integer);
                foreach (var file in files)
                {
                    location.Value = file.Location;
                    name.Value = file.DisplayName;
                    size.Value = file.SizeBytes;
                    mtime.Value = file.ModifiedAt is { } modified ? modified.ToUnixTimeMilliseconds() : DBNull.Value;
                    insert.ExecuteNonQuery();
                }
            },
            cancellationToken).ConfigureAwait(false);
    }

    public Task MarkEnumeratedAsync(Guid jobId, CancellationToken cancellationToken) =>
        WriteAsync(
            (connection, transaction) =>
            {
                using var command = SqliteDatabase.Command(connection, transaction, "UPDATE jobs SET enumerated = 1 WHERE id = $id");
                command.Parameters.AddWithValue("$id", Key(jobId));
                command.ExecuteNonQuery();
            },
            cancellationToken);

    public async IAsyncEnumerable<IngestFile> ReadPendingAsync(Guid jobId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var after = 0L;
        while (true)
        {
            var page = new List<IngestFile>(PageSize);
            await using (var connection = await OpenAsync(cancellationToken).ConfigureAwait(false))
            {
                await using var command = SqliteDatabase.Command(connection, null, $"""
                    SELECT {FileColumns} FROM job_files
                    WHERE job_id = $job AND state = 0 AND id > $after ORDER BY id LIMIT $limit
                    """);
                command.Parameters.AddWithValue("$job", Key(jobId));
                command.Parameters.AddWithValue("$after", after);
                command.Parameters.AddWithValue("$limit", PageSize);
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    page.Add(ReadFile(reader));
                }
            }

            foreach (var file in page)
            {
                yield return file;
            }

            if (page.Count < PageSize)
            {
                yield break;
            }

            after = page[^1].Id;
        }
    }

    public Task RecordAttemptsAsync(IReadOnlyList<IngestAttempt> attempts, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attempts);
        return WriteAsync(
            (connection, transaction) =>
            {
                using var command = SqliteDatabase.Command(connection, transaction, "UPDATE job_files SET attempt_sha = $sha, attempt_at = $at WHERE id = $id");
                var sha = command.Parameters.Add("$sha", SqliteType.Text);
                var id = command.Parameters.Add("$id", SqliteType.Integer);
                command.Parameters.AddWithValue("$at", at.ToUnixTimeMilliseconds());
                foreach (var attempt in attempts)
                {
                    sha.Value = attempt.Sha256;
                    id.Value = attempt.FileId;
                    command.ExecuteNonQuery();
                }
            },
            cancellationToken);
    }

    public Task CompleteFilesAsync(IReadOnlyList<IngestFileOutcome> outcomes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        if (outcomes.Count == 0)
        {
            return Task.CompletedTask;
        }

        return WriteAsync(
            (connection, transaction) =>
            {
                using var command = SqliteDatabase.Command(connection, transaction, """
                    UPDATE job_files SET state = $state, sha256 = $sha, image_id = $image, reason = $reason
                    WHERE id = $id AND state = 0
                    """);
                var state = command.Parameters.Add("$state", SqliteType.Integer);
                var sha = command.Parameters.Add("$sha", SqliteType.Text);
                var image = command.Parameters.Add("$image", SqliteType.Text);
                var reason = command.Parameters.Add("$reason", SqliteType.Text);
                var id = command.Parameters.Add("$id", SqliteType.Integer);
                foreach (var outcome in outcomes)
                {
                    if (outcome.State == IngestFileState.Pending)
                    {
                        throw new ArgumentException($"File {outcome.FileId} has no final state.", nameof(outcomes));
                    }

                    state.Value = (int)outcome.State;
                    sha.Value = (object?)outcome.Sha256 ?? DBNull.Value;
                    image.Value = outcome.ImageId is { } imageId ? Key(imageId) : DBNull.Value;
                    reason.Value = (object?)outcome.Reason ?? DBNull.Value;
                    id.Value = outcome.FileId;
                    command.ExecuteNonQuery();
                }
            },
            cancellationToken);
    }

    public async Task<bool> IsImageOwnedAsync(Guid imageId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = SqliteDatabase.Command(connection, null, "SELECT EXISTS (SELECT 1 FROM job_files WHERE image_id = $image AND state = 1)");
        command.Parameters.AddWithValue("$image", Key(imageId));
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! == 1;
    }

    public Task<bool> SetStateAsync(Guid jobId, IngestJobState state, string? error, CancellationToken cancellationToken) =>
        UpdateStateAsync(jobId, [IngestJobState.Queued, IngestJobState.Running], state, error, cancellationToken);

    public Task<bool> TrySetStateAsync(Guid jobId, IngestJobState expected, IngestJobState state, string? error, CancellationToken cancellationToken) =>
        UpdateStateAsync(jobId, [expected], state, error, cancellationToken);

    // The state condition sits in the UPDATE itself, so two writers racing on one job cannot both win.
    private Task<bool> UpdateStateAsync(Guid jobId, IngestJobState[] from, IngestJobState state, string? error, CancellationToken cancellationToken) =>
        WriteAsync(
            (connection, transaction) =>
            {
                var allowed = string.Join(", ", from.Select(value => ((int)value).ToString(CultureInfo.InvariantCulture)));
                using var command = SqliteDatabase.Command(connection, transaction, $"""
                    UPDATE jobs SET state = $state, error = $error,
                        started_at = CASE WHEN $state = 1 THEN COALESCE(started_at, $now) ELSE started_at END,
                        finished_at = CASE WHEN $state >= 2 THEN $now ELSE NULL END
                    WHERE id = $id AND state IN ({allowed})
                    """);
                command.Parameters.AddWithValue("$state", (int)state);
                command.Parameters.AddWithValue("$error", (object?)error ?? DBNull.Value);
                command.Parameters.AddWithValue("$now", Now());
                command.Parameters.AddWithValue("$id", Key(jobId));
                return command.ExecuteNonQuery() == 1;
            },
            cancellationToken);

    public async Task<IReadOnlyList<IngestFileError>> ListErrorsAsync(Guid jobId, long afterFileId, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = SqliteDatabase.Command(connection, null, """
            SELECT id, name, reason FROM job_files
            WHERE job_id = $job AND state = 4 AND id > $after ORDER BY id LIMIT $limit
            """);
        command.Parameters.AddWithValue("$job", Key(jobId));
        command.Parameters.AddWithValue("$after", afterFileId);
        command.Parameters.AddWithValue("$limit", limit);
        var errors = new List<IngestFileError>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            errors.Add(new IngestFileError(reader.GetInt64(0), reader.GetString(1), reader.IsDBNull(2) ? "unknown" : reader.GetString(2)));
        }

        return errors;
    }

    private static string Key(Guid id) => id.ToString("D", CultureInfo.InvariantCulture);

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private static DateTimeOffset? Time(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(ordinal));

    private static IngestFile ReadFile(SqliteDataReader reader) => new(
        reader.GetInt64(0),
        Guid.Parse(reader.GetString(1)),
        new IngestFileEntry(reader.GetString(2), reader.GetString(3), reader.GetInt64(4), Time(reader, 5)),
        reader.IsDBNull(6) ? null : reader.GetString(6),
        reader.GetInt64(7) != 0,
        reader.IsDBNull(8) ? null : reader.GetString(8),
        Time(reader, 9));

    private static async Task<List<(long Seq, IngestJob Job)>> ReadJobsAsync(
        SqliteConnection connection, string sql, (string Name, object Value)[] parameters, CancellationToken cancellationToken)
    {
        var rows = new List<(long Seq, Guid Id, IngestSource Source, IngestJobState State, DateTimeOffset Created, DateTimeOffset? Started, DateTimeOffset? Finished, string? Error, bool Enumerated)>();
        await using (var command = SqliteDatabase.Command(connection, null, sql))
        {
            foreach (var (name, value) in parameters)
            {
                command.Parameters.AddWithValue(name, value);
            }

            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var tags = JsonSerializer.Deserialize<string[]>(reader.GetString(5)) ?? [];
                rows.Add((
                    reader.GetInt64(0),
                    Guid.Parse(reader.GetString(1)),
                    new IngestSource((IngestSourceKind)reader.GetInt64(2), reader.GetString(3), reader.GetInt64(4) != 0, tags),
                    (IngestJobState)reader.GetInt64(6),
                    DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(7)),
                    Time(reader, 8),
                    Time(reader, 9),
                    reader.IsDBNull(10) ? null : reader.GetString(10),
                    reader.GetInt64(11) != 0));
            }
        }

        var jobs = new List<(long Seq, IngestJob Job)>(rows.Count);
        foreach (var row in rows)
        {
            var totals = await ReadTotalsAsync(connection, row.Id, cancellationToken).ConfigureAwait(false);
            jobs.Add((row.Seq, new IngestJob(row.Id, row.Source, row.State, row.Created, row.Started, row.Finished, row.Error, row.Enumerated, totals)));
        }

        return jobs;
    }

    private static async Task<IngestTotals> ReadTotalsAsync(SqliteConnection connection, Guid jobId, CancellationToken cancellationToken)
    {
        await using var command = SqliteDatabase.Command(connection, null, "SELECT state, COUNT(*) FROM job_files WHERE job_id = $job GROUP BY state");
        command.Parameters.AddWithValue("$job", Key(jobId));
        var counts = new long[5];
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            counts[reader.GetInt64(0)] = reader.GetInt64(1);
        }

        return new IngestTotals(counts[0], counts[1], counts[2], counts[3], counts[4]);
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        SqliteDatabase.Execute(connection, null, "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
        return connection;
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            SqliteDatabase.Execute(connection, null, "PRAGMA synchronous=NORMAL;");
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    // Not SqliteDatabase.WriteAsync: that one opens with synchronous=FULL and this file deliberately keeps NORMAL
    // (surviving a killed process is what job progress needs), without a user_version schema.
    private Task WriteAsync(Action<SqliteConnection, SqliteTransaction> write, CancellationToken cancellationToken) =>
        WriteAsync(
            (connection, transaction) =>
            {
                write(connection, transaction);
                return true;
            },
            cancellationToken);

    private async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, T> write, CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
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
}
