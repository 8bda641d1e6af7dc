using Microsoft.Extensions.Logging.Abstractions;
using SearchService.Core.Storage;
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

    public static ImagePayload Payload(
        DateTimeOffset uploadedAt,
        DateTimeOffset? takenAt = null,
        string[]? tags = null,
        Dictionary<string, string>? metadata = null) =>
        new(tags ?? [], metadata ?? new Dictionary<string, string>(), uploadedAt, takenAt);

    public static float[] Unit(params float[] values)
    {
        var norm = MathF.Sqrt(values.Sum(v => v * v));
        return values.Select(v => v / norm).ToArray();
    }
}
