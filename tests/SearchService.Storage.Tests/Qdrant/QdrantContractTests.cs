using System.Text.Json.Nodes;
using SearchService.Core.Storage;
using SearchService.Testing;
using Xunit;
using static SearchService.Storage.Tests.Behaviour.VectorTestData;
using static SearchService.Storage.Tests.Qdrant.QdrantTestStores;

namespace SearchService.Storage.Tests.Qdrant;

/// <summary>
/// Every request the store sends goes to <see cref="FakeQdrantServer"/>, which checks it (and its own answer)
/// against Qdrant's v1.19 and v1.13 OpenAPI specs; each test also checks what was asked for and how the answer was read.
/// </summary>
public sealed class QdrantContractTests
{
    private static readonly VectorCollection Collection = new("ViT-B-32__openai_4", 4);
    private static readonly DateTimeOffset Day = new(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly FakeQdrantServer _server = new();

    [Fact]
    public async Task EnsureCollection_creates_a_missing_collection_with_every_configured_setting_and_the_payload_indexes()
    {
        var store = Create(_server, o =>
        {
            o.Collection.HnswM = 32;
            o.Collection.HnswEfConstruct = 200;
            o.Collection.OnDiskVectors = true;
            o.Collection.OnDiskPayload = true;
            o.Collection.ScalarQuantization = true;
            o.Collection.QuantizationQuantile = 0.98f;
            o.Collection.ShardNumber = 6;
            o.Collection.ReplicationFactor = 2;
            o.Collection.WriteConsistencyFactor = 2;
        });

        await store.EnsureCollectionAsync(Collection, CancellationToken.None);

        _server.AssertConforms();
        var create = Assert.Single(_server.Exchanges, e => e.Method == "PUT" && e.Path == "/collections/ViT-B-32__openai_4").Json!;
        Assert.Equal(4, create["vectors"]!["size"]!.GetValue<int>());
        Assert.Equal("Cosine", create["vectors"]!["distance"]!.GetValue<string>());
        Assert.True(create["vectors"]!["on_disk"]!.GetValue<bool>());
        Assert.Equal(32, create["hnsw_config"]!["m"]!.GetValue<int>());
        Assert.Equal(200, create["hnsw_config"]!["ef_construct"]!.GetValue<int>());
        Assert.Equal("int8", create["quantization_config"]!["scalar"]!["type"]!.GetValue<string>());
        Assert.Equal(0.98f, create["quantization_config"]!["scalar"]!["quantile"]!.GetValue<float>());
        Assert.True(create["quantization_config"]!["scalar"]!["always_ram"]!.GetValue<bool>());
        Assert.Equal(6, create["shard_number"]!.GetValue<int>());
        Assert.Equal(2, create["replication_factor"]!.GetValue<int>());
        Assert.Equal(2, create["write_consistency_factor"]!.GetValue<int>());
        Assert.True(create["on_disk_payload"]!.GetValue<bool>());
        Assert.Equal(
            new Dictionary<string, string> { ["tags"] = "keyword", ["metadata_pairs"] = "keyword", ["uploaded_at"] = "datetime", ["taken_at"] = "datetime" },
            _server.Collection(Collection.Name)!.Indexes.ToDictionary());
        Assert.All(_server.Exchanges.Where(e => e.Path.EndsWith("/index", StringComparison.Ordinal)), e => Assert.Equal("?wait=true", e.Query));
    }

    [Fact]
    public async Task EnsureCollection_with_default_settings_leaves_Qdrant_defaults_unsent()
    {
        await Create(_server).EnsureCollectionAsync(Collection, CancellationToken.None);

        _server.AssertConforms();
        var create = _server.Exchanges.Single(e => e.Method == "PUT" && !e.Path.EndsWith("/index", StringComparison.Ordinal)).Json!.AsObject();
        Assert.Equal(["vectors"], create.Select(p => p.Key));
        Assert.Equal(["size", "distance"], create["vectors"]!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public async Task EnsureCollection_on_an_existing_matching_collection_only_adds_missing_indexes_and_is_idempotent()
    {
        var store = Create(_server);
        await store.EnsureCollectionAsync(Collection, CancellationToken.None);
        var before = _server.Exchanges.Count;

        await store.EnsureCollectionAsync(Collection, CancellationToken.None);

        _server.AssertConforms();
        var again = Assert.Single(_server.Exchanges.Skip(before));
        Assert.Equal("GET", again.Method);
    }

    [Theory]
    [InlineData("""{"size": 8, "distance": "Cosine"}""", "8 dimensions")]
    [InlineData("""{"size": 4, "distance": "Dot"}""", "Dot distance")]
    [InlineData("""{"image": {"size": 4, "distance": "Cosine"}}""", "named vectors")]
    public async Task EnsureCollection_refuses_an_existing_collection_that_disagrees(string vectors, string expected)
    {
        _server.AddCollection(Collection.Name, JsonNode.Parse(vectors)!);

        var error = await Assert.ThrowsAsync<VectorStoreException>(() => Create(_server).EnsureCollectionAsync(Collection, CancellationToken.None));

        _server.AssertConforms();
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.False(error.IsTransient);
        Assert.DoesNotContain(_server.Exchanges, e => e.Method == "PUT");
    }

    [Fact]
    public async Task EnsureCollection_accepts_a_collection_another_replica_created_meanwhile()
    {
        var gets = 0;
        _server.Intercept = e =>
        {
            if (e.Method == "GET" && gets++ == 0)
            {
                // Our first look finds nothing; then the other replica creates it.
                _server.AddCollection(Collection.Name, JsonNode.Parse("""{"size": 4, "distance": "Cosine"}""")!);
                return FakeQdrantServer.Error(404, "Not found: Collection doesn't exist!");
            }

            return null;
        };

        await Create(_server).EnsureCollectionAsync(Collection, CancellationToken.None);

        _server.AssertConforms();
        Assert.Contains(_server.Exchanges, e => e.Method == "PUT" && e.Status == 409);
        Assert.Equal(4, _server.Collection(Collection.Name)!.Indexes.Count);
    }

    [Fact]
    public async Task Upsert_sends_batches_in_parallel_that_wait_for_durability_with_the_documented_payload_layout()
    {
        var store = Create(_server, o => { o.UpsertBatchSize = 2; o.UpsertParallelism = 3; o.WriteOrdering = "strong"; });
        await store.EnsureCollectionAsync(Collection, CancellationToken.None);
        var points = Enumerable.Range(0, 5).Select(i => new VectorPoint(
            Guid.NewGuid(),
            Unit(1, i, 0, 0),
            Payload(Day.AddTicks(1234567), i == 0 ? Day.AddDays(-3) : null, ["cat", "küçük"], new() { ["camera"] = "x100", ["a=b"] = "c=d" }))).ToArray();

        await store.UpsertAsync(Collection, points, CancellationToken.None);

        _server.AssertConforms();
        var upserts = _server.Exchanges.Where(e => e.Method == "PUT" && e.Path.EndsWith("/points", StringComparison.Ordinal)).ToArray();
        Assert.Equal([2, 2, 1], upserts.Select(u => u.Json!["points"]!.AsArray().Count).Order().Reverse());
        Assert.All(upserts, u => Assert.Equal("?wait=true&ordering=strong", u.Query));
        Assert.Equal(5, _server.Collection(Collection.Name)!.Count);

        var payload = _server.Collection(Collection.Name)!.Payload(points[0].Id)!;
        Assert.Equal("""["cat","küçük"]""", payload["tags"]!.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        Assert.Equal("x100", payload["metadata"]!["camera"]!.GetValue<string>());
        Assert.Equal(["camera=x100", @"a\=b=c=d"], payload["metadata_pairs"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Equal("2024-05-01T12:00:00.123456Z", payload["uploaded_at"]!.GetValue<string>());
        Assert.Equal("2024-04-28T12:00:00.000000Z", payload["taken_at"]!.GetValue<string>());
        Assert.False(_server.Collection(Collection.Name)!.Payload(points[1].Id)!.ContainsKey("taken_at"));
    }

    [Fact]
    public async Task Upsert_of_the_same_id_twice_in_one_call_keeps_the_last_and_rejects_bad_vectors_before_sending()
    {
        var store = Create(_server);
        await store.EnsureCollectionAsync(Collection, CancellationToken.None);
        var id = Guid.NewGuid();
        await store.UpsertAsync(Collection, [new(id, Unit(1, 0, 0, 0), Payload(Day)), new(id, Unit(0, 1, 0, 0), Payload(Day))], CancellationToken.None);
        Assert.Equal(Unit(0, 1, 0, 0), await store.GetVectorAsync(Collection, id, CancellationToken.None));

        var sent = _server.Exchanges.Count;
        await Assert.ThrowsAsync<ArgumentException>(() => store.UpsertAsync(Collection, [new(id, [1, 0, 0], Payload(Day))], CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => store.UpsertAsync(Collection, [new(id, [1, float.NaN, 0, 0], Payload(Day))], CancellationToken.None));
        Assert.Equal(sent, _server.Exchanges.Count);
        _server.AssertConforms();
    }

    [Fact]
    public async Task SetPayload_replaces_the_whole_payload_of_an_existing_point_and_reports_a_missing_one()
    {
        var store = Create(_server);
        await store.EnsureCollectionAsync(Collection, CancellationToken.None);
        var id = Guid.NewGuid();
        await store.UpsertAsync(Collection, [new(id, Unit(1, 0, 0, 0), Payload(Day, Day, ["a"], new() { ["k"] = "v" }))], CancellationToken.None);

        Assert.True(await store.SetPayloadAsync(Collection, id, Payload(Day, null, ["b"]), CancellationToken.None));
        Assert.False(await store.SetPayloadAsync(Collection, Guid.NewGuid(), Payload(Day), CancellationToken.None));

        _server.AssertConforms();
        var payload = _server.Collection(Collection.Name)!.Payload(id)!;
        Assert.Equal("b", Assert.Single(payload["tags"]!.AsArray())!.GetValue<string>());
        Assert.Empty(payload["metadata_pairs"]!.AsArray());
        Assert.False(payload.ContainsKey("taken_at"));
        Assert.Single(_server.Exchanges, e => e.Path.EndsWith("/points/payload", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Delete_GetVector_Count_and_ListIds_read_the_answers_they_get()
    {
        var store = Create(_server, o => o.ScrollPageSize = 3);
        await store.EnsureCollectionAsync(Collection, CancellationToken.None);
        var ids = Enumerable.Range(0, 8).Select(_ => Guid.NewGuid()).ToArray();
        await store.UpsertAsync(Collection, ids.Select((id, i) => new VectorPoint(id, Unit(1, i, 2, 0), Payload(Day, tags: i % 2 == 0 ? ["even"] : []))).ToArray(), CancellationToken.None);

        await store.DeleteAsync(Collection, [ids[0], ids[1], Guid.NewGuid()], CancellationToken.None);

        Assert.Null(await store.GetVectorAsync(Collection, ids[0], CancellationToken.None));
        var vector = await store.GetVectorAsync(Collection, ids[5], CancellationToken.None);
        Assert.Equal(Unit(1, 5, 2, 0), vector!, new FloatTolerance(1e-6f));
        Assert.Equal(6, await store.CountAsync(Collection, null, CancellationToken.None));
        Assert.Equal(3, await store.CountAsync(Collection, new ImageFilter { TagsAll = ["even"] }, CancellationToken.None));
        var listed = new List<Guid>();
        await foreach (var id in store.ListIdsAsync(Collection, CancellationToken.None))
        {
            listed.Add(id);
        }

        Assert.Equal(ids.Skip(2).Order(), listed.Order());
        Assert.Equal(2, _server.Exchanges.Count(e => e.Path.EndsWith("/points/scroll", StringComparison.Ordinal)));
        Assert.All(_server.Exchanges.Where(e => e.Path.EndsWith("/points/count", StringComparison.Ordinal)), e => Assert.True(e.Json!["exact"]!.GetValue<bool>()));
        _server.AssertConforms();
    }

    [Fact]
    public async Task Search_sends_the_filter_threshold_and_search_params_through_the_query_endpoint()
    {
        var store = Create(_server, o => { o.HnswEf = 128; o.Collection.ScalarQuantization = true; o.Collection.QuantizationOversampling = 2; });
        await store.EnsureCollectionAsync(Collection, CancellationToken.None);
        var excluded = Guid.NewGuid();
        var query = new VectorQuery(Unit(1, 1, 0, 0), Limit: 5, Offset: 2, MinScore: 0.25f, new ImageFilter
        {
            TagsAny = ["cat", "dog"],
            TagsAll = ["pet", "cute"],
            Metadata = new Dictionary<string, string> { ["camera"] = "x100" },
            UploadedFrom = Day,
            UploadedTo = Day.AddDays(1),
            TakenFrom = Day.AddYears(-1),
            TakenTo = Day,
        }, [excluded]);

        Assert.Empty(await store.SearchAsync(Collection, query, CancellationToken.None));

        _server.AssertConforms();
        var request = Assert.Single(_server.Exchanges, e => e.Path.EndsWith("/points/query", StringComparison.Ordinal)).Json!;
        Assert.Equal(8, request["limit"]!.GetValue<int>());
        Assert.Null(request["offset"]);
        Assert.Equal(0.25f, request["score_threshold"]!.GetValue<float>());
        Assert.Equal(128, request["params"]!["hnsw_ef"]!.GetValue<int>());
        Assert.False(request["params"]!["exact"]!.GetValue<bool>());
        Assert.True(request["params"]!["quantization"]!["rescore"]!.GetValue<bool>());
        Assert.Equal(2, request["params"]!["quantization"]!["oversampling"]!.GetValue<double>());
        Assert.False(request["with_payload"]!.GetValue<bool>());
        var expectedFilter = JsonNode.Parse("""
            {
              "must": [
                {"key": "tags", "match": {"any": ["cat", "dog"]}},
                {"key": "tags", "match": {"value": "pet"}},
                {"key": "tags", "match": {"value": "cute"}},
                {"key": "metadata_pairs", "match": {"value": "camera=x100"}},
                {"key": "uploaded_at", "range": {"gte": "2024-05-01T12:00:00.000000Z", "lt": "2024-05-02T12:00:00.000000Z"}},
                {"key": "taken_at", "range": {"gte": "2023-05-01T12:00:00.000000Z", "lt": "2024-05-01T12:00:00.000000Z"}}
              ],
              "must_not": [{"has_id": ["EXCLUDED"]}]
            }
            """.Replace("EXCLUDED", excluded.ToString(), StringComparison.Ordinal));
        Assert.True(JsonNode.DeepEquals(expectedFilter, request["filter"]), request["filter"]!.ToJsonString());
    }

    [Fact]
    public async Task Search_ranks_by_score_orders_ties_by_id_and_pages_without_overlap()
    {
        var store = Create(_server, o => o.ExactSearch = true);
        await store.EnsureCollectionAsync(Collection, CancellationToken.None);
        // Six points share one direction (equal scores), two score lower, one higher.
        var tied = Enumerable.Range(0, 6).Select(_ => Guid.NewGuid()).ToArray();
        var best = Guid.NewGuid();
        var low = new[] { Guid.NewGuid(), Guid.NewGuid() };
        var points = tied.Select(id => new VectorPoint(id, Unit(1, 1, 0, 0), Payload(Day)))
            .Append(new VectorPoint(best, Unit(1, 0, 0, 0), Payload(Day)))
            .Concat(low.Select((id, i) => new VectorPoint(id, Unit(0, 1 + i, 1, 1), Payload(Day))))
            .ToArray();
        await store.UpsertAsync(Collection, points, CancellationToken.None);
        var query = Unit(1, 0.4f, 0, 0);

        var pages = new List<ScoredPoint>();
        for (var offset = 0; offset < 9; offset += 2)
        {
            pages.AddRange(await store.SearchAsync(Collection, new VectorQuery(query, 2, offset), CancellationToken.None));
        }

        _server.AssertConforms();
        Assert.Equal(9, pages.Select(p => p.Id).Distinct().Count());
        Assert.Equal(best, pages[0].Id);
        Assert.Equal(tied.Order(), pages.Skip(1).Take(6).Select(p => p.Id));
        Assert.Equal(pages.OrderByDescending(p => p.Score).Select(p => p.Score), pages.Select(p => p.Score));
        Assert.True(_server.Exchanges.Where(e => e.Path.EndsWith("/points/query", StringComparison.Ordinal)).All(e => e.Json!["params"]!["exact"]!.GetValue<bool>()));
        // A page ending inside the tie had to look further than one extra hit to see where the tie ends.
        Assert.Contains(_server.Exchanges, e => e.Path.EndsWith("/points/query", StringComparison.Ordinal) && e.Json!["limit"]!.GetValue<int>() > 5);
    }

    [Fact]
    public async Task DeleteCollection_drops_it_and_reports_a_missing_one()
    {
        var store = Create(_server);
        await store.EnsureCollectionAsync(Collection, CancellationToken.None);

        Assert.True(await store.DeleteCollectionAsync(Collection, CancellationToken.None));
        Assert.False(await store.DeleteCollectionAsync(Collection, CancellationToken.None));

        _server.AssertConforms();
        Assert.Null(_server.Collection(Collection.Name));
    }

    [Fact]
    public async Task IsReady_asks_readyz_and_is_false_when_Qdrant_is_not_ready_or_unreachable()
    {
        var store = Create(_server, o => o.Retry.MaxRetries = 0);
        Assert.True(await store.IsReadyAsync(CancellationToken.None));
        Assert.Equal("/readyz", _server.Exchanges.Single().Path);

        _server.Intercept = _ => (503, null, null);
        Assert.False(await store.IsReadyAsync(CancellationToken.None));
        _server.Intercept = _ => throw new HttpRequestException("Connection refused");
        Assert.False(await store.IsReadyAsync(CancellationToken.None));
    }
}
