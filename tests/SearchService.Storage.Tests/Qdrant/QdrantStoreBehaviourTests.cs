using Microsoft.Extensions.Logging.Abstractions;
using SearchService.Core.Storage;
using SearchService.Storage.Qdrant;
using Xunit;
using static SearchService.Storage.Tests.Qdrant.QdrantTestStores;

namespace SearchService.Storage.Tests.Qdrant;

/// <summary>
/// What the Qdrant store must do, checked against a brute-force cosine ranking computed here and
/// <see cref="ImageFilter.Matches"/>; run against the in-process fake (always) and a real server (when
/// <c>QDRANT_URL</c> is set). Each test works in its own collection, dropped afterwards.
/// </summary>
public abstract class QdrantStoreBehaviourTests : IAsyncLifetime
{
    private const int Dimensions = 8;
    private static readonly DateTimeOffset Epoch = new(2024, 3, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly VectorCollection _collection = new($"behaviour_{Guid.NewGuid():N}_{Dimensions}", Dimensions);
    private QdrantVectorStore _store = null!;

    protected abstract QdrantVectorStore CreateStore(QdrantOptions options);

    public async Task InitializeAsync()
    {
        _store = CreateStore(new QdrantOptions { ExactSearch = true, UpsertBatchSize = 7, UpsertParallelism = 3 });
        await _store.EnsureCollectionAsync(_collection, CancellationToken.None);
    }

    public async Task DisposeAsync() => await _store.DeleteCollectionAsync(_collection, CancellationToken.None);

    [StoreFact]
    public async Task Is_ready_and_ensuring_twice_is_harmless_but_another_dimension_is_refused()
    {
        Assert.True(await _store.IsReadyAsync(CancellationToken.None));
        await _store.EnsureCollectionAsync(_collection, CancellationToken.None);
        var error = await Assert.ThrowsAsync<VectorStoreException>(() => _store.EnsureCollectionAsync(_collection with { Dimensions = 16 }, CancellationToken.None));
        Assert.Contains(_collection.Name, error.Message, StringComparison.Ordinal);
    }

    [StoreFact]
    public async Task Search_pages_follow_the_brute_force_ranking_among_filtered_points()
    {
        var random = new Random(11);
        var points = await SeedAsync(random, 120);
        var query = RandomUnit(random);

        foreach (var filter in new[] { null, new ImageFilter { TagsAny = ["red", "blue"] }, new ImageFilter { TagsAll = ["red", "big"], UploadedFrom = Epoch.AddDays(10) }, new ImageFilter { Metadata = new Dictionary<string, string> { ["camera"] = "b" }, TakenTo = Epoch.AddDays(30) } })
        {
            var expected = Ranking(points, query, filter);
            var pages = new List<ScoredPoint>();
            for (var offset = 0; offset < expected.Count + 10; offset += 10)
            {
                pages.AddRange(await _store.SearchAsync(_collection, new VectorQuery(query, 10, offset, Filter: filter), CancellationToken.None));
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

        var hits = await _store.SearchAsync(_collection, new VectorQuery(query, 40, MinScore: threshold, ExcludeIds: excluded), CancellationToken.None);

        Assert.DoesNotContain(hits, h => excluded.Contains(h.Id));
        Assert.All(hits, h => Assert.True(h.Score >= threshold - 1e-5f));
        Assert.Equal(expected.Where(e => !excluded.Contains(e.Id) && e.Score >= threshold).Select(e => e.Id).ToHashSet(), hits.Select(h => h.Id).ToHashSet());
        Assert.Equal(1f, (await _store.SearchAsync(_collection, new VectorQuery(query, 1), CancellationToken.None))[0].Score, 4);
    }

    [StoreFact]
    public async Task Equal_scores_are_ordered_by_id()
    {
        var direction = Unit(1, 2, 3, 4, 5, 6, 7, 8);
        var ids = Enumerable.Range(0, 9).Select(_ => Guid.NewGuid()).ToArray();
        await _store.UpsertAsync(_collection, ids.Select(id => new VectorPoint(id, direction, Payload(Epoch))).ToArray(), CancellationToken.None);

        var pages = new List<ScoredPoint>();
        for (var offset = 0; offset < 9; offset += 4)
        {
            pages.AddRange(await _store.SearchAsync(_collection, new VectorQuery(direction, 4, offset), CancellationToken.None));
        }

        Assert.Equal(ids.Order(), pages.Select(p => p.Id));
    }

    [StoreFact]
    public async Task Upsert_replaces_delete_removes_and_set_payload_moves_a_point_between_filters()
    {
        var random = new Random(13);
        var points = await SeedAsync(random, 30);
        var target = points[5];
        var replacement = RandomUnit(random);

        await _store.UpsertAsync(_collection, [target with { Vector = replacement }], CancellationToken.None);
        Assert.Equal(replacement, (await _store.GetVectorAsync(_collection, target.Id, CancellationToken.None))!, new Tolerance(1e-5f));
        Assert.Equal(target.Id, (await _store.SearchAsync(_collection, new VectorQuery(replacement, 1), CancellationToken.None))[0].Id);

        var onlyMine = new ImageFilter { TagsAll = ["moved-here"] };
        Assert.Equal(0, await _store.CountAsync(_collection, onlyMine, CancellationToken.None));
        Assert.True(await _store.SetPayloadAsync(_collection, target.Id, Payload(Epoch, tags: ["moved-here"]), CancellationToken.None));
        Assert.Equal(1, await _store.CountAsync(_collection, onlyMine, CancellationToken.None));
        Assert.False(await _store.SetPayloadAsync(_collection, Guid.NewGuid(), Payload(Epoch), CancellationToken.None));

        await _store.DeleteAsync(_collection, [target.Id, points[6].Id, Guid.NewGuid()], CancellationToken.None);
        Assert.Null(await _store.GetVectorAsync(_collection, target.Id, CancellationToken.None));
        Assert.Equal(28, await _store.CountAsync(_collection, null, CancellationToken.None));
        var listed = new HashSet<Guid>();
        await foreach (var id in _store.ListIdsAsync(_collection, CancellationToken.None))
        {
            Assert.True(listed.Add(id));
        }

        Assert.Equal(points.Select(p => p.Id).Except([target.Id, points[6].Id]).ToHashSet(), listed);
        Assert.DoesNotContain(await _store.SearchAsync(_collection, new VectorQuery(replacement, 30), CancellationToken.None), h => h.Id == target.Id);
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
            Assert.Equal(points.Count(p => filter.Matches(p.Payload)), await _store.CountAsync(_collection, filter, CancellationToken.None));
        }
    }

    private async Task<List<VectorPoint>> SeedAsync(Random random, int count)
    {
        string[] tags = ["red", "blue", "green", "big"];
        var points = Enumerable.Range(0, count).Select(i => new VectorPoint(
            Guid.NewGuid(),
            RandomUnit(random),
            new ImagePayload(
                tags.Where(_ => random.Next(2) == 0).ToArray(),
                new Dictionary<string, string> { ["camera"] = random.Next(2) == 0 ? "a" : "b", ["lens"] = random.Next(2) == 0 ? "x=1" : "y" },
                Epoch.AddDays(i % 40).AddMilliseconds(i * 3.5),
                random.Next(4) == 0 ? null : Epoch.AddDays(random.Next(40))))).ToList();
        await _store.UpsertAsync(_collection, points, CancellationToken.None);
        return points;
    }

    private static float[] RandomUnit(Random random) => Unit(Enumerable.Range(0, Dimensions).Select(_ => random.NextSingle() * 2 - 1).ToArray());

    private static List<ScoredPoint> Ranking(IEnumerable<VectorPoint> points, float[] query, ImageFilter? filter) =>
        points.Where(p => filter?.Matches(p.Payload) ?? true)
            .Select(p => new ScoredPoint(p.Id, Cosine(p.Vector, query)))
            .OrderByDescending(p => p.Score).ThenBy(p => p.Id)
            .ToList();

    private static float Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }

        return (float)(dot / Math.Sqrt(na * nb));
    }

    /// <summary>Same hits with the same scores in the same order, allowing float noise to swap near-equal neighbours.</summary>
    private static void AssertSameRanking(List<ScoredPoint> expected, List<ScoredPoint> actual, List<VectorPoint> points, float[] query)
    {
        Assert.Equal(expected.Count, actual.Count);
        Assert.Equal(expected.Select(e => e.Id).ToHashSet(), actual.Select(a => a.Id).ToHashSet());
        var byId = points.ToDictionary(p => p.Id);
        for (var i = 0; i < actual.Count; i++)
        {
            Assert.Equal(expected[i].Score, actual[i].Score, 4);
            Assert.Equal(Cosine(byId[actual[i].Id].Vector, query), actual[i].Score, 4);
        }
    }

    private sealed class Tolerance(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(float obj) => 0;
    }
}

/// <summary>The behaviour against the in-process fake, with every exchange checked against both OpenAPI specs.</summary>
public sealed class FakeQdrantStoreBehaviourTests : QdrantStoreBehaviourTests, IDisposable
{
    private readonly FakeQdrantServer _server = new();

    protected override QdrantVectorStore CreateStore(QdrantOptions options)
    {
        options.Url = "http://qdrant.test:6333";
        return new QdrantVectorStore(_server.CreateClient(), options, NullLogger<QdrantVectorStore>.Instance);
    }

    public void Dispose()
    {
        _server.AssertConforms();
        _server.Dispose();
    }
}

/// <summary>The behaviour against a real Qdrant: <c>QDRANT_URL</c> (and <c>QDRANT_API_KEY</c> if it needs one).</summary>
[RequiresEnvironmentVariable("QDRANT_URL")]
public sealed class LiveQdrantStoreBehaviourTests : QdrantStoreBehaviourTests
{
    protected override QdrantVectorStore CreateStore(QdrantOptions options) => LiveQdrant.CreateStore(options);
}

internal static class LiveQdrant
{
    /// <summary>A store on the server named by <c>QDRANT_URL</c>, exact search so brute-force comparisons hold.</summary>
    public static QdrantVectorStore CreateStore(QdrantOptions options)
    {
        options.Url = Environment.GetEnvironmentVariable("QDRANT_URL") ?? throw new InvalidOperationException("QDRANT_URL is not set.");
        options.ApiKey = Environment.GetEnvironmentVariable("QDRANT_API_KEY");
        options.ExactSearch = true;
        var http = new HttpClient { BaseAddress = QdrantServiceCollectionExtensions.BaseAddress(options.Url), Timeout = Timeout.InfiniteTimeSpan };
        if (!string.IsNullOrEmpty(options.ApiKey))
        {
            http.DefaultRequestHeaders.Add("api-key", options.ApiKey);
        }

        return new QdrantVectorStore(http, options, NullLogger<QdrantVectorStore>.Instance);
    }
}
