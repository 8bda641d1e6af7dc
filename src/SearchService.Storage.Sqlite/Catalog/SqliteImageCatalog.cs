using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using SearchService.Core.Storage;

namespace SearchService.Storage.Sqlite.Catalog;

/// <summary>
/// The image catalog in SQLite: one row per image (UNIQUE sha256 makes <see cref="AddOrGetAsync"/> atomic, also
/// across processes), tags and metadata both on the row (JSON, in the caller's order) and in side tables that
/// index them for filtering; lists page by keyset on (uploaded, id).
/// </summary>
public sealed class SqliteImageCatalog : IImageCatalog, IDisposable
{
    private const int DefaultIdPageSize = 1024;
    private const byte CursorVersion = 1;
    private const int CursorBytes = 1 + 8 + 16;

    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE images (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            sha256 TEXT NOT NULL UNIQUE,
            mime_type TEXT NOT NULL,
            size_bytes INTEGER NOT NULL,
            width INTEGER NOT NULL,
            height INTEGER NOT NULL,
            file_name TEXT,
            uploaded_at INTEGER NOT NULL,
            taken_at INTEGER,
            tags TEXT NOT NULL,
            metadata TEXT NOT NULL);
        CREATE INDEX images_by_uploaded ON images (uploaded_at, id);
        CREATE INDEX images_by_taken ON images (taken_at) WHERE taken_at IS NOT NULL;
        CREATE TABLE image_tags (
            tag TEXT NOT NULL,
            image_seq INTEGER NOT NULL REFERENCES images (seq) ON DELETE CASCADE,
            PRIMARY KEY (tag, image_seq)) WITHOUT ROWID;
        CREATE INDEX image_tags_by_image ON image_tags (image_seq);
        CREATE TABLE image_metadata (
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            image_seq INTEGER NOT NULL REFERENCES images (seq) ON DELETE CASCADE,
            PRIMARY KEY (key, value, image_seq)) WITHOUT ROWID;
        CREATE INDEX image_metadata_by_image ON image_metadata (image_seq);
        """,
    ];

    private const string Columns = "i.seq, i.id, i.sha256, i.mime_type, i.size_bytes, i.width, i.height, i.file_name, i.uploaded_at, i.taken_at, i.tags, i.metadata";

    private readonly SqliteDatabase _database;
    private readonly int _idPageSize;

    /// <param name="databasePath">The SQLite file (usually <c>&lt;Storage:DataPath&gt;/library.db</c>); created with its folder if missing.</param>
    public SqliteImageCatalog(string databasePath)
        : this(databasePath, DefaultIdPageSize)
    {
    }

    /// <param name="databasePath">The SQLite file.</param>
    /// <param name="idPageSize">Ids read per query by <see cref="ListIdsAsync"/>.</param>
    internal SqliteImageCatalog(string databasePath, int idPageSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(idPageSize);
        _database = new SqliteDatabase(databasePath, Migrations);
        _idPageSize = idPageSize;
    }

    public string DatabasePath => _database.Path;

    public void Dispose() => _database.Dispose();

    public Task<ImageRecord?> GetAsync(Guid id, CancellationToken cancellationToken) =>
        Task.FromResult(_database.Read(connection => ReadOne(connection, null, "i.id = $key", Key(id)), cancellationToken));

    public Task<ImageRecord?> FindBySha256Async(string sha256, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sha256);
        return Task.FromResult(_database.Read(connection => ReadOne(connection, null, "i.sha256 = $key", sha256), cancellationToken));
    }

    public Task<(ImageRecord Record, bool Added)> AddOrGetAsync(ImageRecord record, CancellationToken cancellationToken)
    {
        Validate(record);
        return _database.WriteAsync(
            (connection, transaction) =>
            {
                if (ReadOne(connection, transaction, "i.sha256 = $key", record.Sha256) is { } existing)
                {
                    return (existing, false);
                }

                var tags = record.Tags.Distinct(StringComparer.Ordinal).ToArray();
                using var insert = SqliteDatabase.Command(connection, transaction, """
                    INSERT INTO images (id, sha256, mime_type, size_bytes, width, height, file_name, uploaded_at, taken_at, tags, metadata)
                    VALUES ($id, $sha, $mime, $size, $width, $height, $name, $uploaded, $taken, $tags, $metadata)
                    RETURNING seq
                    """);
                insert.Parameters.AddWithValue("$id", Key(record.Id));
                insert.Parameters.AddWithValue("$sha", record.Sha256);
                insert.Parameters.AddWithValue("$mime", record.MimeType);
                insert.Parameters.AddWithValue("$size", record.SizeBytes);
                insert.Parameters.AddWithValue("$width", record.Width);
                insert.Parameters.AddWithValue("$height", record.Height);
                insert.Parameters.AddWithValue("$name", (object?)record.FileName ?? DBNull.Value);
                insert.Parameters.AddWithValue("$uploaded", record.UploadedAt.UtcTicks);
                insert.Parameters.AddWithValue("$taken", record.TakenAt is { } taken ? taken.UtcTicks : DBNull.Value);
                insert.Parameters.AddWithValue("$tags", JsonSerializer.Serialize(tags));
                insert.Parameters.AddWithValue("$metadata", JsonSerializer.Serialize(record.Metadata));
                var seq = (long)insert.ExecuteScalar()!;
                WriteTags(connection, transaction, seq, tags);
                WriteMetadata(connection, transaction, seq, record.Metadata);
                return (ReadOne(connection, transaction, "i.seq = $key", seq)!, true);
            },
            cancellationToken);
    }

    public async Task<ImageRecord?> UpdateAsync(Guid id, ImagePatch patch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(patch);
        ValidateTags(patch.Tags, nameof(patch));
        if (patch.Metadata?.Keys.Any(key => key is null) == true)
        {
            throw new ArgumentException("Metadata keys must not be null.", nameof(patch));
        }

        return await _database.WriteAsync(
            (connection, transaction) =>
            {
                var seq = FindSeq(connection, transaction, id);
                if (seq is null || ReadOne(connection, transaction, "i.seq = $key", seq.Value) is not { } current)
                {
                    return null;
                }

                var tags = patch.Tags?.Distinct(StringComparer.Ordinal).ToArray() ?? current.Tags;
                var metadata = patch.MergeMetadata(current.Metadata);

                using var update = SqliteDatabase.Command(connection, transaction, "UPDATE images SET tags = $tags, metadata = $metadata, taken_at = $taken WHERE seq = $seq");
                update.Parameters.AddWithValue("$tags", JsonSerializer.Serialize(tags));
                update.Parameters.AddWithValue("$metadata", JsonSerializer.Serialize(metadata));
                update.Parameters.AddWithValue("$taken", (patch.TakenAt ?? current.TakenAt) is { } taken ? taken.UtcTicks : DBNull.Value);
                update.Parameters.AddWithValue("$seq", seq.Value);
                update.ExecuteNonQuery();
                if (patch.Tags is not null)
                {
                    DeleteSideRows(connection, transaction, "image_tags", seq.Value);
                    WriteTags(connection, transaction, seq.Value, tags);
                }

                if (patch.Metadata is not null)
                {
                    DeleteSideRows(connection, transaction, "image_metadata", seq.Value);
                    WriteMetadata(connection, transaction, seq.Value, metadata);
                }

                return ReadOne(connection, transaction, "i.seq = $key", seq.Value);
            },
            cancellationToken).ConfigureAwait(false);
    }

    public Task<bool> DeleteAsync(Guid id, CancellationToken cancellationToken) =>
        _database.WriteAsync(
            (connection, transaction) =>
            {
                if (FindSeq(connection, transaction, id) is not { } seq)
                {
                    return false;
                }

                DeleteSideRows(connection, transaction, "image_tags", seq);
                DeleteSideRows(connection, transaction, "image_metadata", seq);
                DeleteSideRows(connection, transaction, "images", seq);
                return true;
            },
            cancellationToken);

    public Task<Page<ImageRecord>> ListAsync(ImageFilter filter, string? cursor, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var after = cursor is null ? ((long Ticks, Guid Id)?)null : DecodeCursor(cursor);
        return Task.FromResult(_database.Read(
            connection =>
            {
                using var command = ListCommand(connection, filter, after, limit + 1L);
                var rows = ReadAll(command);
                var items = rows.Take(limit).ToArray();
                var next = rows.Count > limit ? EncodeCursor(items[^1]) : null;
                return new Page<ImageRecord>(items, next);
            },
            cancellationToken));
    }

    /// <summary>SQLite's plan for a list query (EXPLAIN QUERY PLAN details), so tests can hold filters to their indexes.</summary>
    internal IReadOnlyList<string> ExplainList(ImageFilter filter, bool withCursor) =>
        _database.Read(
            connection =>
            {
                using var command = ListCommand(connection, filter, withCursor ? (DateTimeOffset.UnixEpoch.UtcTicks, Guid.Empty) : null, 10);
                command.CommandText = "EXPLAIN QUERY PLAN " + command.CommandText;
                using var reader = command.ExecuteReader();
                var details = new List<string>();
                while (reader.Read())
                {
                    details.Add(reader.GetString(3));
                }

                return details;
            },
            CancellationToken.None);

    private static SqliteCommand ListCommand(SqliteConnection connection, ImageFilter filter, (long Ticks, Guid Id)? after, long limit)
    {
        var command = SqliteDatabase.Command(connection, null, string.Empty);
        var where = new StringBuilder("WHERE 1 = 1");
        AppendFilter(where, command, filter);
        if (after is { } position)
        {
            where.Append(" AND (i.uploaded_at, i.id) < ($afterTicks, $afterId)");
            command.Parameters.AddWithValue("$afterTicks", position.Ticks);
            command.Parameters.AddWithValue("$afterId", Key(position.Id));
        }

        command.CommandText = $"SELECT {Columns} FROM images i {where} ORDER BY i.uploaded_at DESC, i.id DESC LIMIT $limit";
        command.Parameters.AddWithValue("$limit", limit);
        return command;
    }

    public Task<IReadOnlyList<ImageRecord>> GetManyAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count == 0)
        {
            return Task.FromResult<IReadOnlyList<ImageRecord>>([]);
        }

        return Task.FromResult<IReadOnlyList<ImageRecord>>(_database.Read(
            connection =>
            {
                using var command = SqliteDatabase.Command(connection, null, $"SELECT {Columns} FROM images i WHERE i.id IN (SELECT value FROM json_each($ids))");
                command.Parameters.AddWithValue("$ids", JsonSerializer.Serialize(ids.Select(Key)));
                return ReadAll(command);
            },
            cancellationToken));
    }

    public Task<long> CountAsync(CancellationToken cancellationToken) =>
        Task.FromResult(_database.Read(
            connection =>
            {
                using var command = SqliteDatabase.Command(connection, null, "SELECT COUNT(*) FROM images");
                return (long)command.ExecuteScalar()!;
            },
            cancellationToken));

    public async IAsyncEnumerable<Guid> ListIdsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var after = 0L;
        while (true)
        {
            var page = _database.Read(
                connection =>
                {
                    using var command = SqliteDatabase.Command(connection, null, "SELECT seq, id FROM images WHERE seq > $after ORDER BY seq LIMIT $limit");
                    command.Parameters.AddWithValue("$after", after);
                    command.Parameters.AddWithValue("$limit", _idPageSize);
                    using var reader = command.ExecuteReader();
                    var rows = new List<(long Seq, Guid Id)>(_idPageSize);
                    while (reader.Read())
                    {
                        rows.Add((reader.GetInt64(0), Guid.Parse(reader.GetString(1))));
                    }

                    return rows;
                },
                cancellationToken);
            foreach (var (_, id) in page)
            {
                yield return id;
            }

            if (page.Count < _idPageSize)
            {
                yield break;
            }

            after = page[^1].Seq;
            await Task.Yield();
        }
    }

    /// <summary>Every filter member as SQL over the indexed columns and side tables (the same semantics as <see cref="ImageFilter.Matches"/>).</summary>
    private static void AppendFilter(StringBuilder where, SqliteCommand command, ImageFilter filter)
    {
        if (filter.TagsAny is { Count: > 0 } any)
        {
            where.Append(" AND EXISTS (SELECT 1 FROM image_tags t WHERE t.image_seq = i.seq AND t.tag IN (SELECT value FROM json_each($tagsAny)))");
            command.Parameters.AddWithValue("$tagsAny", JsonSerializer.Serialize(any));
        }

        if (filter.TagsAll is { Count: > 0 } all)
        {
            var index = 0;
            foreach (var tag in all.Distinct(StringComparer.Ordinal))
            {
                var name = string.Create(CultureInfo.InvariantCulture, $"$tagAll{index++}");
                where.Append(CultureInfo.InvariantCulture, $" AND EXISTS (SELECT 1 FROM image_tags t WHERE t.tag = {name} AND t.image_seq = i.seq)");
                command.Parameters.AddWithValue(name, tag);
            }
        }

        if (filter.Metadata is { Count: > 0 } metadata)
        {
            var index = 0;
            foreach (var (key, value) in metadata)
            {
                var keyName = string.Create(CultureInfo.InvariantCulture, $"$metaKey{index}");
                var valueName = string.Create(CultureInfo.InvariantCulture, $"$metaValue{index++}");
                where.Append(CultureInfo.InvariantCulture, $" AND EXISTS (SELECT 1 FROM image_metadata m WHERE m.key = {keyName} AND m.value = {valueName} AND m.image_seq = i.seq)");
                command.Parameters.AddWithValue(keyName, key);
                command.Parameters.AddWithValue(valueName, value);
            }
        }

        Range(where, command, "i.uploaded_at >=", "$uploadedFrom", filter.UploadedFrom);
        Range(where, command, "i.uploaded_at <", "$uploadedTo", filter.UploadedTo);
        // A NULL taken_at fails every comparison: images without a taken date never match a taken range.
        Range(where, command, "i.taken_at >=", "$takenFrom", filter.TakenFrom);
        Range(where, command, "i.taken_at <", "$takenTo", filter.TakenTo);
    }

    private static void Range(StringBuilder where, SqliteCommand command, string comparison, string name, DateTimeOffset? bound)
    {
        if (bound is { } value)
        {
            where.Append(" AND ").Append(comparison).Append(' ').Append(name);
            command.Parameters.AddWithValue(name, value.UtcTicks);
        }
    }

    private static long? FindSeq(SqliteConnection connection, SqliteTransaction transaction, Guid id)
    {
        using var command = SqliteDatabase.Command(connection, transaction, "SELECT seq FROM images WHERE id = $id");
        command.Parameters.AddWithValue("$id", Key(id));
        return command.ExecuteScalar() as long?;
    }

    private static void DeleteSideRows(SqliteConnection connection, SqliteTransaction transaction, string table, long seq)
    {
        var column = table == "images" ? "seq" : "image_seq";
        using var command = SqliteDatabase.Command(connection, transaction, $"DELETE FROM {table} WHERE {column} = $seq");
        command.Parameters.AddWithValue("$seq", seq);
        command.ExecuteNonQuery();
    }

    private static void WriteTags(SqliteConnection connection, SqliteTransaction transaction, long seq, IReadOnlyList<string> tags)
    {
        using var command = SqliteDatabase.Command(connection, transaction, "INSERT INTO image_tags (tag, image_seq) VALUES ($tag, $seq)");
        var tag = command.Parameters.Add("$tag", SqliteType.Text);
        command.Parameters.AddWithValue("$seq", seq);
        foreach (var value in tags)
        {
            tag.Value = value;
            command.ExecuteNonQuery();
        }
    }

    private static void WriteMetadata(SqliteConnection connection, SqliteTransaction transaction, long seq, IReadOnlyDictionary<string, string> metadata)
    {
        using var command = SqliteDatabase.Command(connection, transaction, "INSERT INTO image_metadata (key, value, image_seq) VALUES ($key, $value, $seq)");
        var key = command.Parameters.Add("$key", SqliteType.Text);
        var value = command.Parameters.Add("$value", SqliteType.Text);
        command.Parameters.AddWithValue("$seq", seq);
        foreach (var pair in metadata)
        {
            key.Value = pair.Key;
            value.Value = pair.Value;
            command.ExecuteNonQuery();
        }
    }

    private static ImageRecord? ReadOne(SqliteConnection connection, SqliteTransaction? transaction, string condition, object key)
    {
        using var command = SqliteDatabase.Command(connection, transaction, $"SELECT {Columns} FROM images i WHERE {condition}");
        command.Parameters.AddWithValue("$key", key);
        var rows = ReadAll(command);
        return rows.Count == 0 ? null : rows[0];
    }

    private static List<ImageRecord> ReadAll(SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        var rows = new List<ImageRecord>();
        while (reader.Read())
        {
            rows.Add(new ImageRecord(
                Guid.Parse(reader.GetString(1)),
                reader.GetString(2),
                reader.GetString(3),
                reader.GetInt64(4),
                reader.GetInt32(5),
                reader.GetInt32(6),
                reader.IsDBNull(7) ? null : reader.GetString(7),
                new DateTimeOffset(reader.GetInt64(8), TimeSpan.Zero),
                reader.IsDBNull(9) ? null : new DateTimeOffset(reader.GetInt64(9), TimeSpan.Zero),
                JsonSerializer.Deserialize<string[]>(reader.GetString(10)) ?? [],
                new Dictionary<string, string>(JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(11)) ?? [], StringComparer.Ordinal)));
        }

        return rows;
    }

    /// <summary>Lower-case "D" text: its ordinal order is <see cref="Guid.CompareTo(Guid)"/>'s, so SQL and .NET sort ids alike.</summary>
    private static string Key(Guid id) => id.ToString("D", CultureInfo.InvariantCulture);

    private static string EncodeCursor(ImageRecord last)
    {
        Span<byte> bytes = stackalloc byte[CursorBytes];
        bytes[0] = CursorVersion;
        BinaryPrimitives.WriteInt64LittleEndian(bytes[1..], last.UploadedAt.UtcTicks);
        last.Id.TryWriteBytes(bytes[9..]);
        return Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    private static (long Ticks, Guid Id) DecodeCursor(string cursor)
    {
        var base64 = cursor.Replace('-', '+').Replace('_', '/');
        base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
        Span<byte> bytes = stackalloc byte[CursorBytes + 3];
        if (!Convert.TryFromBase64String(base64, bytes, out var written) || written != CursorBytes || bytes[0] != CursorVersion)
        {
            throw new ArgumentException("The cursor is not one this service issued.", nameof(cursor));
        }

        return (BinaryPrimitives.ReadInt64LittleEndian(bytes[1..]), new Guid(bytes[9..CursorBytes]));
    }

    private static void Validate(ImageRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.Sha256 is not { Length: 64 } || !record.Sha256.All(char.IsAsciiHexDigitLower))
        {
            throw new ArgumentException("Sha256 must be 64 lower-case hex digits.", nameof(record));
        }

        ArgumentException.ThrowIfNullOrEmpty(record.MimeType, nameof(record));
        ArgumentNullException.ThrowIfNull(record.Metadata, nameof(record));
        ValidateTags(record.Tags ?? throw new ArgumentException("Tags must not be null.", nameof(record)), nameof(record));
        if (record.Metadata.Any(pair => pair.Key is null || pair.Value is null))
        {
            throw new ArgumentException("Metadata keys and values must not be null.", nameof(record));
        }
    }

    private static void ValidateTags(IReadOnlyList<string>? tags, string parameter)
    {
        if (tags?.Any(tag => tag is null) == true)
        {
            throw new ArgumentException("Tags must not be null.", parameter);
        }
    }
}
