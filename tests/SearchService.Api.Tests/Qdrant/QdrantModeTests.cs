using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using SearchService.Api.Contracts;
using SearchService.Api.Tests.Http;
using SearchService.Core.Storage;
using SearchService.Storage.Qdrant;
using SearchService.Storage.Tests.Qdrant;
using SearchService.Testing;
using Xunit;

namespace SearchService.Api.Tests.Qdrant;

/// <summary>
/// The host with <c>VectorStore:Provider=Qdrant</c>: vectors go to Qdrant (the storage tests' contract-checking stand-in,
/// plugged in as the Qdrant client's transport), the catalog and blobs stay embedded, readiness follows Qdrant.
/// </summary>
public sealed class QdrantModeTests : IDisposable
{
    private readonly QdrantService _service = new();

    public void Dispose() => _service.Dispose();

    [Fact]
    public async Task Uploads_land_in_Qdrant_and_search_reads_them_back()
    {
        using var writer = _service.CreateWriter();
        var shapes = new[] { "03-green-circle.png", "13-purple-star.png", "18-blue-square.png" };
        var items = await writer.UploadAsync(shapes.Select(name => new UploadPart(name, File.ReadAllBytes(Path.Combine(TestPaths.Fixtures, "images", "shapes", name)))));

        var results = await writer.GetJsonAsync<SearchResponse>("/api/search?q=a%20large%20purple%20star&limit=3");
        var stats = await writer.GetJsonAsync<StatsResponse>("/api/stats");
        var collection = _service.Qdrant.Collection(_service.Collection.Name)!;

        Assert.Equal(items[1].Id, results.Items[0].Image.Id);
        Assert.Equal(3, collection.Count);
        Assert.All(items, item => Assert.NotNull(collection.Vector(item.Id!.Value)));
        Assert.Equal("Qdrant", stats.VectorStore);
        Assert.StartsWith("SearchService.Storage.Sqlite", _service.Services.GetRequiredService<IImageCatalog>().GetType().Namespace, StringComparison.Ordinal);
        _service.Qdrant.AssertConforms();
    }

    [Fact]
    public async Task Readiness_reports_whether_Qdrant_answers()
    {
        using var client = _service.CreateClient();
        using var ready = await client.GetAsync("/health/ready");

        _service.Qdrant.Intercept = _ => throw new HttpRequestException("Connection refused (qdrant.test:6333)");
        using var down = await client.GetAsync("/health/ready");
        using var live = await client.GetAsync("/health/live");

        _service.Qdrant.Intercept = null;
        using var back = await client.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, back.StatusCode);
    }

    [Fact]
    public async Task Search_while_Qdrant_is_down_is_a_503_problem()
    {
        using var client = _service.CreateClient();
        await client.GetAsync("/health/ready");
        _service.Qdrant.Intercept = _ => throw new HttpRequestException("Connection refused (qdrant.test:6333)");

        using var response = await client.GetAsync("/api/search?q=a%20red%20circle");

        await ApiCalls.AssertProblemAsync(response, HttpStatusCode.ServiceUnavailable);
    }

    private sealed class QdrantService : ApiFactory
    {
        public QdrantService()
        {
            Settings["VectorStore:Provider"] = "Qdrant";
            Settings["VectorStore:Qdrant:Url"] = "http://qdrant.test:6333";
            Settings["VectorStore:Qdrant:Retry:MaxRetries"] = "0";
        }

        public FakeQdrantServer Qdrant { get; } = new();

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureTestServices(services =>
                services.AddHttpClient(QdrantVectorStore.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => Qdrant));
        }
    }
}
