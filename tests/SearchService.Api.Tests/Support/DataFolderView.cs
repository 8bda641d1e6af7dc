using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SearchService.Core.Images;
using SearchService.Core.Models;
using SearchService.Core.Storage;
using SearchService.Inference;
using SearchService.Inference.Imaging;
using SearchService.Storage.Sqlite;

namespace SearchService.Api.Tests.Support;

/// <summary>
/// A data folder and a model opened through the adapters' public registrations (what the service and searchctl
/// register), to check what a process left behind. Open it only while no other process writes the folder.
/// </summary>
internal sealed class DataFolderView : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private DataFolderView(ServiceProvider services)
    {
        _services = services;
        var model = services.GetRequiredService<ModelDescriptor>();
        Collection = new VectorCollection(model.CollectionName, model.EmbeddingDimensions);
    }

    /// <summary>The model's collection.</summary>
    public VectorCollection Collection { get; }

    public IImageCatalog Catalog => _services.GetRequiredService<IImageCatalog>();

    public IVectorStore Vectors => _services.GetRequiredService<IVectorStore>();

    public IBlobStore Blobs => _services.GetRequiredService<IBlobStore>();

    public IImagePreparer Preparer => _services.GetRequiredService<IImagePreparer>();

    public IImageEncoder ImageEncoder => _services.GetRequiredService<IImageEncoder>();

    public ITextEncoder TextEncoder => _services.GetRequiredService<ITextEncoder>();

    public static async Task<DataFolderView> OpenAsync(string data, string model)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:DataPath"] = data,
            ["Model:Path"] = model,
            ["Model:AllowDownload"] = "false",
        }).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddInference(configuration).AddImaging(configuration).AddEmbeddedCatalog(configuration).AddEmbeddedVectorStore(configuration);
        var view = new DataFolderView(services.BuildServiceProvider());
        await view.Vectors.EnsureCollectionAsync(view.Collection, CancellationToken.None);
        return view;
    }

    /// <summary>Every catalog record.</summary>
    public async Task<IReadOnlyList<ImageRecord>> RecordsAsync()
    {
        var records = new List<ImageRecord>();
        string? cursor = null;
        do
        {
            var page = await Catalog.ListAsync(ImageFilter.None, cursor, 200, CancellationToken.None);
            records.AddRange(page.Items);
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        return records;
    }

    public async Task<IReadOnlySet<Guid>> VectorIdsAsync()
    {
        var ids = new HashSet<Guid>();
        await foreach (var id in Vectors.ListIdsAsync(Collection, CancellationToken.None))
        {
            ids.Add(id);
        }

        return ids;
    }

    public async Task<IReadOnlySet<string>> BlobKeysAsync()
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var key in Blobs.ListKeysAsync(CancellationToken.None))
        {
            keys.Add(key);
        }

        return keys;
    }

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}
