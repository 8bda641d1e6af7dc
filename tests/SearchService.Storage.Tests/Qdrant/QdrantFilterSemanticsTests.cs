using SearchService.Core.Storage;
using Xunit;
using static SearchService.Storage.Tests.Behaviour.VectorTestData;
using static SearchService.Storage.Tests.Qdrant.QdrantTestStores;

namespace SearchService.Storage.Tests.Qdrant;

/// <summary>
/// The Qdrant filters the store builds select exactly what <see cref="ImageFilter.Matches"/> selects, under
/// Qdrant's documented filter semantics as <see cref="FakeQdrantServer"/> implements them, over random
/// payloads and filters that hit the edges (shared tags, tricky metadata keys, bounds equal to stored dates,
/// sub-second times, missing taken dates).
/// </summary>
public sealed class QdrantFilterSemanticsTests
{
    private static readonly VectorCollection Collection = new("filters_3", 3);
    private static readonly string[] TagPool = ["cat", "Cat", "dog", "a=b", "x y", "ß"];
    private static readonly string[] KeyPool = ["camera", "a=b", "a", "b=c", "lens\\"];
    private static readonly string[] ValuePool = ["x", "b=c", "", "=", "c"];
    private static readonly DateTimeOffset Epoch = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Count_and_search_select_exactly_what_ImageFilter_Matches_selects()
    {
        var random = new Random(20240501);
        var server = new FakeQdrantServer();
        var store = Create(server);
        await store.EnsureCollectionAsync(Collection, CancellationToken.None);
        var dates = Enumerable.Range(0, 6).Select(i => Epoch.AddDays(i).AddMilliseconds(i * 137.25)).ToArray();
        var payloads = new Dictionary<Guid, ImagePayload>();
        for (var i = 0; i < 60; i++)
        {
            var metadata = new Dictionary<string, string>();
            foreach (var key in KeyPool.Where(_ => random.Next(3) == 0))
            {
                metadata[key] = Pick(random, ValuePool);
            }

            payloads[Guid.NewGuid()] = new ImagePayload(
                TagPool.Where(_ => random.Next(3) == 0).ToArray(),
                metadata,
                Pick(random, dates),
                random.Next(3) == 0 ? null : Pick(random, dates));
        }

        await store.UpsertAsync(Collection, payloads.Select(p => new VectorPoint(p.Key, Unit(1, random.NextSingle(), random.NextSingle()), p.Value)).ToArray(), CancellationToken.None);

        var checkedNonTrivial = 0;
        for (var round = 0; round < 150; round++)
        {
            var filter = RandomFilter(random, dates);
            var expected = payloads.Where(p => filter.Matches(p.Value)).Select(p => p.Key).ToHashSet();
            var excluded = payloads.Keys.Where(_ => random.Next(10) == 0).ToArray();

            Assert.Equal(expected.Count, await store.CountAsync(Collection, filter, CancellationToken.None));
            var hits = await store.SearchAsync(Collection, new VectorQuery(Unit(1, 1, 1), 100, Filter: filter, ExcludeIds: excluded), CancellationToken.None);
            Assert.Equal(expected.Except(excluded).Order(), hits.Select(h => h.Id).Order());
            checkedNonTrivial += expected.Count is > 0 and < 60 ? 1 : 0;
        }

        server.AssertConforms();
        Assert.True(checkedNonTrivial > 50, $"only {checkedNonTrivial} filters selected a proper subset");
    }

    [Fact]
    public void Metadata_pairs_never_collide_for_distinct_pairs()
    {
        var pairs = KeyPool.SelectMany(k => ValuePool.Select(v => (k, v))).ToArray();
        var encoded = pairs.Select(p => Storage.Qdrant.QdrantPayloadLayout.MetadataPair(p.k, p.v)).ToArray();
        Assert.Equal(pairs.Length, encoded.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public async Task A_taken_range_never_matches_a_point_without_a_taken_date_even_when_unbounded_on_one_side()
    {
        var server = new FakeQdrantServer();
        var store = Create(server);
        await store.EnsureCollectionAsync(Collection, CancellationToken.None);
        await store.UpsertAsync(Collection, [new(Guid.NewGuid(), Unit(1, 0, 0), Payload(Epoch))], CancellationToken.None);

        Assert.Equal(0, await store.CountAsync(Collection, new ImageFilter { TakenFrom = DateTimeOffset.MinValue }, CancellationToken.None));
        Assert.Equal(1, await store.CountAsync(Collection, new ImageFilter { UploadedFrom = Epoch, UploadedTo = Epoch.AddTicks(10) }, CancellationToken.None));
        Assert.Equal(0, await store.CountAsync(Collection, new ImageFilter { UploadedTo = Epoch }, CancellationToken.None));
        server.AssertConforms();
        var range = server.Exchanges.Last().Json!["filter"]!["must"]![0]!["range"]!.AsObject();
        Assert.Equal(["lt"], range.Select(p => p.Key));
    }

    private static ImageFilter RandomFilter(Random random, DateTimeOffset[] dates)
    {
        DateTimeOffset? Bound() => random.Next(3) == 0 ? Pick(random, dates).AddTicks(random.Next(3) - 1 == 0 ? 0 : 10 * (random.Next(3) - 1)) : null;
        return new ImageFilter
        {
            TagsAny = random.Next(3) == 0 ? TagPool.Where(_ => random.Next(3) == 0).ToArray() : null,
            TagsAll = random.Next(3) == 0 ? TagPool.Where(_ => random.Next(4) == 0).ToArray() : null,
            Metadata = random.Next(3) == 0 ? KeyPool.Where(_ => random.Next(4) == 0).ToDictionary(k => k, _ => Pick(random, ValuePool)) : null,
            UploadedFrom = Bound(),
            UploadedTo = Bound(),
            TakenFrom = Bound(),
            TakenTo = Bound(),
        };
    }

    private static T Pick<T>(Random random, T[] items) => items[random.Next(items.Length)];
}
