using System.Globalization;
using SearchService.Api.Tests.Support;
using SearchService.Core.Images;
using SearchService.Core.Ingest;
using SearchService.Core.Storage;
using SearchService.Storage.Sqlite.Jobs;
using SearchService.Testing;
using Xunit;
using static SearchService.Api.Tests.Cli.CliServerModeTests;

namespace SearchService.Api.Tests.Cli;

/// <summary>
/// searchctl's local mode (<c>--data DIR --model DIR</c>): the real pipeline, libvips, ONNX Runtime and embedded
/// store in the command's process. Results are checked by opening the data folder afterwards through the same
/// public registrations, and against the demo model's known retrieval of the held-out shapes images.
/// </summary>
public sealed class CliLocalModeTests : IDisposable
{
    private static readonly string Shapes = Path.Combine(TestPaths.Fixtures, "images", "shapes");
    private readonly string _data = Directory.CreateTempSubdirectory("cli-data-").FullName;
    private readonly string _photos = Directory.CreateTempSubdirectory("cli-photos-").FullName;

    public void Dispose()
    {
        Directory.Delete(_data, recursive: true);
        Directory.Delete(_photos, recursive: true);
    }

    [Fact]
    public async Task Ingest_then_search_finds_the_shape_a_caption_describes_and_a_rerun_skips_everything()
    {
        var ingest = await RunAsync("ingest", Shapes, "--data", _data, "--model", TestPaths.DemoModel, "--tag", "shapes");
        var again = await RunAsync("ingest", Shapes, "--data", _data, "--model", TestPaths.DemoModel, "--tag", "shapes");
        var search = await RunAsync("search", "a large white diamond", "--data", _data, "--model", TestPaths.DemoModel, "--limit", "5");

        Assert.Equal(0, ingest.Code);
        Assert.StartsWith("ingest completed: 24 files: 24 stored, 0 duplicates, 0 skipped, 0 failed, 0 pending", ingest.Output, StringComparison.Ordinal);
        Assert.Contains("24/24 100%", ingest.Error, StringComparison.Ordinal);
        Assert.Equal(0, again.Code);
        Assert.StartsWith("ingest completed: 24 files: 0 stored, 0 duplicates, 24 skipped, 0 failed", again.Output, StringComparison.Ordinal);
        Assert.Equal(0, search.Code);
        var rows = search.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToArray();
        Assert.Equal(5, rows.Length);
        Assert.Equal("01-white-diamond.png", rows[0][3]);
        var scores = rows.Select(row => float.Parse(row[1], CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(scores.OrderDescending(), scores);

        await using var store = await DataFolderView.OpenAsync(_data, TestPaths.DemoModel);
        Assert.Equal(24, await store.Catalog.CountAsync(CancellationToken.None));
        Assert.Equal(24, await store.Vectors.CountAsync(store.Collection, null, CancellationToken.None));
        var white = await store.Catalog.FindBySha256Async(TestImagesSha(Path.Combine(Shapes, "01-white-diamond.png")), CancellationToken.None);
        Assert.NotNull(white);
        Assert.Equal(["shapes"], white.Tags);
        Assert.Equal(rows[0][2], white.Id.ToString());
        // The score printed is the cosine of the stored vector with the caption's embedding.
        var caption = (await store.TextEncoder.EncodeAsync(["a large white diamond"], CancellationToken.None))[0];
        var stored = (await store.Vectors.GetVectorAsync(store.Collection, white.Id, CancellationToken.None))!;
        Assert.Equal(caption.Zip(stored, (a, b) => a * b).Sum(), scores[0], 3);
        Assert.NotNull(store.Blobs.GetPath(white.Sha256, BlobKind.Original));
        Assert.NotNull(store.Blobs.GetPath(white.Sha256, BlobKind.Thumbnail));
    }

    [Fact]
    public async Task An_interrupted_local_job_is_resumed_by_the_same_command()
    {
        // What a run killed right after its scan leaves: the job recorded, enumerated and running, no file finished.
        var jobId = Guid.NewGuid();
        using (var jobs = new SqliteIngestJobStore(Path.Combine(_data, "jobs.db"), TimeProvider.System))
        {
            var entries = Directory.GetFiles(Shapes, "*.png").Order(StringComparer.Ordinal)
                .Select(path => new IngestFileEntry(path, Path.GetFileName(path), new FileInfo(path).Length, File.GetLastWriteTimeUtc(path))).ToArray();
            await jobs.CreateAsync(jobId, new IngestSource(IngestSourceKind.Folder, Shapes, false, []), enumerated: false, CancellationToken.None);
            await jobs.AddFilesAsync(jobId, entries, CancellationToken.None);
            await jobs.MarkEnumeratedAsync(jobId, CancellationToken.None);
            await jobs.SetStateAsync(jobId, IngestJobState.Running, null, CancellationToken.None);
        }

        var resumed = await RunAsync("ingest", Shapes, "--data", _data, "--model", TestPaths.DemoModel);
        var other = await RunAsync("ingest", Shapes, "--data", _data, "--model", TestPaths.DemoModel, "--recursive");

        Assert.Equal(0, resumed.Code);
        Assert.EndsWith($"(job {jobId})", resumed.Output.Trim(), StringComparison.Ordinal);
        Assert.StartsWith("ingest completed: 24 files: 24 stored, 0 duplicates, 0 skipped, 0 failed", resumed.Output, StringComparison.Ordinal);
        // Another source (here: recursive) is another job; the files are known, so it skips them all.
        Assert.DoesNotContain(jobId.ToString(), other.Output, StringComparison.Ordinal);
        Assert.StartsWith("ingest completed: 24 files: 0 stored, 0 duplicates, 24 skipped", other.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Corrupt_files_fail_with_their_reasons_while_the_rest_is_stored()
    {
        foreach (var name in new[] { "chelsea.png", "coffee.png" })
        {
            File.Copy(Path.Combine(TestPaths.SharedData, "images", "photos", name), Path.Combine(_photos, name));
        }

        foreach (var name in new[] { "truncated_jpeg.jpg", "not_an_image.jpg", "empty.jpg" })
        {
            File.Copy(Path.Combine(TestPaths.SharedData, "images", "edge-cases", "corrupt", name), Path.Combine(_photos, name));
        }

        var result = await RunAsync("ingest", _photos, "--data", _data, "--model", TestPaths.DemoModel);

        Assert.Equal(1, result.Code);
        Assert.StartsWith("ingest completed: 5 files: 2 stored, 0 duplicates, 0 skipped, 3 failed", result.Output, StringComparison.Ordinal);
        foreach (var name in new[] { "truncated_jpeg.jpg", "not_an_image.jpg", "empty.jpg" })
        {
            Assert.Contains($"searchctl: failed: {name}: ", result.Error, StringComparison.Ordinal);
        }

        await using var store = await DataFolderView.OpenAsync(_data, TestPaths.DemoModel);
        Assert.Equal(2, await store.Catalog.CountAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Reindex_embeds_every_original_with_the_new_model_into_its_own_collection_once()
    {
        Assert.Equal(0, (await RunAsync("ingest", Shapes, "--data", _data, "--model", TestPaths.DemoModel)).Code);

        var first = await RunAsync("reindex", "--data", _data, "--model", TestPaths.TinyModel);
        var second = await RunAsync("reindex", "--data", _data, "--model", TestPaths.TinyModel);

        Assert.Equal(0, first.Code);
        Assert.StartsWith("reindex tiny-random-clip_32: 24 images: 24 embedded, 0 already there, 0 failed", first.Output, StringComparison.Ordinal);
        Assert.Equal(0, second.Code);
        Assert.StartsWith("reindex tiny-random-clip_32: 24 images: 0 embedded, 24 already there, 0 failed", second.Output, StringComparison.Ordinal);

        // One view at a time: the embedded vector store serves a data folder from one instance only.
        await using (var tiny = await DataFolderView.OpenAsync(_data, TestPaths.TinyModel))
        {
            Assert.Equal(24, await tiny.Vectors.CountAsync(tiny.Collection, null, CancellationToken.None));
            // Each vector is the new model's embedding of the stored original, with the catalog's payload.
            var record = (await tiny.Catalog.ListAsync(ImageFilter.None, null, 1, CancellationToken.None)).Items[0];
            var original = await File.ReadAllBytesAsync(tiny.Blobs.GetPath(record.Sha256, BlobKind.Original)!);
            var prepared = tiny.Preparer.Prepare(original, new PrepareOptions(0), CancellationToken.None);
            var expected = (await tiny.ImageEncoder.EncodeAsync([prepared.Tensor], CancellationToken.None))[0];
            Assert.Equal(expected, (await tiny.Vectors.GetVectorAsync(tiny.Collection, record.Id, CancellationToken.None))!, new FloatTolerance(1e-5f));
        }

        await using var demo = await DataFolderView.OpenAsync(_data, TestPaths.DemoModel);
        Assert.Equal(24, await demo.Vectors.CountAsync(demo.Collection, null, CancellationToken.None));
    }

    [Fact]
    public async Task Migrate_copies_the_collection_into_Qdrant_and_a_rerun_copies_nothing()
    {
        Assert.Equal(0, (await RunAsync("ingest", Shapes, "--data", _data, "--model", TestPaths.DemoModel, "--tag", "shapes")).Code);
        await using var qdrant = await QdrantOverHttp.StartAsync();
        qdrant.Fake.RequiredApiKey = "qdrant-secret";

        var first = await RunAsync("migrate", "--to", "qdrant", "--qdrant-url", qdrant.Url, "--qdrant-api-key", "qdrant-secret", "--data", _data, "--model", TestPaths.DemoModel);
        var second = await RunAsync("migrate", "--to", "qdrant", "--qdrant-url", qdrant.Url, "--qdrant-api-key", "qdrant-secret", "--data", _data, "--model", TestPaths.DemoModel);
        var refused = await RunAsync("migrate", "--to", "qdrant", "--qdrant-url", qdrant.Url, "--qdrant-api-key", "wrong", "--data", _data, "--model", TestPaths.DemoModel, "--restart");

        Assert.Equal(0, first.Code);
        Assert.StartsWith($"migrate demo-shapes-clip_64 to {qdrant.Url}: 24 copied, 0 copied by an earlier run, 0 orphans left out; Qdrant holds 24 points for 24 images", first.Output, StringComparison.Ordinal);
        Assert.Equal(0, second.Code);
        Assert.StartsWith($"migrate demo-shapes-clip_64 to {qdrant.Url}: 0 copied, 24 copied by an earlier run", second.Output, StringComparison.Ordinal);
        Assert.Equal(1, refused.Code);
        Assert.Contains("searchctl: error:", refused.Error, StringComparison.Ordinal);
        qdrant.Fake.AssertConforms();

        await using var store = await DataFolderView.OpenAsync(_data, TestPaths.DemoModel);
        var target = qdrant.Fake.Collection(store.Collection.Name)!;
        Assert.Equal(24, target.Count);
        await foreach (var id in store.Vectors.ListIdsAsync(store.Collection, CancellationToken.None))
        {
            Assert.Equal((await store.Vectors.GetVectorAsync(store.Collection, id, CancellationToken.None))!, target.Vector(id)!, new FloatTolerance(1e-5f));
            Assert.Equal("shapes", target.Payload(id)!["tags"]![0]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task The_searchctl_process_ingests_and_searches_locally()
    {
        foreach (var name in new[] { "03-green-circle.png", "12-red-square.png", "21-orange-circle.png" })
        {
            File.Copy(Path.Combine(Shapes, name), Path.Combine(_photos, name));
        }

        var ingest = await RunProcessAsync(new Dictionary<string, string>(), "ingest", _photos, "--data", _data, "--model", TestPaths.DemoModel);
        var search = await RunProcessAsync(new Dictionary<string, string>(), "search", "a red square in the middle", "--data", _data, "--model", TestPaths.DemoModel, "--limit", "1");

        Assert.Equal(0, ingest.Code);
        Assert.StartsWith("ingest completed: 3 files: 3 stored", ingest.Output, StringComparison.Ordinal);
        Assert.Equal(0, search.Code);
        Assert.EndsWith("12-red-square.png", search.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1].Trim(), StringComparison.Ordinal);
    }

    private static string TestImagesSha(string path) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)));
}
