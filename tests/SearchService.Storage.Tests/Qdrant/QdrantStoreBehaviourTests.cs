using Microsoft.Extensions.Logging.Abstractions;
using SearchService.Core.Storage;
using SearchService.Storage.Qdrant;
using SearchService.Storage.Tests.Behaviour;

namespace SearchService.Storage.Tests.Qdrant;

/// <summary>
/// The shared <see cref="VectorStoreBehaviourTests"/> on <see cref="QdrantVectorStore"/>: run against the in-process
/// fake (always) and a real server (when <c>QDRANT_URL</c> is set), with exact search so the brute-force
/// comparisons hold, and small parallel upsert batches so batching is exercised.
/// </summary>
public abstract class QdrantStoreBehaviourTests : VectorStoreBehaviourTests
{
    protected abstract QdrantVectorStore CreateStore(QdrantOptions options);

    protected override IVectorStore CreateStore() =>
        CreateStore(new QdrantOptions { ExactSearch = true, UpsertBatchSize = 7, UpsertParallelism = 3 });

    protected override Task DeleteCollectionAsync(VectorCollection collection) =>
        ((QdrantVectorStore)Store).DeleteCollectionAsync(collection, CancellationToken.None);
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
