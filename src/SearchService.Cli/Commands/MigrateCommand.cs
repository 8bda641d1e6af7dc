using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SearchService.Cli.Framework;
using SearchService.Core.Storage;
using SearchService.Storage.Qdrant;
using SearchService.Storage.Qdrant.Migration;

namespace SearchService.Cli.Commands;

/// <summary>
/// <c>migrate --to qdrant --qdrant-url URL --data DIR --model DIR</c>: copies the model's collection from the embedded
/// store into Qdrant with <see cref="VectorMigration"/> (payloads from the catalog; resumable from its checkpoint in
/// <c>DIR/migrations</c>). The catalog and blobs stay where they are; afterwards run the service with
/// <c>VectorStore:Provider=Qdrant</c>.
/// </summary>
internal sealed class MigrateCommand : ICliCommand
{
    public string Name => "migrate";

    public string Summary => "Copies the embedded store's vectors (the model's collection) into Qdrant; resumable.";

    public string Details =>
        """
          Run it while the service is stopped. An interrupted run continues where it stopped (checkpoint in
          DIR/migrations); --restart copies everything again (upserts by id, so nothing is duplicated).
          Exit code 1 when Qdrant ends up holding fewer points than the catalog has images.
        """;

    public IReadOnlyList<CliOption> Options { get; } =
    [
        new("to", "qdrant", "Target vector store (only qdrant).", Required: true),
        new("qdrant-url", "URL", "Qdrant REST URL, e.g. http://localhost:6333 (VectorStore:Qdrant:Url).", Required: true),
        new("qdrant-api-key", "KEY", "Qdrant API key (VectorStore:Qdrant:ApiKey)."),
        new("restart", null, "Ignore the checkpoint of an earlier run and copy everything."),
        .. LocalLibrary.RequiredOptions,
    ];

    public async Task<int> RunAsync(CliArguments arguments, CliContext context, CancellationToken cancellationToken)
    {
        if (arguments.Required("to") != "qdrant")
        {
            throw new CliUsageException($"--to must be qdrant, got '{arguments.Value("to")}'.");
        }

        var url = arguments.Required("qdrant-url");
        var targetSettings = new Dictionary<string, string?> { [$"{QdrantOptions.SectionName}:Url"] = url };
        if (arguments.Value("qdrant-api-key") is { } key)
        {
            targetSettings[$"{QdrantOptions.SectionName}:ApiKey"] = key;
        }

        // The target through the service's own Qdrant registration (options validated, retries, timeouts).
        await using var target = context.BuildServices(arguments, targetSettings, (services, configuration) => services.AddQdrantVectorStore(configuration));
        var qdrant = target.GetRequiredService<IVectorStore>();
        await using var library = await LocalLibrary.OpenAsync(arguments, context, cancellationToken);
        var migration = new VectorMigration(
            library.Vectors,
            qdrant,
            library.Catalog,
            Path.Combine(library.DataPath, "migrations"),
            url,
            library.Services.GetRequiredService<ILogger<VectorMigration>>());
        var result = await migration.MigrateAsync(library.Collection, arguments.Flag("restart"), cancellationToken);
        var images = await library.Catalog.CountAsync(cancellationToken);
        await context.Out.WriteLineAsync(string.Create(
            CultureInfo.InvariantCulture,
            $"migrate {result.Collection.Name} to {url}: {result.Copied} copied, {result.Skipped} copied by an earlier run, {result.Orphans} orphans left out; Qdrant holds {result.TargetCount} points for {images} images"));
        if (result.TargetCount < images)
        {
            await context.Error.WriteLineAsync($"searchctl: error: Qdrant holds {images - result.TargetCount} points fewer than the catalog has images.");
            return SearchCtl.Failure;
        }

        return SearchCtl.Success;
    }
}
