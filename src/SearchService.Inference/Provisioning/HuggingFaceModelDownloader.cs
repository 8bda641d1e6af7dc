using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using SearchService.Inference.Models;

namespace SearchService.Inference.Provisioning;

/// <summary>
/// Downloads a model in Immich's layout from Hugging Face (<c>{base}/{name}/resolve/main/{file}</c>) or a mirror laid
/// out the same way. Files land in a hidden folder beside the target, which is renamed into place only when every
/// file is complete and verified: the target folder is either absent or whole. Redirects are followed by hand so the
/// <c>X-Linked-Etag</c> (SHA-256) and <c>X-Linked-Size</c> that Hugging Face puts on the first answer are checked.
/// </summary>
public sealed class HuggingFaceModelDownloader(HttpClient http, ILogger<HuggingFaceModelDownloader> logger)
{
    private const int MaxRedirects = 10;
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan AbandonedAfter = TimeSpan.FromHours(1);

    /// <summary>The handler the client needs: redirects are followed here, not by the handler.</summary>
    public static SocketsHttpHandler CreateHandler() => new()
    {
        AllowAutoRedirect = false,
        ConnectTimeout = TimeSpan.FromSeconds(30),
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    };

    /// <summary>Downloads every file of the layout into <paramref name="targetFolder"/>, which must not exist yet.</summary>
    /// <exception cref="ModelDownloadException">Unreachable, refused, truncated or corrupt; the target folder is not created.</exception>
    public async Task DownloadAsync(Uri baseUrl, string name, string targetFolder, TimeSpan stallTimeout, CancellationToken cancellationToken)
    {
        targetFolder = Path.GetFullPath(targetFolder);
        var root = Path.GetDirectoryName(targetFolder)!;
        Directory.CreateDirectory(root);
        RemoveAbandonedDownloads(root, name);
        var staging = Path.Combine(root, $".{name}.download-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            var modelUrl = new Uri(baseUrl.AbsoluteUri.TrimEnd('/') + "/" + Uri.EscapeDataString(name) + "/resolve/main/");
            foreach (var file in ModelLayout.RequiredFiles)
            {
                await DownloadFileAsync(new Uri(modelUrl, file), file, Path.Combine(staging, file), required: true, stallTimeout, cancellationToken);
            }

            foreach (var file in ModelLayout.OptionalFiles)
            {
                await DownloadFileAsync(new Uri(modelUrl, file), file, Path.Combine(staging, file), required: false, stallTimeout, cancellationToken);
            }

            try
            {
                Directory.Move(staging, targetFolder);
            }
            catch (IOException error) when (Directory.Exists(targetFolder))
            {
                throw new ModelDownloadException($"{targetFolder} appeared while the model was downloading; leaving it as it is.", error);
            }
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    private async Task DownloadFileAsync(Uri url, string file, string destination, bool required, TimeSpan stallTimeout, CancellationToken cancellationToken)
    {
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            string? expectedSha256 = null;
            long? expectedLength = null;
            var current = url;
            for (var hop = 0; ; hop++)
            {
                stall.CancelAfter(stallTimeout);
                using var response = await GetHeadersAsync(current, stall.Token);

                // Hugging Face states the LFS object's hash and size on the answer that redirects to its CDN.
                expectedSha256 ??= LinkedSha256(response);
                expectedLength ??= LinkedSize(response);
                if (IsRedirect(response.StatusCode))
                {
                    var location = response.Headers.Location ?? throw new ModelDownloadException($"{current} redirected without a Location.");
                    if (hop >= MaxRedirects)
                    {
                        throw new ModelDownloadException($"{url} redirected more than {MaxRedirects} times.");
                    }

                    current = new Uri(current, location);
                    continue;
                }

                if (response.StatusCode == HttpStatusCode.NotFound && !required)
                {
                    return;
                }

                if (!response.IsSuccessStatusCode)
                {
                    throw new ModelDownloadException($"{current} answered {(int)response.StatusCode} {response.ReasonPhrase}.");
                }

                expectedLength ??= response.Content.Headers.ContentLength;
                await SaveAsync(response, file, destination, expectedLength, expectedSha256, stall, stallTimeout, cancellationToken);
                return;
            }
        }
        catch (OperationCanceledException error) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ModelDownloadException($"{url}: nothing received for {stallTimeout.TotalSeconds:F0} s.", error);
        }
        catch (HttpRequestException error)
        {
            throw new ModelDownloadException($"{url}: {error.Message}", error);
        }
        catch (IOException error) when (error is not FileNotFoundException)
        {
            throw new ModelDownloadException($"{url}: {error.Message}", error);
        }
    }

    private async Task<HttpResponseMessage> GetHeadersAsync(Uri url, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
    }

    private async Task SaveAsync(
        HttpResponseMessage response, string file, string destination, long? expectedLength, string? expectedSha256, CancellationTokenSource stall, TimeSpan stallTimeout, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var stopwatch = Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        long received = 0;
        var buffer = new byte[1 << 16];
        await using (var source = await response.Content.ReadAsStreamAsync(stall.Token))
        await using (var target = new FileStream(destination, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
        {
            while (true)
            {
                stall.CancelAfter(stallTimeout);
                var read = await source.ReadAsync(buffer, stall.Token);
                if (read == 0)
                {
                    break;
                }

                hash.AppendData(buffer, 0, read);
                await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                received += read;
                if (expectedLength is > 0 && stopwatch.Elapsed - lastReport >= ProgressInterval)
                {
                    lastReport = stopwatch.Elapsed;
                    InferenceLog.DownloadProgress(logger, file, (int)(100 * received / expectedLength.Value), expectedLength.Value / 1e6);
                }
            }

            await target.FlushAsync(cancellationToken);
        }

        if (expectedLength is { } length && received != length)
        {
            throw new ModelDownloadException($"{file}: received {received} bytes, expected {length}.");
        }

        var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
        if (expectedSha256 is not null && !string.Equals(actual, expectedSha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new ModelDownloadException($"{file}: SHA-256 {actual} does not match the published {expectedSha256}.");
        }

        InferenceLog.DownloadedFile(logger, file, received / 1e6, stopwatch.Elapsed.TotalSeconds);
    }

    private static bool IsRedirect(HttpStatusCode status) => (int)status is 301 or 302 or 303 or 307 or 308;

    private static string? LinkedSha256(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("X-Linked-Etag", out var values))
        {
            return null;
        }

        var etag = values.First().Trim().TrimStart('W', '/').Trim('"');
        return etag.Length == 64 && etag.All(Uri.IsHexDigit) ? etag.ToLowerInvariant() : null;
    }

    private static long? LinkedSize(HttpResponseMessage response) =>
        response.Headers.TryGetValues("X-Linked-Size", out var values)
        && long.TryParse(values.First(), NumberStyles.None, CultureInfo.InvariantCulture, out var size) ? size : null;

    /// <summary>Staging folders of downloads that died with their process (an hour old: not another instance's live download).</summary>
    private void RemoveAbandonedDownloads(string root, string name)
    {
        foreach (var folder in Directory.EnumerateDirectories(root, $".{name}.download-*"))
        {
            try
            {
                if (DateTime.UtcNow - Directory.GetLastWriteTimeUtc(folder) > AbandonedAfter)
                {
                    Directory.Delete(folder, recursive: true);
                    InferenceLog.RemovedStaleDownload(logger, folder);
                }
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                InferenceLog.StaleDownloadNotRemoved(logger, folder, error.Message);
            }
        }
    }
}
