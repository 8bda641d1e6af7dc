using Microsoft.Extensions.Options;
using SearchService.Storage.Qdrant;
using SearchService.Storage.Sqlite;

namespace SearchService.Api.Hosting;

/// <summary>Where images and vectors live.</summary>
public static class StorageRegistration
{
    /// <summary>
    /// The catalog and the blob folder are always the embedded ones (<c>Storage:*</c>); vectors go to the store that
    /// <c>VectorStore:Provider</c> names: <c>Embedded</c> (default) or <c>Qdrant</c> (<c>VectorStore:Qdrant:*</c>).
    /// The provider decides which services exist, so it is read here, while the container is built; an unknown value
    /// fails at once with a message that lists the choices.
    /// </summary>
    public static IServiceCollection AddStorage(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var provider = ReadProvider(configuration);
        services.AddEmbeddedCatalog(configuration);
        switch (provider)
        {
            case VectorStoreProvider.Qdrant:
                services.AddQdrantVectorStore(configuration);
                break;
            default:
                services.AddEmbeddedVectorStore(configuration);
                break;
        }

        return services;
    }

    internal static VectorStoreProvider ReadProvider(IConfiguration configuration)
    {
        var key = $"{VectorStoreOptions.SectionName}:{nameof(VectorStoreOptions.Provider)}";
        var configured = configuration[key];
        if (string.IsNullOrWhiteSpace(configured))
        {
            return VectorStoreProvider.Embedded;
        }

        if (Enum.TryParse<VectorStoreProvider>(configured.Trim(), ignoreCase: true, out var provider) && Enum.IsDefined(provider)
            && !int.TryParse(configured, out _))
        {
            return provider;
        }

        throw new OptionsValidationException(
            key,
            typeof(VectorStoreOptions),
            [$"{key} is '{configured}'; it must be {string.Join(" or ", Enum.GetNames<VectorStoreProvider>())}."]);
    }
}
