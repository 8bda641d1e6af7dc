using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using SearchService.Core.Storage;
using SearchService.Storage.Sqlite.Catalog;
using Xunit;

namespace SearchService.Storage.Tests.Catalog;

/// <summary>The SQLite catalog on a real file in a temp folder, checked against <see cref="ImageFilter.Matches"/> and the newest-first order.</summary>
public sealed class SqliteImageCatalogTests : IDisposable
{
    private static readonly DateTimeOffset Epoch = new(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly TempFolder _folder = new();
    private readonly SqliteImageCatalog _catalog;

    public SqliteImageCatalogTests()
    {
        _catalog = new SqliteImageCatalog(_folder.File("library.db"));
    }

    public void Dispose()
    {
        _catalog.Dispose();
        _folder.Dispose();
    }

    [Fact]
    public async Task Parallel_adds_of_the_same_bytes_store_one_row_even_from_two_catalog_instances()
    {
        using var second = new SqliteImageCatalog(_folder.File("library.db"));
        var sha = Sha("same bytes");
        var attempts = Enumerable.Range(0, 24).Select(i => Record(sha, Epoch.AddSeconds(i))).ToArray();

        var results = await Task.WhenAll(attempts.Select((record, i) => Task.Run(() => (i % 2 == 0 ? _catalog : second).AddOrGetAsync(record, CancellationToken.None))));

        var winner = Assert.Single(results, r => r.Added).Record;
        Assert.All(results, r => Assert.Equal(winner.Id, r.Record.Id));
        Assert.Equal(1, await _catalog.CountAsync(CancellationToken.None));
        Assert.Equal(winner, await second.FindBySha256Async(sha, CancellationToken.None), RecordComparer.Instance);
    }

    [Fact]
    public async Task A_stored_record_reads_back_as_written_with_distinct_tags_in_order()
    {
        var record = Record(Sha("a"), new DateTimeOffset(2024, 5, 1, 14, 0, 0, TimeSpan.FromHours(2)), tags: ["b", "a", "b"], takenAt: Epoch.AddDays(-3)) with { FileName = "ünïcode.jpg" };

        var (stored, added) = await _catalog.AddOrGetAsync(record, CancellationToken.None);

        Assert.True(added);
        Assert.Equal(["b", "a"], stored.Tags);
        Assert.Equal(record with { Tags = ["b", "a"] }, stored, RecordComparer.Instance);
        Assert.Equal(stored, await _catalog.GetAsync(record.Id, CancellationToken.None), RecordComparer.Instance);
        Assert.Null(await _catalog.GetAsync(Guid.NewGuid(), CancellationToken.None));
        Assert.Null(await _catalog.FindBySha256Async(Sha("missing"), CancellationToken.None));
    }

    [Fact]
    public async Task Patches_replace_tags_merge_metadata_with_null_removing_and_set_the_taken_date()
    {
        var (record, _) = await _catalog.AddOrGetAsync(
            Record(Sha("p"), Epoch, tags: ["old"], metadata: new() { ["keep"] = "1", ["change"] = "2", ["drop"] = "3" }),
            CancellationToken.None);

        var updated = await _catalog.UpdateAsync(
            record.Id,
            new ImagePatch(["new", "other", "new"], new Dictionary<string, string?> { ["change"] = "two", ["drop"] = null, ["add"] = "4", ["absent"] = null }, Epoch.AddYears(-1)),
            CancellationToken.None);

        Assert.NotNull(updated);
        Assert.Equal(["new", "other"], updated.Tags);
        Assert.Equal(new Dictionary<string, string> { ["keep"] = "1", ["change"] = "two", ["add"] = "4" }, updated.Metadata);
        Assert.Equal(Epoch.AddYears(-1), updated.TakenAt);
        Assert.Equal(updated, await _catalog.GetAsync(record.Id, CancellationToken.None), RecordComparer.Instance);

        // The filter side tables follow the patch.
        Assert.Empty((await _catalog.ListAsync(new ImageFilter { TagsAny = ["old"] }, null, 10, CancellationToken.None)).Items);
        Assert.Single((await _catalog.ListAsync(new ImageFilter { TagsAll = ["new", "other"], Metadata = new Dictionary<string, string> { ["change"] = "two" } }, null, 10, CancellationToken.None)).Items);
        Assert.Empty((await _catalog.ListAsync(new ImageFilter { Metadata = new Dictionary<string, string> { ["drop"] = "3" } }, null, 10, CancellationToken.None)).Items);

        var untouched = await _catalog.UpdateAsync(record.Id, new ImagePatch(), CancellationToken.None);
        Assert.Equal(updated, untouched, RecordComparer.Instance);
        Assert.Null(await _catalog.UpdateAsync(Guid.NewGuid(), new ImagePatch(["x"]), CancellationToken.None));
    }

    [Fact]
    public async Task Filtered_lists_follow_ImageFilter_Matches_newest_first_with_ids_breaking_ties()
    {
        var random = new Random(21);
        var records = new List<ImageRecord>();
        for (var i = 0; i < 150; i++)
        {
            // Few distinct instants, so many rows share an upload time and the id decides.
            var record = RandomRecord(random, i, Epoch.AddMinutes(random.Next(12)));
            records.Add((await _catalog.AddOrGetAsync(record, CancellationToken.None)).Record);
        }

        foreach (var filter in RandomFilters(random, 40).Prepend(ImageFilter.None))
        {
            var expected = records.Where(r => filter.Matches(r.ToPayload())).OrderByDescending(r => r.UploadedAt).ThenByDescending(r => r.Id).Select(r => r.Id).ToList();
            var listed = new List<Guid>();
            string? cursor = null;
            do
            {
                var page = await _catalog.ListAsync(filter, cursor, 7, CancellationToken.None);
                Assert.True(page.Items.Count <= 7);
                Assert.True(page.NextCursor is null || page.Items.Count == 7);
                listed.AddRange(page.Items.Select(r => r.Id));
                cursor = page.NextCursor;
            }
            while (cursor is not null);

            Assert.Equal(expected, listed);
        }
    }

    [Fact]
    public async Task Keyset_pages_cover_every_row_exactly_once_while_rows_are_added()
    {
        var random = new Random(22);
        var original = new List<Guid>();
        for (var i = 0; i < 60; i++)
        {
            original.Add((await _catalog.AddOrGetAsync(RandomRecord(random, i, Epoch.AddSeconds(i / 3)), CancellationToken.None)).Record.Id);
        }

        var seen = new List<Guid>();
        string? cursor = null;
        var added = 0;
        do
        {
            var page = await _catalog.ListAsync(ImageFilter.None, cursor, 8, CancellationToken.None);
            seen.AddRange(page.Items.Select(r => r.Id));
            cursor = page.NextCursor;
            // New uploads land while a client pages (newer than every row it has not seen yet).
            await _catalog.AddOrGetAsync(RandomRecord(random, 1000 + added++, Epoch.AddDays(1).AddSeconds(added)), CancellationToken.None);
        }
        while (cursor is not null);

        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.Equal(original.ToHashSet(), seen.ToHashSet());
    }

    [Fact]
    public void List_queries_walk_the_upload_index_and_reach_tags_and_metadata_through_their_indexes()
    {
        var plain = _catalog.ExplainList(ImageFilter.None, withCursor: true);
        var filtered = _catalog.ExplainList(
            new ImageFilter { TagsAny = ["a", "b"], TagsAll = ["c"], Metadata = new Dictionary<string, string> { ["k"] = "v" }, TakenFrom = Epoch, UploadedTo = Epoch },
            withCursor: true);

        // Newest first straight from the index: no table scan and no sort of the whole table per page.
        foreach (var plan in new[] { plain, filtered })
        {
            Assert.Contains(plan, step => step.Contains("images_by_uploaded", StringComparison.Ordinal));
            Assert.DoesNotContain(plan, step => step.Contains("TEMP B-TREE", StringComparison.Ordinal));
            Assert.DoesNotContain(plan, step => step.StartsWith("SCAN i", StringComparison.Ordinal) && !step.Contains("INDEX", StringComparison.Ordinal));
        }

        var sideTables = filtered.Where(step => step.Contains(" t ", StringComparison.Ordinal) || step.EndsWith(" t", StringComparison.Ordinal) || step.Contains(" m ", StringComparison.Ordinal) || step.EndsWith(" m", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, sideTables.Count);
        Assert.All(sideTables, step => Assert.Contains("INDEX", step, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a cursor!")]
    [InlineData("AAAA")]
    [InlineData("AgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public async Task A_cursor_this_catalog_did_not_issue_is_an_argument_error(string cursor)
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => _catalog.ListAsync(ImageFilter.None, cursor, 10, CancellationToken.None));
        Assert.Contains("cursor", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Delete_removes_the_row_and_its_filter_entries_and_is_false_the_second_time()
    {
        var (kept, _) = await _catalog.AddOrGetAsync(Record(Sha("k"), Epoch, tags: ["t"], metadata: new() { ["m"] = "v" }), CancellationToken.None);
        var (gone, _) = await _catalog.AddOrGetAsync(Record(Sha("g"), Epoch, tags: ["t"], metadata: new() { ["m"] = "v" }), CancellationToken.None);

        Assert.True(await _catalog.DeleteAsync(gone.Id, CancellationToken.None));
        Assert.False(await _catalog.DeleteAsync(gone.Id, CancellationToken.None));

        Assert.Null(await _catalog.GetAsync(gone.Id, CancellationToken.None));
        Assert.Null(await _catalog.FindBySha256Async(gone.Sha256, CancellationToken.None));
        var filter = new ImageFilter { TagsAny = ["t"], Metadata = new Dictionary<string, string> { ["m"] = "v" } };
        Assert.Equal([kept.Id], (await _catalog.ListAsync(filter, null, 10, CancellationToken.None)).Items.Select(r => r.Id));
        Assert.Equal(1, await _catalog.CountAsync(CancellationToken.None));

        // The same bytes can be stored again after a delete.
        Assert.True((await _catalog.AddOrGetAsync(Record(Sha("g"), Epoch), CancellationToken.None)).Added);
    }

    [Fact]
    public async Task GetMany_skips_missing_ids_and_ListIds_pages_through_every_id()
    {
        using var catalog = new SqliteImageCatalog(_folder.File("paged.db"), idPageSize: 5);
        var ids = new List<Guid>();
        for (var i = 0; i < 23; i++)
        {
            ids.Add((await catalog.AddOrGetAsync(Record(Sha($"many{i}"), Epoch.AddSeconds(i)), CancellationToken.None)).Record.Id);
        }

        var many = await catalog.GetManyAsync([ids[3], Guid.NewGuid(), ids[17], ids[3]], CancellationToken.None);
        Assert.Equal(new[] { ids[3], ids[17] }.ToHashSet(), many.Select(r => r.Id).ToHashSet());
        Assert.Empty(await catalog.GetManyAsync([], CancellationToken.None));

        var listed = new List<Guid>();
        await foreach (var id in catalog.ListIdsAsync(CancellationToken.None))
        {
            listed.Add(id);
        }

        Assert.Equal(ids.Order(), listed.Order());
    }

    [Fact]
    public async Task A_second_catalog_on_the_same_file_sees_committed_rows_and_reopening_keeps_them()
    {
        var (record, _) = await _catalog.AddOrGetAsync(Record(Sha("shared"), Epoch, tags: ["x"]), CancellationToken.None);

        using (var other = new SqliteImageCatalog(_folder.File("library.db")))
        {
            Assert.Equal(record, await other.GetAsync(record.Id, CancellationToken.None), RecordComparer.Instance);
            await other.UpdateAsync(record.Id, new ImagePatch(["y"]), CancellationToken.None);
        }

        Assert.Equal(["y"], (await _catalog.GetAsync(record.Id, CancellationToken.None))!.Tags);
    }

    [Fact]
    public async Task Bad_records_are_refused_and_store_nothing()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _catalog.AddOrGetAsync(Record("ABC", Epoch), CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => _catalog.AddOrGetAsync(Record(Sha("x").ToUpperInvariant(), Epoch), CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => _catalog.AddOrGetAsync(Record(Sha("x"), Epoch) with { MimeType = "" }, CancellationToken.None));
        var (first, _) = await _catalog.AddOrGetAsync(Record(Sha("x"), Epoch), CancellationToken.None);
        // Same id, other bytes: the id is unique too, and the failed insert leaves the first row alone.
        await Assert.ThrowsAsync<SqliteException>(() => _catalog.AddOrGetAsync(Record(Sha("y"), Epoch) with { Id = first.Id }, CancellationToken.None));
        Assert.Equal(1, await _catalog.CountAsync(CancellationToken.None));
    }

    [Fact]
    public async Task The_schema_is_versioned_and_a_newer_file_is_refused_with_a_clear_message()
    {
        var path = _folder.File("newer.db");
        using (new SqliteImageCatalog(path))
        {
        }

        using (var connection = new SqliteConnection($"Data Source={path}"))
        {
            connection.Open();
            using var read = connection.CreateCommand();
            read.CommandText = "PRAGMA user_version";
            Assert.Equal(1L, read.ExecuteScalar());
            using var bump = connection.CreateCommand();
            bump.CommandText = "PRAGMA user_version = 99";
            bump.ExecuteNonQuery();
        }

        var error = Assert.Throws<InvalidOperationException>(() => new SqliteImageCatalog(path));
        Assert.Contains("schema version 99", error.Message, StringComparison.Ordinal);
    }

    private static string Sha(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static ImageRecord Record(
        string sha256,
        DateTimeOffset uploadedAt,
        string[]? tags = null,
        Dictionary<string, string>? metadata = null,
        DateTimeOffset? takenAt = null) =>
        new(Guid.NewGuid(), sha256, "image/jpeg", 1234, 640, 480, "photo.jpg", uploadedAt, takenAt, tags ?? [], metadata ?? []);

    private static ImageRecord RandomRecord(Random random, int i, DateTimeOffset uploadedAt)
    {
        string[] tags = ["red", "blue", "green", "big", "small"];
        var metadata = new Dictionary<string, string>();
        foreach (var key in new[] { "camera", "lens", "place" })
        {
            if (random.Next(3) > 0)
            {
                metadata[key] = $"v{random.Next(3)}";
            }
        }

        return Record(
            Sha($"random {i} {random.Next()}"),
            uploadedAt,
            tags.Where(_ => random.Next(3) == 0).ToArray(),
            metadata,
            random.Next(4) == 0 ? null : Epoch.AddDays(-random.Next(30)));
    }

    /// <summary>Random combinations of every filter member, including strings no record has.</summary>
    internal static IEnumerable<ImageFilter> RandomFilters(Random random, int count)
    {
        string[] tags = ["red", "blue", "green", "big", "small", "never-used"];
        for (var i = 0; i < count; i++)
        {
            yield return new ImageFilter
            {
                TagsAny = random.Next(3) == 0 ? tags.Where(_ => random.Next(3) == 0).ToArray() : null,
                TagsAll = random.Next(3) == 0 ? tags.Where(_ => random.Next(4) == 0).ToArray() : null,
                Metadata = random.Next(3) == 0 ? new Dictionary<string, string> { [new[] { "camera", "lens", "place", "other" }[random.Next(4)]] = $"v{random.Next(4)}" } : null,
                UploadedFrom = random.Next(4) == 0 ? Epoch.AddMinutes(random.Next(12)) : null,
                UploadedTo = random.Next(4) == 0 ? Epoch.AddMinutes(random.Next(12)) : null,
                TakenFrom = random.Next(4) == 0 ? Epoch.AddDays(-random.Next(30)) : null,
                TakenTo = random.Next(4) == 0 ? Epoch.AddDays(-random.Next(30)) : null,
            };
        }
    }

    /// <summary>Records equal member by member (the record's own equality compares collections by reference).</summary>
    private sealed class RecordComparer : IEqualityComparer<ImageRecord?>
    {
        public static readonly RecordComparer Instance = new();

        public bool Equals(ImageRecord? x, ImageRecord? y) =>
            x is not null && y is not null
            && x.Id == y.Id && x.Sha256 == y.Sha256 && x.MimeType == y.MimeType && x.SizeBytes == y.SizeBytes
            && x.Width == y.Width && x.Height == y.Height && x.FileName == y.FileName
            && x.UploadedAt == y.UploadedAt && x.TakenAt == y.TakenAt
            && x.Tags.SequenceEqual(y.Tags)
            && x.Metadata.Count == y.Metadata.Count && x.Metadata.All(pair => y.Metadata.TryGetValue(pair.Key, out var value) && value == pair.Value);

        public int GetHashCode(ImageRecord? obj) => obj?.Id.GetHashCode() ?? 0;
    }
}
