using Microsoft.Extensions.Logging.Abstractions;
using SearchService.Storage.Qdrant;

namespace SearchService.Storage.Tests.Qdrant;

internal static class QdrantTestStores
{
    public static QdrantVectorStore Create(FakeQdrantServer server, Action<QdrantOptions>? configure = null)
    {
        var options = new QdrantOptions
        {
            Url = "http://qdrant.test:6333",
            Timeout = TimeSpan.FromSeconds(5),
            Retry = { MaxRetries = 3, BaseDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(20) },
        };
        configure?.Invoke(options);
        return new QdrantVectorStore(server.CreateClient(), options, NullLogger<QdrantVectorStore>.Instance);
    }
}
