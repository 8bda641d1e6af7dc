using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SearchService.Core.Storage;
using SearchService.Storage.Sqlite.Blobs;
using SearchService.Storage.Sqlite.Catalog;
using SearchService.Storage.Sqlite.Vectors;

namespace SearchService.Storage.Sqlite;

public static class EmbeddedStorageServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IImageCatalog"/> (<see cref="SqliteImageCatalog"/> at <c>&lt;Storage:DataPath&gt;/library.db</c>) and
    /// <see cref="IBlobStore"/> (<see cref="FileBlobStore"/> at <c>&lt;Storage:DataPath&gt;/blobs</c>), with <c>Storage</c> options
    /// validated at start-up. Used with every vector store provider.
    /// </summary>
    public static IServiceCollection AddEmbeddedCatalog(this IServiceCollection services, IConfiguration configuration)
    {
        AddStorageOptions(services, configuration);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(provider => new SqliteImageCatalog(Options(provider).CatalogPath));
        services.TryAddSingleton<IImageCatalog>(provider => provider.GetRequiredService<SqliteImageCatalog>());
        services.TryAddSingleton(provider => new FileBlobStore(Options(provider).BlobsPath, provider.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<IBlobStore>(provider => provider.GetRequiredService<FileBlobStore>());
        return services;
    }

    /// <summary>
    /// Registers <see cref="IVectorStore"/> as <see cref="EmbeddedVectorStore"/> at <c>&lt;Storage:DataPath&gt;/vectors.db</c>.
    /// Call it only when the provider is the embedded store; a collection loads into memory on its first use
    /// (<see cref="IVectorStore.EnsureCollectionAsync"/> at start-up).
    /// </summary>
    public static IServiceCollection AddEmbeddedVectorStore(this IServiceCollection services, IConfiguration configuration)
    {
        AddStorageOptions(services, configuration);
        services.TryAddSingleton(provider =>
        {
            var options = Options(provider);
            return new EmbeddedVectorStore(options.VectorsPath, options.SearchThreads, provider.GetRequiredService<ILogger<EmbeddedVectorStore>>());
        });
        services.AddSingleton<IVectorStore>(provider => provider.GetRequiredService<EmbeddedVectorStore>());
        return services;
    }

    private static void AddStorageOptions(IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        // Both registrations share the section; binding it twice sets the same values.
        services.AddOptions<StorageOptions>().Bind(configuration.GetSection(StorageOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StorageOptions>, StorageOptionsValidator>());
    }

    private static StorageOptions Options(IServiceProvider provider) => provider.GetRequiredService<IOptions<StorageOptions>>().Value;
}
