using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SearchService.Api.Ingest;
using SearchService.Core.Ingest;
using SearchService.Core.Storage;
using SearchService.Storage.Sqlite.Jobs;
using Xunit;

namespace SearchService.Api.Tests.Ingest;

/// <summary>Jobs under failing stores, racing requests, interrupted uploads, start-up and shutdown.</summary>
public sealed class IngestRobustnessTests
{
    private static readonly JsonSerializerOptions Json = IngestJobCalls.Json;

    [Fact]
    public async Task A_store_that_fails_transiently_pauses_the_job_and_nothing_is_lost()
    {
        FlakyVectorStore? vectors = null;
        using var factory = new IngestServiceFactory
        {
            // Batch 1 is stored, then three upserts in a row fail as while Qdrant restarts, then it is back.
            ExtraServices = services => services.Decorate<IVectorStore>(inner => vectors = new FlakyVectorStore(inner, failFrom: 2, failures: 3, transient: true)),
        };
        factory.Settings["Ingest:StoreRetryDelayMilliseconds"] = "20";
        using var client = factory.CreateAuthorizedClient();
        var files = Enumerable.Range(0, 12).Select(i => ($"{i:D2}.png", TestImages.Png(i))).ToArray();

        var job = await CompleteAsync(client, await StartUploadAsync(client, files));

        Assert.Equal(3, vectors!.Failed);
        Assert.Equal("completed", job.State);
        Assert.Null(job.Error);
        Assert.Equal(new IngestTotalsResponse(12, 0, 12, 0, 0, 0), job.Totals);
        var records = await factory.RecordsAsync();
        Assert.Equal(files.Select(f => TestImages.Sha256(f.Item2)).Order(), records.Select(r => r.Sha256).Order());
        Assert.Equal(12, await factory.VectorCountAsync());
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(factory.DataPath, "spool")));
    }

    [Fact]
    public async Task A_store_that_refuses_for_good_fails_the_job_with_its_reason()
    {
        using var factory = new IngestServiceFactory
        {
            ExtraServices = services => services.Decorate<IVectorStore>(inner => new FlakyVectorStore(inner, failFrom: 1, failures: int.MaxValue / 2, transient: false)),
        };
        using var client = factory.CreateAuthorizedClient();

        var job = await CompleteAsync(client, await StartUploadAsync(client, ("a.png", TestImages.Png(1)), ("b.png", TestImages.Png(2))));

        Assert.Equal("failed", job.State);
        Assert.Contains("the store is restarting", job.Error, StringComparison.Ordinal);
        Assert.Empty(await factory.RecordsAsync());
    }

    public static TheoryData<Exception, bool> Failures => new()
    {
        { new VectorStoreException("timed out", isTransient: true), true },
        { new VectorStoreException("dimension mismatch", isTransient: false), false },
        { new SqliteException("database is locked", 5), true },
        { new SqliteException("database table is locked", 6), true },
        { new SqliteException("disk I/O error", 10), false },
        { new InvalidOperationException("wrapped", new SqliteException("database is locked", 5)), true },
        { new InvalidOperationException("a bug"), false },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    internal void Only_failures_that_pass_by_themselves_count_as_transient(Exception failure, bool transient) =>
        Assert.Equal(transient, TransientStoreFailure.Is(failure));

    [Fact]
    public async Task A_job_cancelled_while_the_runner_picks_it_up_is_not_run()
    {
        var hooks = new JobStoreHooks();
        using var factory = new IngestServiceFactory
        {
            ExtraServices = services => services.Decorate<IIngestJobStore>(inner => new HookedJobStore(inner, hooks)),
        };
        using var client = factory.CreateAuthorizedClient();
        var snapshotTaken = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var nextList = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        hooks.AfterListUnfinished = async jobs =>
        {
            if (snapshotTaken.Task.IsCompleted)
            {
                nextList.TrySetResult();
            }
            else if (jobs.Any(job => job is { State: IngestJobState.Queued, Enumerated: true }))
            {
                // The runner holds a snapshot that lists the job as queued; the cancel happens now.
                snapshotTaken.TrySetResult();
                await release.Task;
            }
        };

        var started = await StartUploadAsync(client, ("a.png", TestImages.Png(1)), ("b.png", TestImages.Png(2)));
        await snapshotTaken.Task.WaitAsync(TimeSpan.FromSeconds(30));
        using var cancel = await client.DeleteAsync($"/api/ingest/jobs/{started.Id}");
        release.SetResult();
        await nextList.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        var job = await GetJobAsync(client, started.Id);
        Assert.Equal("cancelled", job.State);
        Assert.Equal(2, job.Totals.Queued);
        Assert.Empty(await factory.RecordsAsync());
        using var again = await client.DeleteAsync($"/api/ingest/jobs/{started.Id}");
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [Fact]
    public async Task An_upload_whose_files_cannot_be_recorded_ends_failed_instead_of_queued()
    {
        var hooks = new JobStoreHooks { BeforeAddFiles = () => throw new IOException("the job database went away") };
        using var factory = new IngestServiceFactory
        {
            ExtraServices = services => services.Decorate<IIngestJobStore>(inner => new HookedJobStore(inner, hooks)),
        };
        using var client = factory.CreateAuthorizedClient();

        using var response = await PostUploadAsync(client, ("a.png", TestImages.Png(1)));
        var page = await client.GetFromJsonAsync<IngestJobPage>("/api/ingest/jobs", Json);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var job = Assert.Single(page!.Items);
        Assert.Equal("failed", job.State);
        Assert.Equal(IngestJobRunner.InterruptedUpload, job.Error);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(factory.DataPath, "spool")));
    }

    [Fact]
    public async Task Recovery_is_done_before_the_first_request_is_served()
    {
        var hooks = new JobStoreHooks();
        using var factory = new IngestServiceFactory
        {
            ExtraServices = services => services.Decorate<IIngestJobStore>(inner => new HookedJobStore(inner, hooks)),
        };

        // What a crash mid-upload leaves: a job row never marked enumerated, its spool folder, and a spool folder without a job.
        var interrupted = Guid.NewGuid();
        var spool = Path.Combine(factory.DataPath, "spool");
        Directory.CreateDirectory(Path.Combine(spool, interrupted.ToString("N")));
        Directory.CreateDirectory(Path.Combine(spool, Guid.NewGuid().ToString("N")));
        using (var store = new SqliteIngestJobStore(Path.Combine(factory.DataPath, "jobs.db"), TimeProvider.System))
        {
            var source = new IngestSource(IngestSourceKind.Upload, Path.Combine(spool, interrupted.ToString("N")), false, []);
            await store.CreateAsync(interrupted, source, enumerated: false, CancellationToken.None);
        }

        // Recovery is slow to sweep after taking its snapshot, so any request served meanwhile would meet it.
        var lists = 0;
        hooks.AfterListUnfinished = _ => Interlocked.Increment(ref lists) == 1 ? Task.Delay(TimeSpan.FromSeconds(1.5)) : Task.CompletedTask;
        using var client = factory.CreateAuthorizedClient();

        var seen = await GetJobAsync(client, interrupted);
        var files = Enumerable.Range(0, 4).Select(i => ($"{i}.png", TestImages.Png(i))).ToArray();
        var job = await CompleteAsync(client, await StartUploadAsync(client, files));

        Assert.Equal("failed", seen.State);
        Assert.Equal(IngestJobRunner.InterruptedUpload, seen.Error);
        Assert.Equal("completed", job.State);
        Assert.Equal(new IngestTotalsResponse(4, 0, 4, 0, 0, 0), job.Totals);
        Assert.Empty(Directory.EnumerateFileSystemEntries(spool));
    }

    [Fact]
    public async Task An_open_events_stream_ends_when_the_service_stops()
    {
        using var factory = new IngestServiceFactory { EncodeDelay = TimeSpan.FromSeconds(1) };
        using var client = factory.CreateAuthorizedClient();
        var files = Enumerable.Range(0, 40).Select(i => ($"{i:D2}.png", TestImages.Png(i))).ToArray();
        var started = await StartUploadAsync(client, files);
        using var response = await client.GetAsync($"/api/ingest/jobs/{started.Id}/events", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var events = new List<string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (events.Count == 0 && await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                events.Add(line["event: ".Length..]);
            }
        }

        factory.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        // Ten batches of a second each are left: a stream that waits for the job would still be open at this bound.
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(4));
        while (await reader.ReadLineAsync(bound.Token) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                events.Add(line["event: ".Length..]);
            }
        }

        Assert.Equal("progress", events[^1]);
        Assert.DoesNotContain("end", events);
    }

    private static Task<IngestJobResponse> StartUploadAsync(HttpClient client, params (string Name, byte[] Content)[] files) => client.StartUploadJobAsync(files);

    private static Task<HttpResponseMessage> PostUploadAsync(HttpClient client, params (string Name, byte[] Content)[] files) => client.PostUploadJobAsync(files);

    private static Task<IngestJobResponse> GetJobAsync(HttpClient client, Guid id) => client.GetJobAsync(id);

    private static Task<IngestJobResponse> CompleteAsync(HttpClient client, IngestJobResponse started) => client.CompleteAsync(started);
}
