using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using SearchService.Core.Images;
using SearchService.Core.Library;
using SearchService.Core.Models;
using SearchService.Core.Storage;
using SearchService.Storage.Sqlite.Blobs;
using SearchService.Storage.Sqlite.Catalog;
using SearchService.Storage.Sqlite.Vectors;

namespace SearchService.Storage.Tests.Durability;

/// <summary>
/// The child process of <see cref="KilledWriterTests"/>: stores images through the real <see cref="ImageLibrary"/>
/// on the embedded store in a loop and prints <c>committed &lt;id&gt;</c> after each acknowledged write, until the
/// test kills it (or it stops by itself after a bounded number of images).
/// </summary>
internal static class DurabilityWriter
{
    public const string Command = "durability-writer";
    public const int Dimensions = 16;

    public static readonly ModelDescriptor Model = new(
        "durability", Dimensions, 77, new ImagePreprocessing(224, ResizeMode.Shortest, Interpolation.Bicubic, [0.5f, 0.5f, 0.5f], [0.5f, 0.5f, 0.5f]), 100, "cpu", IsDemo: true);

    public static (SqliteImageCatalog Catalog, EmbeddedVectorStore Vectors, FileBlobStore Blobs, ImageLibrary Library) Open(string dataPath)
    {
        var catalog = new SqliteImageCatalog(Path.Combine(dataPath, "library.db"));
        var vectors = new EmbeddedVectorStore(Path.Combine(dataPath, "vectors.db"), 1, NullLogger<EmbeddedVectorStore>.Instance);
        var blobs = new FileBlobStore(Path.Combine(dataPath, "blobs"));
        return (catalog, vectors, blobs, new ImageLibrary(catalog, vectors, blobs, Model, TimeProvider.System));
    }

    public static async Task<int> RunAsync(string dataPath, int maxImages)
    {
        var (catalog, vectors, _, library) = Open(dataPath);
        using (catalog)
        using (vectors)
        {
            var collection = new VectorCollection(Model.CollectionName, Dimensions);
            await vectors.EnsureCollectionAsync(collection, CancellationToken.None);
            var random = new Random();
            for (var i = 0; i < maxImages; i++)
            {
                var original = RandomNumberGenerator.GetBytes(random.Next(20_000, 200_000));
                var embedding = Enumerable.Range(0, Dimensions).Select(_ => random.NextSingle() - 0.5f).ToArray();
                var image = new NewImage(
                    Convert.ToHexStringLower(SHA256.HashData(original)),
                    original,
                    new PreparedImage(new ImageProbe(ImageFormat.Jpeg, 64, 48), [], RandomNumberGenerator.GetBytes(5_000), "image/webp"),
                    embedding,
                    $"image-{i}.jpg",
                    ["durable"],
                    new Dictionary<string, string> { ["n"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) });
                var stored = await library.StoreAsync([image], CancellationToken.None);
                await Console.Out.WriteLineAsync($"committed {stored[0].Record.Id}");
                await Console.Out.FlushAsync();
            }
        }

        return 0;
    }
}
