using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SearchService.Api.Tests.Fakes;
using SearchService.Core.Images;
using SearchService.Core.Models;
using SearchService.Core.Storage;
using SearchService.Testing;

namespace SearchService.Api.Tests.Http;

/// <summary>
/// The real service (demo model on real ONNX Runtime) in a temporary data folder. Settings are applied as host
/// settings so that code reading configuration while the app is built sees them too.
/// </summary>
public class ApiFactory : WebApplicationFactory<Program>
{
    public const string WriterKey = "test-key-0123456789abcdef";

    public string DataPath { get; } = Directory.CreateTempSubdirectory("api-tests-").FullName;

    public string BlobPath => Path.Combine(DataPath, "blobs");

    /// <summary>Settings on top of the defaults (e.g. auth, limits); set before the first client is created.</summary>
    public Dictionary<string, string?> Settings { get; } = new()
    {
        ["Model:Path"] = TestPaths.DemoModel,
        ["Model:AllowDownload"] = "false",
        ["RateLimiting:Enabled"] = "false",
    };

    internal InMemoryCatalog Catalog { get; } = new();

    internal InMemoryVectorStore Vectors { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("Storage:DataPath", DataPath);
        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureTestServices(services =>
        {
            services.RemoveAll<IImageCatalog>();
            services.RemoveAll<IVectorStore>();
            services.RemoveAll<IBlobStore>();
            services.RemoveAll<IImagePreparer>();
            services.AddSingleton<IImageCatalog>(Catalog);
            services.AddSingleton<IVectorStore>(Vectors);
            services.AddSingleton<IBlobStore>(new FolderBlobStore(BlobPath));
            services.AddSingleton<IImagePreparer>(provider => new FakePreparer(provider.GetRequiredService<ModelDescriptor>()));
        });
    }

    public HttpClient CreateWriter()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", WriterKey);
        return client;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && Directory.Exists(DataPath))
        {
            Directory.Delete(DataPath, recursive: true);
        }
    }
}
