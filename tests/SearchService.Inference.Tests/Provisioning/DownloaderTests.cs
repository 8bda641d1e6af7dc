using SearchService.Inference.Models;
using SearchService.Inference.Provisioning;
using SearchService.Inference.Tests.Support;
using SearchService.Testing;
using Xunit;

namespace SearchService.Inference.Tests.Provisioning;

/// <summary>The Hugging Face downloader against a local look-alike: redirects, hashes, failures, atomicity.</summary>
public sealed class DownloaderTests : IAsyncLifetime
{
    private const string Name = "Tiny-CLIP__test";
    private readonly CollectingLoggerProvider logs = new();
    private readonly TempFolder root = new();
    private FakeHuggingFace server = null!;

    public async Task InitializeAsync()
    {
        server = await FakeHuggingFace.StartAsync();
        server.Publish(Name, TestModels.TinyDynamic);
    }

    public async Task DisposeAsync()
    {
        await server.DisposeAsync();
        root.Dispose();
    }

    private string Target => Path.Combine(root.Path, Name);

    [Fact]
    public async Task Downloads_the_layout_through_redirects_checks_hashes_and_moves_the_folder_into_place()
    {
        await DownloadAsync();

        foreach (var file in ModelLayout.RequiredFiles.Concat(ModelLayout.OptionalFiles))
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(TestModels.TinyDynamic, file)), File.ReadAllBytes(Path.Combine(Target, file)));
        }

        Assert.Equal([Target], Directory.GetDirectories(root.Path));
        Assert.Contains(logs.Entries, entry => entry.EventId == 3013 && entry.Message.StartsWith("Downloaded textual/model.onnx", StringComparison.Ordinal));
        using var model = ModelLoading.Load(Target);
        Assert.Equal(Name, model.Descriptor.Name);
    }

    [Fact]
    public async Task An_optional_file_the_server_lacks_is_skipped()
    {
        server.Files.TryRemove($"{Name}/{ModelLayout.TokenizerConfig}", out _);

        await DownloadAsync();

        Assert.Empty(ModelLayout.MissingFiles(Target));
        Assert.False(File.Exists(Path.Combine(Target, ModelLayout.TokenizerConfig)));
    }

    [Fact]
    public async Task A_file_whose_hash_differs_from_the_published_one_fails_and_leaves_nothing()
    {
        server.Corrupted[$"{Name}/visual/model.onnx"] = true;

        var error = await Assert.ThrowsAsync<ModelDownloadException>(DownloadAsync);

        Assert.Contains("visual/model.onnx: SHA-256", error.Message, StringComparison.Ordinal);
        Assert.Contains("does not match the published", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(root.Path));
    }

    [Fact]
    public async Task A_required_file_the_server_lacks_fails_naming_the_URL_and_status()
    {
        server.Files.TryRemove($"{Name}/textual/tokenizer.json", out _);

        var error = await Assert.ThrowsAsync<ModelDownloadException>(DownloadAsync);

        Assert.Contains($"{server.BaseUrl}{Name}/resolve/main/textual/tokenizer.json answered 404", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(root.Path));
    }

    [Fact]
    public async Task An_unreachable_server_is_a_download_failure()
    {
        var downloader = NewDownloader();
        var closedPort = new Uri("http://127.0.0.1:9/immich-app/");

        var error = await Assert.ThrowsAsync<ModelDownloadException>(
            () => downloader.DownloadAsync(closedPort, Name, Target, TimeSpan.FromSeconds(10), CancellationToken.None));

        Assert.Contains("127.0.0.1:9", error.Message, StringComparison.Ordinal);
        Assert.IsType<HttpRequestException>(error.InnerException);
        Assert.Empty(Directory.GetFileSystemEntries(root.Path));
    }

    [Fact]
    public async Task A_download_that_stalls_is_abandoned_after_the_stall_timeout()
    {
        server.Stalled[$"{Name}/textual/model.onnx"] = true;

        var error = await Assert.ThrowsAsync<ModelDownloadException>(
            () => NewDownloader().DownloadAsync(server.BaseUrl, Name, Target, TimeSpan.FromSeconds(1), CancellationToken.None));

        Assert.Contains("nothing received for 1 s", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(root.Path));
    }

    [Fact]
    public async Task Cancelling_stops_the_download_and_removes_the_partial_files()
    {
        server.Stalled[$"{Name}/visual/model.onnx"] = true;
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => NewDownloader().DownloadAsync(server.BaseUrl, Name, Target, TimeSpan.FromSeconds(30), cancellation.Token));

        Assert.Empty(Directory.GetFileSystemEntries(root.Path));
    }

    [Fact]
    public async Task A_staging_folder_abandoned_by_a_dead_process_is_cleaned_up()
    {
        var abandoned = Directory.CreateDirectory(Path.Combine(root.Path, $".{Name}.download-0123"));
        File.WriteAllText(Path.Combine(abandoned.FullName, "partial"), "x");
        Directory.SetLastWriteTimeUtc(abandoned.FullName, DateTime.UtcNow.AddHours(-2));

        await DownloadAsync();

        Assert.Equal([Target], Directory.GetDirectories(root.Path));
    }

    private Task DownloadAsync() => NewDownloader().DownloadAsync(server.BaseUrl, Name, Target, TimeSpan.FromSeconds(30), CancellationToken.None);

    private HuggingFaceModelDownloader NewDownloader() =>
        new(new HttpClient(HuggingFaceModelDownloader.CreateHandler()), logs.CreateLogger<HuggingFaceModelDownloader>());
}
