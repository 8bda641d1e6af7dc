using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SearchService.Core.Storage;

namespace SearchService.Storage.Qdrant;

public static class QdrantServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IVectorStore"/> as <see cref="QdrantVectorStore"/>, configured from
    /// <c>VectorStore:Qdrant</c> and validated at start-up. Call it only when the provider is Qdrant.
    /// </summary>
    public static IServiceCollection AddQdrantVectorStore(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<QdrantOptions>().Bind(configuration.GetSection(QdrantOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<QdrantOptions>, QdrantOptionsValidator>();
        services.AddHttpClient(QdrantVectorStore.HttpClientName, (provider, client) =>
            {
                var options = provider.GetRequiredService<IOptions<QdrantOptions>>().Value;
                client.BaseAddress = BaseAddress(options.Url!);
                // Each attempt has its own timeout in the resilience pipeline; the client must not cut retries short.
                client.Timeout = Timeout.InfiniteTimeSpan;
                if (!string.IsNullOrEmpty(options.ApiKey))
                {
                    client.DefaultRequestHeaders.Add("api-key", options.ApiKey);
                }
            })
            // One long-lived pool that still follows DNS changes (e.g. Qdrant nodes rescheduled behind one name).
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2) })
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan);
        services.AddSingleton(provider => new QdrantVectorStore(
            provider.GetRequiredService<IHttpClientFactory>().CreateClient(QdrantVectorStore.HttpClientName),
            provider.GetRequiredService<IOptions<QdrantOptions>>().Value,
            provider.GetRequiredService<ILogger<QdrantVectorStore>>(),
            provider.GetService<TimeProvider>()));
        services.AddSingleton<IVectorStore>(provider => provider.GetRequiredService<QdrantVectorStore>());
        return services;
    }

    /// <summary>The URL with a trailing slash, so relative request paths keep any path prefix (e.g. behind a proxy).</summary>
    public static Uri BaseAddress(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        return new Uri(url.EndsWith('/') ? url : url + "/", UriKind.Absolute);
    }
}
