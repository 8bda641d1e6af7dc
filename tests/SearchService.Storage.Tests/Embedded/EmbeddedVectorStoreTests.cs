using Microsoft.Extensions.Logging.Abstractions;
using SearchService.Core.Storage;
using SearchService.Storage.Sqlite.Vectors;
using SearchService.Storage.Tests.Catalog;
using Xunit;
using static SearchService.Storage.Tests.Behaviour.VectorTestData;

namespace SearchService.Storage.Tests.Embedded;

/// <summary>What only the embedded store has: its file (reopening), its in-memory index under concurrency, its scan at size.</summary>
public sealed class EmbeddedVectorStoreTests : IDisposable
{
    private static readonly DateTimeOffset Epoch = new(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly TempFolder _folder = new();
    private readonly List<EmbeddedVectorStore> _stores = [];

    public void Dispose()
    {
        foreach (var store in _stores)
        {
            store.Dispose();
        }

        _folder.Dispose();
    }

    [Fact]
    public async Task Reopening_the_file_restores_every_write()
    {
        var collection = new VectorCollection("reopen_16", 16);
        var other = new VectorCollection("other_4", 4);
        var random = new Random(31);
        var points = RandomPoints(random, 300, collection.Dimensions);
        var first = Open();
        await first.EnsureCollectionAsync(collection, CancellationToken.None);
        await first.EnsureCollectionAsync(other, CancellationToken.None);
        await first.UpsertAsync(collection, points, CancellationToken.None);
        await first.UpsertAsync(other, [new VectorPoint(points[0].Id, [0, 0, 3, 4], Payload(Epoch))], CancellationToken.None);
        var replaced = points[1] with { Vector = RandomUnit(random, collection.Dimensions).Select(v => v * 5).ToArray() };
        await first.UpsertAsync(collection, [replaced], CancellationToken.None);
        await first.SetPayloadAsync(collection, points[2].Id, Payload(Epoch, Epoch, ["moved"], new() { ["k"] = "v" }), CancellationToken.None);
        await first.DeleteAsync(collection, [points[3].Id, points[4].Id], CancellationToken.None);
        var query = RandomUnit(random, collection.Dimensions);
        var filter = new ImageFilter { TagsAny = ["a", "moved"] };
        var before = await first.SearchAsync(collection, new VectorQuery(query, 50, Filter: filter), CancellationToken.None);
        first.Dispose();

        var reopened = Open();
        await reopened.EnsureCollectionAsync(collection, CancellationToken.None);

        Assert.Equal(298, await reopened.CountAsync(collection, null, CancellationToken.None));
        Assert.Equal(before, await reopened.SearchAsync(collection, new VectorQuery(query, 50, Filter: filter), CancellationToken.None));
        Assert.Equal(1, await reopened.CountAsync(collection, new ImageFilter { Metadata = new Dictionary<string, string> { ["k"] = "v" }, TakenFrom = Epoch }, CancellationToken.None));
        Assert.Null(await reopened.GetVectorAsync(collection, points[3].Id, CancellationToken.None));
        var stored = (await reopened.GetVectorAsync(collection, replaced.Id, CancellationToken.None))!;
        Assert.Equal(1f, Cosine(stored, replaced.Vector), 5);
        Assert.Equal(1f, MathF.Sqrt(stored.Sum(v => v * v)), 5);
        float[] expectedOther = [0f, 0f, 0.6f, 0.8f];
        Assert.Equal(expectedOther, (await reopened.GetVectorAsync(other, points[0].Id, CancellationToken.None))!);
        // The other collection loads on first use, not before.
        Assert.Equal(1, await reopened.CountAsync(other, null, CancellationToken.None));
    }

    [Fact]
    public async Task Another_dimension_missing_collections_and_bad_vectors_are_refused()
    {
        var collection = new VectorCollection("dims_8", 8);
        var store = Open();
        await store.EnsureCollectionAsync(collection, CancellationToken.None);
        store.Dispose();

        var reopened = Open();
        var error = await Assert.ThrowsAsync<VectorStoreException>(() => reopened.EnsureCollectionAsync(collection with { Dimensions = 9 }, CancellationToken.None));
        Assert.Contains("dims_8", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<VectorStoreException>(() => reopened.SearchAsync(collection with { Dimensions = 9 }, new VectorQuery(new float[9], 1), CancellationToken.None));
        var missing = await Assert.ThrowsAsync<VectorStoreException>(() => reopened.CountAsync(new VectorCollection("never_made", 8), null, CancellationToken.None));
        Assert.Contains("never_made", missing.Message, StringComparison.Ordinal);

        await reopened.EnsureCollectionAsync(collection, CancellationToken.None);
        var id = Guid.NewGuid();
        await Assert.ThrowsAsync<ArgumentException>(() => reopened.UpsertAsync(collection, [new VectorPoint(id, new float[7], Payload(Epoch))], CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => reopened.UpsertAsync(collection, [new VectorPoint(id, new float[8], Payload(Epoch))], CancellationToken.None));
        var nan = Unit(1, 1, 1, 1, 1, 1, 1, 1);
        nan[3] = float.NaN;
        await Assert.ThrowsAsync<ArgumentException>(() => reopened.UpsertAsync(collection, [new VectorPoint(id, nan, Payload(Epoch))], CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => reopened.SearchAsync(collection, new VectorQuery(new float[3], 1), CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => reopened.SearchAsync(collection, new VectorQuery(new float[8], 0), CancellationToken.None));
        Assert.Equal(0, await reopened.CountAsync(collection, null, CancellationToken.None));
    }

    [Fact]
    public void A_second_instance_on_the_same_file_is_refused_until_the_first_is_disposed()
    {
        var first = Open();

        var error = Assert.Throws<VectorStoreException>(() => Open());
        Assert.Contains("vectors.db", error.Message, StringComparison.Ordinal);

        first.Dispose();
        Open().Dispose();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task Ten_thousand_random_points_rank_as_brute_force_does(int searchThreads)
    {
        var collection = new VectorCollection("ranking_32", 32);
        var random = new Random(32);
        var points = RandomPoints(random, 10_000, collection.Dimensions);
        var store = Open(searchThreads);
        await store.EnsureCollectionAsync(collection, CancellationToken.None);
        await store.UpsertAsync(collection, points, CancellationToken.None);

        for (var q = 0; q < 5; q++)
        {
            var query = RandomUnit(random, collection.Dimensions);
            var expected = Ranking(points, query, null);
            foreach (var (limit, offset) in new[] { (10, 0), (25, 40), (1, 9_999) })
            {
                var hits = await store.SearchAsync(collection, new VectorQuery(query, limit, offset), CancellationToken.None);
                Assert.Equal(expected.Skip(offset).Take(limit).Select(e => e.Id), hits.Select(h => h.Id));
                Assert.Equal(expected.Skip(offset).Take(limit).Select(e => e.Score), hits.Select(h => h.Score), (a, b) => Math.Abs(a - b) < 1e-5f);
            }
        }
    }

    [Fact]
    public async Task Randomised_filters_select_exactly_what_ImageFilter_Matches_selects_before_and_after_reopening()
    {
        var collection = new VectorCollection("filters_8", 8);
        var random = new Random(33);
        var points = Enumerable.Range(0, 12_000).Select(i => new VectorPoint(Guid.NewGuid(), RandomUnit(random, 8), RandomPayload(random))).ToList();
        var filters = SqliteImageCatalogTests.RandomFilters(random, 60).Select(filter => (Filter: filter, Query: RandomUnit(random, 8))).ToList();
        var written = Open();
        await written.EnsureCollectionAsync(collection, CancellationToken.None);
        await written.UpsertAsync(collection, points, CancellationToken.None);
        await AssertFiltersAsync(written);
        written.Dispose();

        // Loading builds the filter terms on another path (shared per distinct payload text).
        var loaded = Open();
        await loaded.EnsureCollectionAsync(collection, CancellationToken.None);
        await AssertFiltersAsync(loaded);

        async Task AssertFiltersAsync(EmbeddedVectorStore store)
        {
            foreach (var (filter, query) in filters)
            {
                var expected = Ranking(points, query, filter);
                Assert.Equal(expected.Count, await store.CountAsync(collection, filter, CancellationToken.None));
                var hits = await store.SearchAsync(collection, new VectorQuery(query, 30, Filter: filter), CancellationToken.None);
                Assert.Equal(expected.Take(30).Select(e => e.Id), hits.Select(h => h.Id));
            }
        }
    }

    [Fact]
    public async Task Concurrent_writers_and_readers_leave_memory_and_file_in_step()
    {
        var collection = new VectorCollection("concurrent_16", 16);
        var store = Open(searchThreads: 2);
        await store.EnsureCollectionAsync(collection, CancellationToken.None);
        var seed = RandomPoints(new Random(34), 9_000, collection.Dimensions);
        await store.UpsertAsync(collection, seed, CancellationToken.None);
        using var stop = new CancellationTokenSource();

        var writers = Enumerable.Range(0, 3).Select(w => Task.Run(async () =>
        {
            var random = new Random(100 + w);
            var mine = new List<VectorPoint>();
            var tagged = new List<Guid>();
            for (var round = 0; round < 40; round++)
            {
                var batch = RandomPoints(random, 20, collection.Dimensions);
                await store.UpsertAsync(collection, batch, CancellationToken.None);
                mine.AddRange(batch);
                var gone = mine.Take(5).ToList();
                mine.RemoveRange(0, 5);
                await store.DeleteAsync(collection, gone.Select(p => p.Id).ToList(), CancellationToken.None);
                Assert.True(await store.SetPayloadAsync(collection, mine[^1].Id, Payload(Epoch, tags: ["writer"]), CancellationToken.None));
                tagged.Add(mine[^1].Id);
            }

            return (Kept: mine.Select(p => p.Id).ToList(), Tagged: tagged);
        })).ToArray();

        var readers = Enumerable.Range(0, 3).Select(r => Task.Run(async () =>
        {
            var random = new Random(200 + r);
            var searches = 0;
            while (!stop.IsCancellationRequested)
            {
                var hits = await store.SearchAsync(collection, new VectorQuery(RandomUnit(random, collection.Dimensions), 20), CancellationToken.None);
                Assert.Equal(20, hits.Count);
                Assert.Equal(hits.Count, hits.Select(h => h.Id).Distinct().Count());
                Assert.True(hits.Zip(hits.Skip(1)).All(pair => pair.First.Score >= pair.Second.Score));
                searches++;
                // A search runs synchronously; yielding lets the writers' continuations have the pool's threads too.
                await Task.Yield();
            }

            return searches;
        })).ToArray();

        var written = await Task.WhenAll(writers);
        await stop.CancelAsync();
        Assert.All(await Task.WhenAll(readers), searches => Assert.True(searches > 0));

        var expectedIds = seed.Select(p => p.Id).Concat(written.SelectMany(w => w.Kept)).ToHashSet();
        Assert.Equal(expectedIds.Count, await store.CountAsync(collection, null, CancellationToken.None));
        var stillTagged = written.SelectMany(w => w.Tagged).Count(expectedIds.Contains);
        Assert.True(stillTagged > 0);
        Assert.Equal(stillTagged, await store.CountAsync(collection, new ImageFilter { TagsAll = ["writer"] }, CancellationToken.None));
        var query = RandomUnit(new Random(35), collection.Dimensions);
        var inMemory = await store.SearchAsync(collection, new VectorQuery(query, 100), CancellationToken.None);
        store.Dispose();

        var reopened = Open();
        await reopened.EnsureCollectionAsync(collection, CancellationToken.None);
        var listed = new HashSet<Guid>();
        await foreach (var id in reopened.ListIdsAsync(collection, CancellationToken.None))
        {
            listed.Add(id);
        }

        Assert.Equal(expectedIds, listed);
        Assert.Equal(inMemory, await reopened.SearchAsync(collection, new VectorQuery(query, 100), CancellationToken.None));
    }

    /// <summary>A store on the test's file that fans every multi-segment search out (the small collections here would run on one thread).</summary>
    private EmbeddedVectorStore Open(int searchThreads = 0)
    {
        var store = new EmbeddedVectorStore(_folder.File("vectors.db"), searchThreads, NullLogger<EmbeddedVectorStore>.Instance, parallelFromFloats: 0);
        _stores.Add(store);
        return store;
    }

    private static List<VectorPoint> RandomPoints(Random random, int count, int dimensions) =>
        Enumerable.Range(0, count).Select(i => new VectorPoint(
            Guid.NewGuid(),
            RandomUnit(random, dimensions),
            Payload(Epoch.AddSeconds(i), tags: random.Next(2) == 0 ? ["a"] : ["b"]))).ToList();

    /// <summary>The same vocabulary as the catalog's random filters, so both stores are held to one set of cases.</summary>
    private static ImagePayload RandomPayload(Random random)
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

        return new ImagePayload(
            tags.Where(_ => random.Next(3) == 0).ToArray(),
            metadata,
            Epoch.AddMinutes(random.Next(12)).AddTicks(random.Next(3) - 1),
            random.Next(4) == 0 ? null : Epoch.AddDays(-random.Next(30)));
    }
}
