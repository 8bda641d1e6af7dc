using System.Security.Cryptography;
using SearchService.Core.Storage;
using SearchService.Storage.Sqlite.Blobs;
using Xunit;

namespace SearchService.Storage.Tests.Blobs;

public sealed class FileBlobStoreTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly FileBlobStore _store;

    public FileBlobStoreTests()
    {
        _store = new FileBlobStore(_folder.File("blobs"));
    }

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task A_blob_lands_under_its_fan_out_folder_with_no_temporary_file_left()
    {
        var (sha, bytes) = Content(1000);

        await _store.PutAsync(sha, BlobKind.Original, bytes, CancellationToken.None);
        await _store.PutAsync(sha, BlobKind.Thumbnail, new byte[] { 1, 2, 3 }, CancellationToken.None);

        var path = _store.GetPath(sha, BlobKind.Original);
        Assert.Equal(Path.Combine(_store.Root, sha[..2], $"{sha}.original"), path);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(path!));
        Assert.Equal([1, 2, 3], await File.ReadAllBytesAsync(_store.GetPath(sha, BlobKind.Thumbnail)!));
        Assert.True(await _store.ExistsAsync(sha, BlobKind.Thumbnail, CancellationToken.None));
        Assert.Equal(2, Directory.GetFiles(_store.Root, "*", SearchOption.AllDirectories).Length);
    }

    [Fact]
    public async Task Writing_a_key_again_is_harmless_and_keeps_the_first_copy()
    {
        var (sha, bytes) = Content(10);
        await _store.PutAsync(sha, BlobKind.Thumbnail, new byte[] { 7 }, CancellationToken.None);
        await _store.PutAsync(sha, BlobKind.Thumbnail, new byte[] { 8, 8 }, CancellationToken.None);
        await _store.PutAsync(sha, BlobKind.Original, bytes, CancellationToken.None);
        using (var stream = new MemoryStream(bytes))
        {
            await _store.PutAsync(sha, BlobKind.Original, stream, CancellationToken.None);
        }

        Assert.Equal([7], await File.ReadAllBytesAsync(_store.GetPath(sha, BlobKind.Thumbnail)!));
        Assert.Equal(bytes, await File.ReadAllBytesAsync(_store.GetPath(sha, BlobKind.Original)!));
        Assert.Equal(2, Directory.GetFiles(_store.Root, "*", SearchOption.AllDirectories).Length);
    }

    [Fact]
    public async Task A_stream_is_copied_and_an_original_whose_bytes_do_not_match_its_key_is_refused()
    {
        var (sha, bytes) = Content(300_000);
        using (var stream = new MemoryStream(bytes))
        {
            await _store.PutAsync(sha, BlobKind.Original, stream, CancellationToken.None);
        }

        Assert.Equal(bytes, await File.ReadAllBytesAsync(_store.GetPath(sha, BlobKind.Original)!));

        var (otherSha, _) = Content(5);
        await Assert.ThrowsAsync<ArgumentException>(() => _store.PutAsync(otherSha, BlobKind.Original, bytes, CancellationToken.None));
        using (var stream = new MemoryStream(bytes))
        {
            await Assert.ThrowsAsync<ArgumentException>(() => _store.PutAsync(otherSha, BlobKind.Original, stream, CancellationToken.None));
        }

        Assert.Null(_store.GetPath(otherSha, BlobKind.Original));
        Assert.Single(Directory.GetFiles(_store.Root, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_write_that_fails_half_way_leaves_nothing_under_the_final_name_and_no_temporary_file()
    {
        var (sha, bytes) = Content(200_000);
        using var failing = new FailingStream(bytes, failAfter: 100_000);

        await Assert.ThrowsAsync<IOException>(() => _store.PutAsync(sha, BlobKind.Original, failing, CancellationToken.None));

        Assert.Null(_store.GetPath(sha, BlobKind.Original));
        Assert.False(await _store.ExistsAsync(sha, BlobKind.Original, CancellationToken.None));
        Assert.Empty(Directory.GetFiles(_store.Root, "*", SearchOption.AllDirectories));
    }

    [Theory]
    [InlineData("")]
    [InlineData("../../../../etc/passwd")]
    [InlineData("ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789")]
    [InlineData("abcdef0123456789abcdef0123456789abcdef0123456789abcdef012345678")]
    [InlineData("abcdef0123456789abcdef0123456789abcdef0123456789abcdef01234567/9")]
    [InlineData("abcdef0123456789abcdef0123456789abcdef0123456789abcdef01234567890")]
    public async Task Keys_other_than_64_lower_case_hex_digits_are_refused(string key)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _store.PutAsync(key, BlobKind.Thumbnail, new byte[] { 1 }, CancellationToken.None));
        Assert.Throws<ArgumentException>(() => _store.GetPath(key, BlobKind.Original));
        await Assert.ThrowsAsync<ArgumentException>(() => _store.ExistsAsync(key, BlobKind.Original, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => _store.DeleteAsync(key, BlobKind.Original, CancellationToken.None));
        Assert.Empty(Directory.GetFileSystemEntries(_store.Root));
    }

    [Fact]
    public async Task Keys_are_listed_once_each_and_leftovers_of_crashed_writes_are_not_keys()
    {
        var keys = new List<string>();
        for (var i = 0; i < 40; i++)
        {
            var (sha, bytes) = Content(10 + i);
            keys.Add(sha);
            await _store.PutAsync(sha, BlobKind.Original, bytes, CancellationToken.None);
            if (i % 2 == 0)
            {
                await _store.PutAsync(sha, BlobKind.Thumbnail, new byte[] { 1 }, CancellationToken.None);
            }
        }

        // keys[0] keeps its thumbnail, so it is still a key; keys[1] had only an original.
        await _store.DeleteAsync(keys[0], BlobKind.Original, CancellationToken.None);
        await _store.DeleteAsync(keys[1], BlobKind.Original, CancellationToken.None);
        await _store.DeleteAsync(keys[1], BlobKind.Original, CancellationToken.None);

        // What a killed writer leaves: a fresh temporary file (kept, maybe still being written) and a stale one (removed).
        var (crashed, _) = Content(3);
        var folder = Directory.CreateDirectory(Path.Combine(_store.Root, crashed[..2])).FullName;
        var fresh = Path.Combine(folder, $"{crashed}.original.{Guid.NewGuid():N}.tmp");
        var stale = Path.Combine(folder, $"{crashed}.thumbnail.{Guid.NewGuid():N}.tmp");
        await File.WriteAllBytesAsync(fresh, [1]);
        await File.WriteAllBytesAsync(stale, [1]);
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddHours(-2));
        await File.WriteAllBytesAsync(Path.Combine(_store.Root, "README"), [1]);

        var listed = new List<string>();
        await foreach (var key in _store.ListKeysAsync(CancellationToken.None))
        {
            listed.Add(key);
        }

        Assert.Equal(keys.Where((_, i) => i != 1).Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
        Assert.True(File.Exists(fresh));
        Assert.False(File.Exists(stale));
    }

    private static (string Sha, byte[] Bytes) Content(int length)
    {
        var bytes = RandomNumberGenerator.GetBytes(length);
        return (Convert.ToHexStringLower(SHA256.HashData(bytes)), bytes);
    }

    /// <summary>Serves its bytes, then fails like a dropped upload.</summary>
    private sealed class FailingStream(byte[] bytes, int failAfter) : MemoryStream(bytes)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Position >= failAfter ? throw new IOException("connection reset") : base.ReadAsync(buffer, cancellationToken);
    }
}
