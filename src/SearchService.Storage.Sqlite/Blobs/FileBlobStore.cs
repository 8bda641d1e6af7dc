using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using SearchService.Core.Storage;

namespace SearchService.Storage.Sqlite.Blobs;

/// <summary>
/// Content-addressed files: <c>&lt;root&gt;/&lt;first two hex digits&gt;/&lt;sha256&gt;.&lt;kind&gt;</c>. A write goes to a
/// temporary file in the same folder, is flushed to disk and then renamed over the final name (the folder synced
/// after, so the name is durable too), so a reader or a crash never sees a partial blob; the same key written twice keeps the first copy. Originals are checked
/// against their key, so a wrong hash can never file bytes under another image's name.
/// </summary>
public sealed class FileBlobStore : IBlobStore
{
    private const string TemporarySuffix = ".tmp";
    private const int CopyBufferBytes = 81920;

    /// <summary>Temporary files older than this are leftovers of a crashed write (no write takes this long).</summary>
    private static readonly TimeSpan StaleTemporaryAge = TimeSpan.FromHours(1);

    private readonly string _root;
    private readonly TimeProvider _time;

    /// <param name="root">The blob folder (usually <c>&lt;Storage:DataPath&gt;/blobs</c>); created if missing.</param>
    /// <param name="time">Clock for telling stale temporary files; the system clock if null.</param>
    public FileBlobStore(string root, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        _root = Path.GetFullPath(root);
        _time = time ?? TimeProvider.System;
        Directory.CreateDirectory(_root);
    }

    public string Root => _root;

    public async Task PutAsync(string sha256, BlobKind kind, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var path = PathOf(sha256, kind);
        if (kind == BlobKind.Original)
        {
            VerifyHash(sha256, SHA256.HashData(content.Span));
        }

        if (File.Exists(path))
        {
            return;
        }

        await WriteAtomicallyAsync(path, (stream, token) => stream.WriteAsync(content, token), cancellationToken).ConfigureAwait(false);
    }

    public async Task PutAsync(string sha256, BlobKind kind, Stream content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        var path = PathOf(sha256, kind);
        if (File.Exists(path))
        {
            return;
        }

        await WriteAtomicallyAsync(
            path,
            async (stream, token) =>
            {
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                var buffer = new byte[CopyBufferBytes];
                int read;
                while ((read = await content.ReadAsync(buffer, token).ConfigureAwait(false)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    await stream.WriteAsync(buffer.AsMemory(0, read), token).ConfigureAwait(false);
                }

                if (kind == BlobKind.Original)
                {
                    VerifyHash(sha256, hash.GetHashAndReset());
                }
            },
            cancellationToken).ConfigureAwait(false);
    }

    public string? GetPath(string sha256, BlobKind kind)
    {
        var path = PathOf(sha256, kind);
        return File.Exists(path) ? path : null;
    }

    public Task<bool> ExistsAsync(string sha256, BlobKind kind, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(File.Exists(PathOf(sha256, kind)));
    }

    public Task DeleteAsync(string sha256, BlobKind kind, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        File.Delete(PathOf(sha256, kind));
        return Task.CompletedTask;
    }

    /// <summary>Every key with a blob, one fan-out folder at a time; also removes stale temporary files of crashed writes.</summary>
    public async IAsyncEnumerable<string> ListKeysAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var folder in Directory.EnumerateDirectories(_root).Order(StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var fanOut = Path.GetFileName(folder);
            if (fanOut.Length != 2 || !fanOut.All(char.IsAsciiHexDigitLower))
            {
                continue;
            }

            var keys = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var file in Directory.EnumerateFiles(folder))
            {
                var name = Path.GetFileName(file);
                if (name.EndsWith(TemporarySuffix, StringComparison.Ordinal))
                {
                    RemoveIfStale(file);
                    continue;
                }

                var dot = name.IndexOf('.', StringComparison.Ordinal);
                if (dot == 64 && IsKey(name[..dot]) && name[..dot].StartsWith(fanOut, StringComparison.Ordinal) && KindOf(name[(dot + 1)..]) is not null)
                {
                    keys.Add(name[..dot]);
                }
            }

            foreach (var key in keys)
            {
                yield return key;
            }

            await Task.Yield();
        }
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage(
        "Performance",
        "CA1849:Call async methods when in an async method",
        Justification = "Only Flush(true) reaches the disk (fsync); FlushAsync empties the buffer but does not sync.")]
    private static async Task WriteAtomicallyAsync(string path, Func<FileStream, CancellationToken, ValueTask> write, CancellationToken cancellationToken)
    {
        var folder = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(folder))
        {
            Directory.CreateDirectory(folder);
            DirectorySync.Flush(Path.GetDirectoryName(folder)!);
        }
        var temporary = Path.Combine(folder, $"{Path.GetFileName(path)}.{Guid.NewGuid():N}{TemporarySuffix}");
        try
        {
            var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0, FileOptions.Asynchronous);
            await using (stream.ConfigureAwait(false))
            {
                await write(stream, cancellationToken).ConfigureAwait(false);
                // The bytes must be on disk before the name points at them, or a power cut could leave the final name on an empty file.
                stream.Flush(flushToDisk: true);
            }

            // Overwrite: a concurrent writer of the same key may have renamed first; its bytes are the same.
            File.Move(temporary, path, overwrite: true);
            DirectorySync.Flush(folder);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    private void RemoveIfStale(string file)
    {
        try
        {
            if (_time.GetUtcNow() - File.GetLastWriteTimeUtc(file) > StaleTemporaryAge)
            {
                File.Delete(file);
            }
        }
        catch (IOException)
        {
            // A file that vanished or is in use is not ours to clean up now.
        }
    }

    private string PathOf(string sha256, BlobKind kind)
    {
        if (!IsKey(sha256))
        {
            throw new ArgumentException("A blob key is 64 lower-case hex digits (a SHA-256).", nameof(sha256));
        }

        return Path.Combine(_root, sha256[..2], $"{sha256}.{Extension(kind)}");
    }

    private static void VerifyHash(string sha256, byte[] actual)
    {
        var hex = Convert.ToHexStringLower(actual);
        if (!string.Equals(hex, sha256, StringComparison.Ordinal))
        {
            throw new ArgumentException($"The content's SHA-256 is {hex}, not the key {sha256}.", nameof(sha256));
        }
    }

    private static bool IsKey(string? value) => value is { Length: 64 } && value.All(char.IsAsciiHexDigitLower);

    private static string Extension(BlobKind kind) => kind switch
    {
        BlobKind.Original => "original",
        BlobKind.Thumbnail => "thumbnail",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown blob kind."),
    };

    private static BlobKind? KindOf(string extension) => extension switch
    {
        "original" => BlobKind.Original,
        "thumbnail" => BlobKind.Thumbnail,
        _ => null,
    };
}
