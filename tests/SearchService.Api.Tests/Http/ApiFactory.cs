using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using SearchService.Core.Models;
using SearchService.Core.Storage;
using SearchService.Testing;

namespace SearchService.Api.Tests.Http;

/// <summary>What the stores hold: rows, vectors and the files in the data folder beside the databases.</summary>
internal sealed record StoredState(long Images, long Vectors, IReadOnlyList<string> Files)
{
    public bool Equals(StoredState? other) =>
        other is not null && Images == other.Images && Vectors == other.Vectors && Files.SequenceEqual(other.Files, StringComparer.Ordinal);

    public override int GetHashCode() => HashCode.Combine(Images, Vectors, Files.Count);

    public override string ToString() => $"{Images} images, {Vectors} vectors, files: {string.Join(", ", Files)}";
}

/// <summary>
/// The real service as <c>Program</c> wires it (embedded SQLite catalog and vector store, blob folder, libvips
/// preparer, the demo model on ONNX Runtime) over a temporary data folder. Settings are applied as host settings
/// so that code reading configuration while the app is built (the vector store provider) sees them too.
/// </summary>
public class ApiFactory : WebApplicationFactory<Program>
{
    public const string WriterKey = "test-key-0123456789abcdef";

    private string? _dataPath;

    /// <summary>A new temporary folder, or an existing one (e.g. what a stopped service left); removed on dispose.</summary>
    public string DataPath
    {
        get => _dataPath ??= Directory.CreateTempSubdirectory("api-tests-").FullName;
        init => _dataPath = value;
    }

    /// <summary>Settings on top of the defaults (e.g. auth, limits); set before the first client is created.</summary>
    public Dictionary<string, string?> Settings { get; } = new()
    {
        ["Model:Path"] = TestPaths.DemoModel,
        ["Model:AllowDownload"] = "false",
        ["Inference:LibraryPath"] = Path.Combine(TestPaths.NativeDirectory, "onnxruntime", "libonnxruntime.so.1"),
        ["RateLimiting:Enabled"] = "false",
    };

    /// <summary>Whether disposing removes <see cref="DataPath"/> (a test that reopens the data after shutdown keeps it).</summary>
    public bool DeleteDataOnDispose { get; init; } = true;

    internal ModelDescriptor Model => Services.GetRequiredService<ModelDescriptor>();

    internal VectorCollection Collection => new(Model.CollectionName, Model.EmbeddingDimensions);

    public HttpClient CreateWriter()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", WriterKey);
        return client;
    }

    internal async Task<StoredState> StoredStateAsync()
    {
        var images = await Services.GetRequiredService<IImageCatalog>().CountAsync(CancellationToken.None);
        var vectors = await Services.GetRequiredService<IVectorStore>().CountAsync(Collection, filter: null, CancellationToken.None);
        var files = Directory.EnumerateFiles(DataPath, "*", SearchOption.AllDirectories)
            .Where(path => !Path.GetFileName(path).Contains(".db", StringComparison.Ordinal))
            .Select(path => Path.GetRelativePath(DataPath, path))
            .Order(StringComparer.Ordinal)
            .ToList();
        return new StoredState(images, vectors, files);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("Storage:DataPath", DataPath);
        builder.UseSetting("Auth:ApiKeys:0", WriterKey);
        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && DeleteDataOnDispose && Directory.Exists(DataPath))
        {
            Directory.Delete(DataPath, recursive: true);
        }
    }
}
