using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using SearchService.Cli.Framework;
using SearchService.Core.Images;
using SearchService.Core.Ingest;
using SearchService.Core.Library;
using SearchService.Core.Models;
using SearchService.Core.Storage;
using SearchService.Inference;
using SearchService.Inference.Imaging;
using SearchService.Storage.Sqlite;
using SearchService.Storage.Sqlite.Jobs;

namespace SearchService.Cli.Commands;

/// <summary>
/// A data folder's embedded store and a model, opened in this process through the registrations the service
/// itself uses (<c>AddInference</c>, <c>AddImaging</c>, <c>AddEmbeddedCatalog</c>, <c>AddEmbeddedVectorStore</c>, the
/// SQLite job store) on a generic host, so the folder can be handed to the service afterwards and the other
/// way round. Opening does what the service does before it serves: the model is loaded, the model's vector
/// collection created, and what a crash may have left half-written removed. Only one process may use a
/// data folder at a time: stop the service first.
/// </summary>
internal sealed class LocalLibrary : IAsyncDisposable
{
    private readonly IHost _host;

    private LocalLibrary(IHost host, string dataPath)
    {
        _host = host;
        DataPath = dataPath;
        var services = host.Services;
        Model = services.GetRequiredService<ModelDescriptor>();
        Catalog = services.GetRequiredService<IImageCatalog>();
        Vectors = services.GetRequiredService<IVectorStore>();
        Blobs = services.GetRequiredService<IBlobStore>();
        Library = services.GetRequiredService<IImageLibrary>();
        Jobs = services.GetRequiredService<IIngestJobStore>();
        Preparer = services.GetRequiredService<IImagePreparer>();
        ImageEncoder = services.GetRequiredService<IImageEncoder>();
        TextEncoder = services.GetRequiredService<ITextEncoder>();
        Collection = new VectorCollection(Model.CollectionName, Model.EmbeddingDimensions);
    }

    /// <summary>The options that select local mode: <c>--data</c> and <c>--model</c>, with the model's execution options.</summary>
    public static IReadOnlyList<CliOption> Options { get; } = BuildOptions(localOnly: false);

    /// <summary>The same for commands that only work locally: <c>--data</c> and <c>--model</c> are required.</summary>
    public static IReadOnlyList<CliOption> RequiredOptions { get; } = BuildOptions(localOnly: true);

    public string DataPath { get; }

    public ModelDescriptor Model { get; }

    /// <summary>The model's collection (one per model name and dimension).</summary>
    public VectorCollection Collection { get; }

    public IImageCatalog Catalog { get; }

    public IVectorStore Vectors { get; }

    public IBlobStore Blobs { get; }

    public IImageLibrary Library { get; }

    public IIngestJobStore Jobs { get; }

    public IImagePreparer Preparer { get; }

    public IImageEncoder ImageEncoder { get; }

    public ITextEncoder TextEncoder { get; }

    public IServiceProvider Services => _host.Services;

    /// <summary>True when the command line asks for local mode.</summary>
    public static bool IsRequested(CliArguments arguments) => arguments.Value("data") is not null;

    /// <summary>The data folder of <c>--data</c> (required), absolute.</summary>
    public static string DataFolder(CliArguments arguments) => Path.GetFullPath(arguments.Required("data"));

    public static async Task<LocalLibrary> OpenAsync(CliArguments arguments, CliContext context, CancellationToken cancellationToken)
    {
        var dataPath = DataFolder(arguments);
        if (arguments.Value("model") is null)
        {
            throw new CliUsageException("--model DIR is required with --data.");
        }

        var overrides = ModelArguments.Overrides(arguments);
        overrides["Storage:DataPath"] = dataPath;
        Directory.CreateDirectory(dataPath);
        var host = context.BuildHost(arguments, overrides, Register);
        try
        {
            await host.StartAsync(cancellationToken);
            var library = new LocalLibrary(host, dataPath);
            await library.Vectors.EnsureCollectionAsync(library.Collection, cancellationToken);
            await library.Library.ReconcileAsync(cancellationToken);
            return library;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    private static CliOption[] BuildOptions(bool localOnly)
    {
        string Describe(string text) => localOnly ? char.ToUpperInvariant(text[0]) + text[1..] : "Local mode: " + text;
        return
        [
            new("data", "DIR", Describe("the data folder of the embedded store (Storage:DataPath), as the service uses it; created if missing."), Required: localOnly),
            new("model", "DIR", Describe("model folder in the Immich layout (config.json, textual/, visual/)."), Required: localOnly),
            .. ModelArguments.Options.Where(option => option.Name != "model"),
        ];
    }

    /// <summary>The service's adapters and the domain's library over them (what the API host registers, minus HTTP).</summary>
    internal static void Register(IServiceCollection services, IConfiguration configuration)
    {
        services.AddInference(configuration);
        services.AddImaging(configuration);
        services.AddEmbeddedCatalog(configuration);
        services.AddEmbeddedVectorStore(configuration);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IImageLibrary, ImageLibrary>();

        // The service keeps jobs at Ingest:DatabasePath, by default <Storage:DataPath>/jobs.db: the same file here.
        var dataPath = Path.GetFullPath(configuration["Storage:DataPath"] is { Length: > 0 } configured ? configured : "data");
        var jobsPath = configuration["Ingest:DatabasePath"] is { Length: > 0 } jobs ? Path.GetFullPath(jobs) : Path.Combine(dataPath, "jobs.db");
        services.AddSqliteIngestJobStore(_ => jobsPath);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _host.StopAsync(CancellationToken.None);
        }
        finally
        {
            _host.Dispose();
        }
    }
}
