using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using SearchService.Api.Tests.Ingest;
using SearchService.Api.Tests.Support;
using SearchService.Core.Storage;
using SearchService.Testing;
using Xunit;
using Xunit.Abstractions;

namespace SearchService.Api.Tests.Restart;

/// <summary>
/// The real service process (libvips, ONNX Runtime with the demo model, the embedded store, the SQLite job store)
/// killed with SIGKILL in the middle of work, then started again on the same data folder. What it acknowledged
/// must be there and complete, what it had not finished must be finished exactly once, and nothing half-written
/// may remain.
/// </summary>
public sealed class ProcessKillTests(ITestOutputHelper log) : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly string _data = Directory.CreateTempSubdirectory("kill-data-").FullName;
    private readonly string _root = Directory.CreateTempSubdirectory("kill-root-").FullName;

    public void Dispose()
    {
        Directory.Delete(_data, recursive: true);
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task A_folder_job_killed_in_the_middle_resumes_after_a_restart_with_exact_counts()
    {
        // 10 files ingested by an earlier job (skipped on the re-run), 66 new distinct images, 3 byte-identical
        // copies of new images, 3 broken files: 82 files, 76 distinct stored images.
        var folder = Directory.CreateDirectory(Path.Combine(_root, "photos")).FullName;
        var distinct = new List<byte[]>();
        for (var seed = 0; seed < 10; seed++)
        {
            distinct.Add(WriteImage(folder, $"early-{seed:D3}.png", seed));
        }

        // The pipeline is slowed to one decode and small batches so that the kill lands mid-job.
        var settings = new Dictionary<string, string>
        {
            ["Ingest__DecodeConcurrency"] = "1",
            ["Ingest__ReadConcurrency"] = "1",
            ["Ingest__BatchSize"] = "2",
        };
        await using (var first = await ServiceProcess.StartAsync(_data, _root, settings))
        {
            var earlier = await WaitForFinalAsync(first, await StartFolderJobAsync(first, folder));
            Assert.Equal(10, earlier.Totals.Done);
        }

        for (var seed = 10; seed < 76; seed++)
        {
            distinct.Add(WriteImage(folder, $"new-{seed:D3}.png", seed));
        }

        for (var copy = 0; copy < 3; copy++)
        {
            File.Copy(Path.Combine(folder, $"new-{20 + copy * 10:D3}.png"), Path.Combine(folder, $"zz-copy-{copy}.png"));
        }

        File.WriteAllBytes(Path.Combine(folder, "broken-truncated.png"), TestImages.TruncatedPng(900));
        File.WriteAllText(Path.Combine(folder, "broken-text.jpg"), "not an image at all");
        File.WriteAllBytes(Path.Combine(folder, "broken-empty.png"), []);

        Guid jobId;
        JobView atKill;
        await using (var victim = await ServiceProcess.StartAsync(_data, _root, settings))
        {
            jobId = await StartFolderJobAsync(victim, folder);
            atKill = await WaitUntilAsync(victim, jobId, job => job.Totals.Done >= 20 || job.IsFinal);
            victim.Kill();
            log.WriteLine($"killed at {atKill.Totals}");
        }

        Assert.False(atKill.IsFinal, "the job finished before the kill; slow it down");
        Assert.True(atKill.Totals.Queued > 0);

        await using (var restarted = await ServiceProcess.StartAsync(_data, _root, settings))
        {
            var final = await WaitForFinalAsync(restarted, jobId);
            log.WriteLine($"after restart {final.Totals}");
            Assert.Contains("Resuming 1 unfinished ingest jobs", restarted.Output, StringComparison.Ordinal);
            Assert.Equal("completed", final.State);
            Assert.Equal(new TotalsView(82, 0, 66, 3, 10, 3), final.Totals);
        }

        await using var view = await DataFolderView.OpenAsync(_data, TestPaths.DemoModel);
        var records = await view.RecordsAsync();
        Assert.Equal(76, records.Count);
        Assert.Equal(distinct.Select(TestImages.Sha256).Order(), records.Select(record => record.Sha256).Order());
        await AssertCompleteAndNothingElseAsync(view, records);
    }

    [Fact]
    public async Task Uploads_killed_mid_stream_keep_every_acknowledged_image_whole_and_leave_no_half_written_one()
    {
        var acknowledged = new ConcurrentDictionary<Guid, string>();
        var nextSeed = 1000;
        var killing = false;
        await using (var victim = await ServiceProcess.StartAsync(_data, _root))
        {
            using var stop = new CancellationTokenSource();
            async Task UploadLoopAsync()
            {
                while (!stop.IsCancellationRequested)
                {
                    var seed = Interlocked.Increment(ref nextSeed);
                    var bytes = TestImages.Png(seed, 320, 240);
                    using var form = new MultipartFormDataContent();
                    var part = new ByteArrayContent(bytes);
                    part.Headers.ContentType = new MediaTypeHeaderValue("image/png");
                    form.Add(part, "file", $"upload-{seed}.png");
                    try
                    {
                        using var response = await victim.Client.PostAsync("api/images", form, CancellationToken.None);
                        Assert.True(response.StatusCode == HttpStatusCode.Created, $"upload {seed}: {response.StatusCode}");
                        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Json);
                        var item = body.GetProperty("items")[0];
                        acknowledged[item.GetProperty("id").GetGuid()] = item.GetProperty("sha256").GetString()!;
                    }
                    catch (HttpRequestException) when (Volatile.Read(ref killing))
                    {
                        return;
                    }
                }
            }

            var uploaders = Enumerable.Range(0, 3).Select(_ => Task.Run(UploadLoopAsync)).ToArray();
            var watch = Stopwatch.StartNew();
            while (acknowledged.Count < 25 && watch.Elapsed < TimeSpan.FromSeconds(60) && !uploaders.Any(task => task.IsFaulted))
            {
                await Task.Delay(10);
            }

            Volatile.Write(ref killing, true);
            victim.Kill();
            await stop.CancelAsync();
            await Task.WhenAll(uploaders);
            log.WriteLine($"{acknowledged.Count} acknowledged, {nextSeed - 1000} sent");
        }

        Assert.True(acknowledged.Count >= 25);
        await using (var restarted = await ServiceProcess.StartAsync(_data, _root))
        {
            // Every acknowledged image is served whole by the restarted service.
            foreach (var (id, sha256) in acknowledged)
            {
                using var original = await restarted.Client.GetAsync($"api/images/{id}/original");
                Assert.Equal(HttpStatusCode.OK, original.StatusCode);
                Assert.Equal(sha256, TestImages.Sha256(await original.Content.ReadAsByteArrayAsync()));
                using var thumbnail = await restarted.Client.GetAsync($"api/images/{id}/thumbnail");
                Assert.Equal(HttpStatusCode.OK, thumbnail.StatusCode);
            }

            log.WriteLine(string.Join('\n', restarted.Output.Split('\n').Where(line => line.Contains("orphan", StringComparison.OrdinalIgnoreCase) || line.Contains("ready", StringComparison.OrdinalIgnoreCase))));
        }

        // After the restarted service's start-up reconciliation: rows for at least every acknowledged image (an
        // upload can commit without its answer getting out), each complete, and no vector or blob without a row.
        await using var view = await DataFolderView.OpenAsync(_data, TestPaths.DemoModel);
        var records = await view.RecordsAsync();
        // xunit's Superset(a, b) holds when b ⊇ a.
        Assert.Superset(acknowledged.Keys.ToHashSet(), records.Select(record => record.Id).ToHashSet());
        await AssertCompleteAndNothingElseAsync(view, records);
    }

    // Every row has its vector, original and thumbnail; every vector and every blob belongs to a row; no bytes twice.
    private static async Task AssertCompleteAndNothingElseAsync(DataFolderView view, IReadOnlyList<ImageRecord> records)
    {
        Assert.Equal(records.Count, records.Select(record => record.Sha256).Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(records.Count, await view.Catalog.CountAsync(CancellationToken.None));
        var vectorIds = await view.VectorIdsAsync();
        Assert.Equal(records.Select(record => record.Id).Order(), vectorIds.Order());
        Assert.Equal(records.Count, await view.Vectors.CountAsync(view.Collection, null, CancellationToken.None));
        var blobKeys = await view.BlobKeysAsync();
        Assert.Equal(records.Select(record => record.Sha256).Order(StringComparer.Ordinal), blobKeys.Order(StringComparer.Ordinal));
        foreach (var record in records)
        {
            var original = view.Blobs.GetPath(record.Sha256, BlobKind.Original);
            Assert.NotNull(original);
            Assert.Equal(record.Sha256, TestImages.Sha256(await File.ReadAllBytesAsync(original)));
            Assert.NotNull(view.Blobs.GetPath(record.Sha256, BlobKind.Thumbnail));
        }
    }

    private static byte[] WriteImage(string folder, string name, int seed)
    {
        var bytes = TestImages.Png(seed, 480, 360);
        File.WriteAllBytes(Path.Combine(folder, name), bytes);
        return bytes;
    }

    private static async Task<Guid> StartFolderJobAsync(ServiceProcess service, string folder)
    {
        using var response = await service.Client.PostAsJsonAsync("api/ingest/jobs", new { path = folder, recursive = true });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JobView>(Json))!.Id;
    }

    private static Task<JobView> WaitForFinalAsync(ServiceProcess service, Guid jobId) =>
        WaitUntilAsync(service, jobId, job => job.IsFinal);

    private static async Task<JobView> WaitUntilAsync(ServiceProcess service, Guid jobId, Func<JobView, bool> condition)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var job = (await service.Client.GetFromJsonAsync<JobView>($"api/ingest/jobs/{jobId}", Json))!;
            if (condition(job))
            {
                return job;
            }

            if (watch.Elapsed > TimeSpan.FromMinutes(3) || service.HasExited)
            {
                throw new TimeoutException($"job {jobId} stuck at {job.State} {job.Totals}:\n{service.Output}");
            }

            await Task.Delay(20);
        }
    }

    private sealed record JobView(Guid Id, string State, TotalsView Totals)
    {
        public bool IsFinal => State is "completed" or "failed" or "cancelled";
    }

    private sealed record TotalsView(long Total, long Queued, long Done, long Duplicates, long Skipped, long Failed);
}
