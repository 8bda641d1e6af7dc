using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SearchService.Core.Storage;
using SearchService.Storage.Sqlite;
using SearchService.Storage.Sqlite.Blobs;
using SearchService.Storage.Sqlite.Catalog;
using SearchService.Storage.Sqlite.Vectors;
using Xunit;

namespace SearchService.Storage.Tests.Embedded;

public sealed class EmbeddedStorageRegistrationTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task The_embedded_store_resolves_under_the_configured_data_folder_and_round_trips()
    {
        var dataPath = _folder.File("nested/data");
        using var provider = Build(dataPath, catalog: true, vectors: true);
        provider.GetRequiredService<IStartupValidator>().Validate();

        var catalog = Assert.IsType<SqliteImageCatalog>(provider.GetRequiredService<IImageCatalog>());
        var blobs = Assert.IsType<FileBlobStore>(provider.GetRequiredService<IBlobStore>());
        var vectors = Assert.IsType<EmbeddedVectorStore>(provider.GetRequiredService<IVectorStore>());
        Assert.Same(catalog, provider.GetRequiredService<SqliteImageCatalog>());
        Assert.Equal(Path.Combine(dataPath, "library.db"), catalog.DatabasePath);
        Assert.Equal(Path.Combine(dataPath, "blobs"), blobs.Root);

        var collection = new VectorCollection("registered_2", 2);
        await vectors.EnsureCollectionAsync(collection, CancellationToken.None);
        Assert.True(await vectors.IsReadyAsync(CancellationToken.None));
        Assert.True(File.Exists(Path.Combine(dataPath, "vectors.db")));
        Assert.Equal(0, await catalog.CountAsync(CancellationToken.None));
    }

    [Fact]
    public void The_catalog_alone_registers_no_vector_store()
    {
        using var provider = Build(_folder.File("data"), catalog: true, vectors: false);

        Assert.NotNull(provider.GetRequiredService<IImageCatalog>());
        Assert.Null(provider.GetService<IVectorStore>());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_data_path_that_cannot_be_a_folder_fails_start_up_naming_the_key(bool emptyPath)
    {
        var blocker = _folder.File("a-file");
        File.WriteAllText(blocker, "not a folder");
        using var provider = Build(emptyPath ? " " : Path.Combine(blocker, "data"), catalog: true, vectors: true);

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("Storage:DataPath", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Negative_search_threads_fail_start_up()
    {
        using var provider = Build(_folder.File("data"), catalog: false, vectors: true, ("Storage:SearchThreads", "-1"));

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("Storage:SearchThreads", error.Message, StringComparison.Ordinal);
    }

    private static ServiceProvider Build(string dataPath, bool catalog, bool vectors, params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string?> { ["Storage:DataPath"] = dataPath };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging();
        if (catalog)
        {
            services.AddEmbeddedCatalog(configuration);
        }

        if (vectors)
        {
            services.AddEmbeddedVectorStore(configuration);
        }

        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }
}
