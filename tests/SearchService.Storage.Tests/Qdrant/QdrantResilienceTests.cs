using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SearchService.Core.Storage;
using SearchService.Storage.Qdrant;
using Xunit;
using static SearchService.Storage.Tests.Qdrant.QdrantTestStores;

namespace SearchService.Storage.Tests.Qdrant;

/// <summary>Transient failures are retried with backoff; everything else fails at once with Qdrant's own message.</summary>
public sealed class QdrantResilienceTests
{
    private static readonly VectorCollection Collection = new("retry_4", 4);
    private readonly FakeQdrantServer _server = new();

    public QdrantResilienceTests() => _server.AddCollection(Collection.Name, JsonNode.Parse("""{"size": 4, "distance": "Cosine"}""")!);

    [Theory]
    [InlineData(503)]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(429)]
    public async Task Transient_statuses_are_retried_until_success(int status)
    {
        var failures = 2;
        _server.Intercept = _ => failures-- > 0 ? FakeQdrantServer.Error(status, "busy") : null;

        Assert.Equal(0, await Create(_server).CountAsync(Collection, null, CancellationToken.None));

        Assert.Equal(3, _server.Exchanges.Count);
        _server.AssertConforms();
    }

    [Fact]
    public async Task Retry_after_of_a_429_is_honoured()
    {
        var failures = 1;
        _server.Intercept = _ => failures-- > 0 ? (429, FakeQdrantServer.Error(429, "slow down").Item2, new Dictionary<string, string> { ["Retry-After"] = "1" }) : null;
        var clock = System.Diagnostics.Stopwatch.StartNew();

        await Create(_server).CountAsync(Collection, null, CancellationToken.None);

        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.95), TimeSpan.FromSeconds(10));
        Assert.Equal(2, _server.Exchanges.Count);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(422)]
    [InlineData(501)]
    public async Task Client_errors_and_501_fail_at_once_with_Qdrants_message(int status)
    {
        _server.Intercept = _ => FakeQdrantServer.Error(status, "Wrong input: Vector dimension error: expected dim: 4, got 3");

        var error = await Assert.ThrowsAsync<VectorStoreException>(() => Create(_server).CountAsync(Collection, null, CancellationToken.None));

        Assert.Single(_server.Exchanges);
        Assert.False(error.IsTransient);
        Assert.Contains("Vector dimension error: expected dim: 4, got 3", error.Message, StringComparison.Ordinal);
        Assert.Contains(status.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exhausted_retries_surface_as_a_transient_error()
    {
        _server.Intercept = _ => FakeQdrantServer.Error(503, "Service Unavailable: shards are not ready");

        var error = await Assert.ThrowsAsync<VectorStoreException>(() => Create(_server).CountAsync(Collection, null, CancellationToken.None));

        Assert.True(error.IsTransient);
        Assert.Contains("shards are not ready", error.Message, StringComparison.Ordinal);
        Assert.Equal(4, _server.Exchanges.Count);
    }

    [Fact]
    public async Task Connection_errors_are_retried_and_then_reported_as_transient()
    {
        var failures = 1;
        _server.Intercept = _ => failures-- > 0 ? throw new HttpRequestException("Connection refused (qdrant.test:6333)") : null;
        Assert.Equal(0, await Create(_server).CountAsync(Collection, null, CancellationToken.None));

        _server.Intercept = _ => throw new HttpRequestException("Connection refused (qdrant.test:6333)");
        var error = await Assert.ThrowsAsync<VectorStoreException>(() => Create(_server).CountAsync(Collection, null, CancellationToken.None));
        Assert.True(error.IsTransient);
        Assert.Contains("Connection refused", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_hung_attempt_times_out_and_is_retried()
    {
        var hangs = 1;
        var server = new HangingOnceHandler(_server, () => hangs-- > 0);
        using var http = new HttpClient(server) { BaseAddress = new Uri("http://qdrant.test:6333/") };
        var store = new QdrantVectorStore(
            http,
            new QdrantOptions { Url = "http://qdrant.test:6333", Timeout = TimeSpan.FromMilliseconds(200), Retry = { BaseDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(5) } },
            Microsoft.Extensions.Logging.Abstractions.NullLogger<QdrantVectorStore>.Instance);

        Assert.Equal(0, await store.CountAsync(Collection, null, CancellationToken.None));
        Assert.Equal(0, hangs + 1);
    }

    [Fact]
    public async Task Cancellation_by_the_caller_is_not_retried_nor_wrapped()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Create(_server).CountAsync(Collection, null, cancelled.Token));
        Assert.Empty(_server.Exchanges);
    }

    [Fact]
    public async Task Registration_binds_the_section_sends_the_api_key_and_keeps_a_url_path_prefix()
    {
        _server.RequiredApiKey = "s3cret";
        _server.PathPrefix = "/prefix";
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["VectorStore:Qdrant:Url"] = "https://qdrant.test/prefix",
            ["VectorStore:Qdrant:ApiKey"] = "s3cret",
            ["VectorStore:Qdrant:Collection:ShardNumber"] = "3",
            ["VectorStore:Qdrant:Retry:MaxRetries"] = "0",
        }).Build();
        var services = new ServiceCollection().AddLogging().AddQdrantVectorStore(configuration);
        services.AddHttpClient(QdrantVectorStore.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => _server);
        await using var provider = services.BuildServiceProvider();

        var store = provider.GetRequiredService<IVectorStore>();
        await store.EnsureCollectionAsync(new VectorCollection("fresh_4", 4), CancellationToken.None);

        Assert.IsType<QdrantVectorStore>(store);
        Assert.All(_server.Exchanges, e => Assert.Equal("s3cret", e.Headers["api-key"]));
        Assert.All(_server.Exchanges, e => Assert.StartsWith("/collections/fresh_4", e.Path, StringComparison.Ordinal));
        _server.AssertConforms();
        Assert.Equal(3, _server.Exchanges.Single(e => e.Method == "PUT" && !e.Path.EndsWith("/index", StringComparison.Ordinal)).Json!["shard_number"]!.GetValue<int>());
    }

    [Theory]
    [InlineData(null, null, "Url is required")]
    [InlineData("qdrant:6333", null, "absolute http or https URL")]
    [InlineData("ftp://qdrant", null, "absolute http or https URL")]
    [InlineData("http://qdrant:6333", "UpsertBatchSize=0", "UpsertBatchSize must be positive")]
    [InlineData("http://qdrant:6333", "Collection:QuantizationQuantile=0.2", "QuantizationQuantile must be in [0.5, 1]")]
    [InlineData("http://qdrant:6333", "Collection:WriteConsistencyFactor=3", "cannot exceed the replication factor")]
    [InlineData("http://qdrant:6333", "WriteOrdering=fast", "WriteOrdering must be one of")]
    public void Bad_configuration_fails_at_start_up_naming_the_key(string? url, string? setting, string expected)
    {
        var values = new Dictionary<string, string?> { ["VectorStore:Qdrant:Url"] = url };
        if (setting is not null)
        {
            var (key, value) = (setting.Split('=')[0], setting.Split('=')[1]);
            values["VectorStore:Qdrant:" + key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        using var provider = new ServiceCollection().AddLogging().AddQdrantVectorStore(configuration).BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<QdrantOptions>>().Value);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    /// <summary>Hangs (until cancelled) while <c>hang</c> says so, else forwards to the fake server.</summary>
    private sealed class HangingOnceHandler(FakeQdrantServer inner, Func<bool> hang) : DelegatingHandler(inner)
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (hang())
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            return await base.SendAsync(request, cancellationToken);
        }
    }
}
