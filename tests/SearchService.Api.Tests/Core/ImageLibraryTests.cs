using System.Security.Cryptography;
using SearchService.Api.Tests.Fakes;
using SearchService.Core.Library;
using SearchService.Core.Storage;
using Xunit;

namespace SearchService.Api.Tests.Core;

public sealed class ImageLibraryTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("library-tests-").FullName;
    private readonly InMemoryCatalog _catalog = new();
    private readonly InMemoryVectorStore _vectors = new();
    private readonly FolderBlobStore _blobs;
    private readonly ImageLibrary _library;

    public ImageLibraryTests()
    {
        _blobs = new FolderBlobStore(_root);
        _library = new ImageLibrary(_catalog, _vectors, _blobs, TestModels.Descriptor(), TimeProvider.System);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Identical_bytes_are_stored_once_within_a_batch_and_across_calls()
    {
        var a = Image("a");
        var stored = await _library.StoreAsync([a, Image("b"), a], CancellationToken.None);

        Assert.False(stored[0].Duplicate);
        Assert.False(stored[1].Duplicate);
        Assert.True(stored[2].Duplicate);
        Assert.Equal(stored[0].Record.Id, stored[2].Record.Id);

        var again = await _library.StoreAsync([a], CancellationToken.None);
        Assert.True(again[0].Duplicate);
        Assert.Equal(stored[0].Record.Id, again[0].Record.Id);
        Assert.Equal(2, _catalog.Rows.Count);
        Assert.Equal(2, _vectors.Ids.Count);
    }

    [Fact]
    public async Task Concurrent_uploads_of_the_same_bytes_store_one_image()
    {
        var image = Image("same");
        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => _library.StoreAsync([image], CancellationToken.None))));

        Assert.Single(_catalog.Rows);
        Assert.Single(_vectors.Ids);
        Assert.Single(results.Select(r => r[0].Record.Id).Distinct());
        Assert.Equal(15, results.Count(r => r[0].Duplicate));
    }

    [Fact]
    public async Task A_failed_vector_write_leaves_no_row_vector_or_blob()
    {
        _vectors.FailUpsert = () => new VectorStoreException("down", isTransient: true);

        await Assert.ThrowsAsync<VectorStoreException>(() => _library.StoreAsync([Image("x"), Image("y")], CancellationToken.None));

        Assert.Empty(_catalog.Rows);
        Assert.Empty(_vectors.Ids);
        Assert.Empty(_blobs.Files);
    }

    [Fact]
    public async Task A_failed_commit_removes_the_vector_and_blobs_of_the_uncommitted_images_only()
    {
        var failing = Image("fails");
        _catalog.FailAdd = record => record.Sha256 == failing.Sha256 ? new IOException("disk full") : null;

        await Assert.ThrowsAsync<IOException>(() => _library.StoreAsync([Image("ok"), failing], CancellationToken.None));

        var row = Assert.Single(_catalog.Rows);
        Assert.Equal(row.Id, Assert.Single(_vectors.Ids));
        Assert.All(_blobs.Files, f => Assert.StartsWith(row.Sha256, Path.GetFileName(f), StringComparison.Ordinal));
        Assert.Equal(2, _blobs.Files.Count);
    }

    [Fact]
    public async Task Delete_removes_row_vector_and_blobs()
    {
        var stored = (await _library.StoreAsync([Image("gone"), Image("kept")], CancellationToken.None))[0];

        Assert.True(await _library.DeleteAsync(stored.Record.Id, CancellationToken.None));
        Assert.False(await _library.DeleteAsync(stored.Record.Id, CancellationToken.None));

        Assert.DoesNotContain(_catalog.Rows, r => r.Id == stored.Record.Id);
        Assert.DoesNotContain(stored.Record.Id, _vectors.Ids);
        Assert.DoesNotContain(_blobs.Files, f => Path.GetFileName(f).StartsWith(stored.Record.Sha256, StringComparison.Ordinal));
        Assert.Equal(2, _blobs.Files.Count);
    }

    [Fact]
    public async Task A_delete_the_vector_store_refuses_still_removes_row_and_blobs_and_says_what_is_left()
    {
        var stored = (await _library.StoreAsync([Image("left")], CancellationToken.None))[0];
        _vectors.FailDelete = () => new VectorStoreException("down", isTransient: true);

        var leftover = await Assert.ThrowsAsync<ImageCleanupException>(() => _library.DeleteAsync(stored.Record.Id, CancellationToken.None));

        Assert.Equal(stored.Record.Id, leftover.ImageId);
        Assert.IsType<VectorStoreException>(leftover.InnerException);
        Assert.Empty(_catalog.Rows);
        Assert.Empty(_blobs.Files);
        Assert.Single(_vectors.Ids);
        _vectors.FailDelete = () => null;
        Assert.Equal(1, await _library.ReconcileAsync(CancellationToken.None));
        Assert.Empty(_vectors.Ids);
    }

    [Fact]
    public async Task Update_changes_the_row_and_the_vector_payload()
    {
        var stored = (await _library.StoreAsync([Image("tagged")], CancellationToken.None))[0];

        var updated = await _library.UpdateAsync(stored.Record.Id, new ImagePatch(Tags: ["sea"]), CancellationToken.None);

        Assert.Equal(["sea"], updated!.Tags);
        var hits = await _vectors.SearchAsync(_library.Collection, new VectorQuery(WordTextEncoder.Embed("tagged", 32), 10, Filter: new ImageFilter { TagsAny = ["sea"] }), CancellationToken.None);
        Assert.Equal(stored.Record.Id, Assert.Single(hits).Id);
        Assert.Null(await _library.UpdateAsync(Guid.NewGuid(), new ImagePatch(Tags: ["x"]), CancellationToken.None));
    }

    [Fact]
    public async Task Reconcile_removes_vectors_and_blobs_without_a_row_and_keeps_the_rest()
    {
        var kept = (await _library.StoreAsync([Image("kept")], CancellationToken.None))[0];
        var orphan = Image("orphan");
        await _blobs.PutAsync(orphan.Sha256, BlobKind.Original, orphan.Original, CancellationToken.None);
        await _vectors.UpsertAsync(_library.Collection, [new VectorPoint(Guid.NewGuid(), orphan.Embedding, kept.Record.ToPayload())], CancellationToken.None);

        Assert.Equal(2, await _library.ReconcileAsync(CancellationToken.None));

        Assert.Equal(kept.Record.Id, Assert.Single(_vectors.Ids));
        Assert.All(_blobs.Files, f => Assert.StartsWith(kept.Record.Sha256, Path.GetFileName(f), StringComparison.Ordinal));
        Assert.Equal(0, await _library.ReconcileAsync(CancellationToken.None));
    }

    [Fact]
    public async Task An_embedding_of_the_wrong_length_is_refused_before_anything_is_written()
    {
        var wrong = Image("short") with { Embedding = new float[5] };

        await Assert.ThrowsAsync<ArgumentException>(() => _library.StoreAsync([wrong], CancellationToken.None));

        Assert.Empty(_blobs.Files);
    }

    internal static NewImage Image(string content)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(content);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        return new NewImage(sha, bytes, TestModels.Prepared(), WordTextEncoder.Embed(content, 32), content + ".png", [], new Dictionary<string, string>());
    }
}
