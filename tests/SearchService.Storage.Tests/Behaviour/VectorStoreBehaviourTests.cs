using SearchService.Core.Storage;
using SearchService.Testing;
using Xunit;
using static SearchService.Storage.Tests.Behaviour.VectorTestData;

namespace SearchService.Storage.Tests.Behaviour;

/// <summary>
/// What every <see cref="IVectorStore"/> must do, checked against a brute-force cosine ranking computed here and
/// <see cref="ImageFilter.Matches"/>. Subclasses run it on one store each (the embedded store, the Qdrant
/// fake, a live Qdrant). Each test works in its own collection, dropped afterwards.
/// </summary>
public abstract class VectorStoreBehaviourTests : IAsyncLifetime
{
    protected const int Dimensions = 8;
    protected static readonly DateTimeOffset Epoch = new(2024, 3, 1, 0, 0, 0, TimeSpan.Zero);

    protected VectorCollection Collection { get; } = new($"behaviour_{Guid.NewGuid():N}_{Dimensions}", Dimensions);

    protected IVectorStore Store { get; private set; } = null!;

    /// <summary>A store for one test; called once per test.</summary>
    protected abstract IVectorStore CreateStore();

    /// <summary>Drops the test's collection (each store has its own tooling call for that).</summary>
    protected abstract Task DeleteCollectionAsync(VectorCollection collection);

    public virtual async Task InitializeAsync()
    {
        Store = CreateStore();
        await Store.EnsureCollectionAsync(Collection, CancellationToken.None);
    }

    public virtual async Task DisposeAsync() => await DeleteCollectionAsync(Collection);

    [StoreFact]
    public async Task Is_ready_and_ensuring_twice_is_harmless_but_another_dimension_is_refused()
    {
        Assert.True(await Store.IsReadyAsync(CancellationToken.None));
        await Store.EnsureCollectionAsync(Collection, CancellationToken.None);
        var error = await Assert.ThrowsAsync<VectorStoreException>(() => Store.EnsureCollectionAsync(Collection with { Dimensions = 16 }, CancellationToken.None));
        Assert.Contains(Collection.Name, error.Message, StringComparison.Ordinal);
    }

    [StoreFact]
    public async Task Search_pages_follow_the_brute_force_ranking_among_filtered_points()
    {
        var random = new Random(11);
        var points = await SeedAsync(random, 120);
        var query = RandomUnit(random, Dimensions);

        foreach (var filter in new[] { null, new ImageFilter { TagsAny = ["red", "blue"] }, new ImageFilter { TagsAll = ["red", "big"], UploadedFrom = Epoch.AddDays(10) }, new ImageFilter { Metadata = new Dictionary<string, string> { ["camera"] = "b" }, TakenTo = Epoch.AddDays(30) } })
        {
            var expected = Ranking(points, query, filter);
            var pages = new List<ScoredPoint>();
            for (var offset = 0; offset < expected.Count + 10; offset += 10)
            {
                pages.AddRange(await Store.SearchAsync(Collection, new VectorQuery(query, 10, offset, Filter: filter), CancellationToken.None));
            }

            AssertSameRanking(expected, pages, points, query);
        }
    }

    [StoreFact]
    public async Task MinScore_and_excluded_ids_drop_hits()
    {
        var random = new Random(12);
        var points = await SeedAsync(random, 40);
        var query = points[0].Vector;
        var expected = Ranking(points, query, null);
        var threshold = expected[10].Score;
        var excluded = new[] { points[0].Id, expected[3].Id };

        var hits = await Store.SearchAsync(Collection, new VectorQuery(query, 40, MinScore: threshold, ExcludeIds: excluded), CancellationToken.None);

        Assert.DoesNotContain(hits, h => excluded.Contains(h.Id));
        Assert.All(hits, h => Assert.True(h.Score >= threshold - 1e-5f));
        Assert.Equal(expected.Where(e => !excluded.Contains(e.Id) && e.Score >= threshold).Select(e => e.Id).ToHashSet(), hits.Select(h => h.Id).ToHashSet());
        Assert.Equal(1f, (await Store.SearchAsync(Collection, new VectorQuery(query, 1), CancellationToken.None))[0].Score, 4);
    }

    [StoreFact]
    public async Task Equal_scores_are_ordered_by_id()
    {
        var direction = Unit(1, 2, 3, 4, 5, 6, 7, 8);
        var ids = Enumerable.Range(0, 9).Select(_ => Guid.NewGuid()).ToArray();
        await Store.UpsertAsync(Collection, ids.Select(id => new VectorPoint(id, direction, Payload(Epoch))).ToArray(), CancellationToken.None);

        var pages = new List<ScoredPoint>();
        for (var offset = 0; offset < 9; offset += 4)
        {
            pages.AddRange(await Store.SearchAsync(Collection, new VectorQuery(direction, 4, offset), CancellationToken.None));
        }

        Assert.Equal(ids.Order(), pages.Select(p => p.Id));
    }

    [StoreFact]
    public async Task Upsert_replaces_delete_removes_and_set_payload_moves_a_point_between_filters()
    {
        var random = new Random(13);
        var points = await SeedAsync(random, 30);
        var target = points[5];
        var replacement = RandomUnit(random, Dimensions);

        await Store.UpsertAsync(Collection, [target with { Vector = replacement }], CancellationToken.None);
        Assert.Equal(replacement, (await Store.GetVectorAsync(Collection, target.Id, CancellationToken.None))!, new FloatTolerance(1e-5f));
        Assert.Equal(target.Id, (await Store.SearchAsync(Collection, new VectorQuery(replacement, 1), CancellationToken.None))[0].Id);

        var onlyMine = new ImageFilter { TagsAll = ["moved-here"] };
        Assert.Equal(0, await Store.CountAsync(Collection, onlyMine, CancellationToken.None));
        Assert.True(await Store.SetPayloadAsync(Collection, target.Id, Payload(Epoch, tags: ["moved-here"]), CancellationToken.None));
        Assert.Equal(1, await Store.CountAsync(Collection, onlyMine, CancellationToken.None));
        Assert.False(await Store.SetPayloadAsync(Collection, Guid.NewGuid(), Payload(Epoch), CancellationToken.None));

        await Store.DeleteAsync(Collection, [target.Id, points[6].Id, Guid.NewGuid()], CancellationToken.None);
        Assert.Null(await Store.GetVectorAsync(Collection, target.Id, CancellationToken.None));
        Assert.Equal(28, await Store.CountAsync(Collection, null, CancellationToken.None));
        var listed = new HashSet<Guid>();
        await foreach (var id in Store.ListIdsAsync(Collection, CancellationToken.None))
        {
            Assert.True(listed.Add(id));
        }

        Assert.Equal(points.Select(p => p.Id).Except([target.Id, points[6].Id]).ToHashSet(), listed);
        Assert.DoesNotContain(await Store.SearchAsync(Collection, new VectorQuery(replacement, 30), CancellationToken.None), h => h.Id == target.Id);
    }

    [StoreFact]
    public async Task Counts_follow_ImageFilter_Matches()
    {
        var random = new Random(14);
        var points = await SeedAsync(random, 80);
        var filters = new[]
        {
            new ImageFilter { TagsAny = ["green"] },
            new ImageFilter { TagsAll = ["red", "blue"] },
            new ImageFilter { Metadata = new Dictionary<string, string> { ["camera"] = "a", ["lens"] = "x=1" } },
            new ImageFilter { UploadedFrom = points[3].Payload.UploadedAt, UploadedTo = points[7].Payload.UploadedAt },
            new ImageFilter { TakenFrom = Epoch },
            new ImageFilter { TakenTo = Epoch.AddDays(20), TagsAny = ["big"] },
        };

        foreach (var filter in filters)
        {
            Assert.Equal(points.Count(p => filter.Matches(p.Payload)), await Store.CountAsync(Collection, filter, CancellationToken.None));
        }
    }

    /// <summary>Random points over a small vocabulary of tags, two metadata keys and 40 days, some without a taken date.</summary>
    protected async Task<List<VectorPoint>> SeedAsync(Random random, int count)
    {
        ArgumentNullException.ThrowIfNull(random);
        string[] tags = ["red", "blue", "green", "big"];
        var points = Enumerable.Range(0, count).Select(i => new VectorPoint(
            Guid.NewGuid(),
            RandomUnit(random, Dimensions),
            new ImagePayload(
                tags.Where(_ => random.Next(2) == 0).ToArray(),
                new Dictionary<string, string> { ["camera"] = random.Next(2) == 0 ? "a" : "b", ["lens"] = random.Next(2) == 0 ? "x=1" : "y" },
                Epoch.AddDays(i % 40).AddMilliseconds(i * 3.5),
                random.Next(4) == 0 ? null : Epoch.AddDays(random.Next(40))))).ToList();
        await Store.UpsertAsync(Collection, points, CancellationToken.None);
        return points;
    }

    /// <summary>Same hits with the same scores in the same order, allowing float noise to swap near-equal neighbours.</summary>
    protected static void AssertSameRanking(List<ScoredPoint> expected, List<ScoredPoint> actual, List<VectorPoint> points, float[] query)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actual);
        ArgumentNullException.ThrowIfNull(points);
        Assert.Equal(expected.Count, actual.Count);
        Assert.Equal(expected.Select(e => e.Id).ToHashSet(), actual.Select(a => a.Id).ToHashSet());
        var byId = points.ToDictionary(p => p.Id);
        for (var i = 0; i < actual.Count; i++)
        {
            Assert.Equal(expected[i].Score, actual[i].Score, 4);
            Assert.Equal(Cosine(byId[actual[i].Id].Vector, query), actual[i].Score, 4);
        }
    }
}
