using Microsoft.Extensions.Options;
using SearchService.Core.Ingest;
using SearchService.Storage.Sqlite.Jobs;

namespace SearchService.Api.Ingest;

public static class IngestServiceCollectionExtensions
{
    /// <summary>
    /// Bulk ingestion: <c>Ingest:*</c> options (validated at start-up), the job store at
    /// <c>&lt;Storage:DataPath&gt;/jobs.db</c>, spooling under <c>&lt;Storage:DataPath&gt;/spool</c> and the hosted job runner.
    /// Needs the Core ports <see cref="Core.Images.IImagePreparer"/>, <see cref="Core.Models.IImageEncoder"/>,
    /// <see cref="Core.Library.IImageLibrary"/> and <see cref="Core.Storage.IImageCatalog"/> registered.
    /// </summary>
    public static IServiceCollection AddIngest(this IServiceCollection services)
    {
        services.AddOptions<IngestOptions>()
            .BindConfiguration(IngestOptions.Section)
            .PostConfigure<IConfiguration>((options, configuration) =>
            {
                var dataPath = Path.GetFullPath(configuration["Storage:DataPath"] is { Length: > 0 } configured ? configured : "data");
                options.SpoolPath = Path.GetFullPath(options.SpoolPath ?? Path.Combine(dataPath, "spool"));
                options.DatabasePath = Path.GetFullPath(options.DatabasePath ?? Path.Combine(dataPath, "jobs.db"));
            })
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<IngestOptions>, IngestOptionsValidator>();
        services.AddSqliteIngestJobStore(provider => provider.GetRequiredService<IOptions<IngestOptions>>().Value.DatabasePath!);
        services.AddSingleton<FolderAccess>();
        services.AddSingleton<UploadSpooler>();
        services.AddSingleton<IIngestFileReader, DiskIngestFileReader>();
        services.AddSingleton<IngestJobRunner>();
        services.AddHostedService(provider => provider.GetRequiredService<IngestJobRunner>());
        return services;
    }
}
