using Microsoft.Extensions.Logging.Abstractions;
using SearchService.Core.Storage;
using SearchService.Storage.Sqlite.Vectors;
using SearchService.Storage.Tests.Behaviour;

namespace SearchService.Storage.Tests.Embedded;

/// <summary>The shared behaviour on the embedded store, on a real SQLite file in a temp folder.</summary>
public sealed class EmbeddedVectorStoreBehaviourTests : VectorStoreBehaviourTests, IDisposable
{
    private readonly TempFolder _folder = new();

    protected override IVectorStore CreateStore() => new EmbeddedVectorStore(_folder.File("vectors.db"), 0, NullLogger<EmbeddedVectorStore>.Instance);

    protected override Task DeleteCollectionAsync(VectorCollection collection) =>
        ((EmbeddedVectorStore)Store).DeleteCollectionAsync(collection, CancellationToken.None);

    public void Dispose()
    {
        ((EmbeddedVectorStore)Store).Dispose();
        _folder.Dispose();
    }
}
