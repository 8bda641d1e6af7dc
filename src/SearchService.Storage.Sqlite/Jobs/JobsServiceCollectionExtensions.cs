using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SearchService.Core.Ingest;

namespace SearchService.Storage.Sqlite.Jobs;

public static class JobsServiceCollectionExtensions
{
    /// <summary>Registers the SQLite ingest job store at <paramref name="databasePath"/> (usually <c>&lt;Storage:DataPath&gt;/jobs.db</c>).</summary>
    public static IServiceCollection AddSqliteIngestJobStore(this IServiceCollection services, Func<IServiceProvider, string> databasePath)
    {
        ArgumentNullException.ThrowIfNull(databasePath);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IIngestJobStore>(provider =>
            new SqliteIngestJobStore(databasePath(provider), provider.GetRequiredService<TimeProvider>()));
        return services;
    }
}
