using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SearchService.Api.Ingest;
using Xunit;


namespace SearchService.Api.Tests.Ingest;

public sealed class IngestApiTests : IDisposable
{
    private static readonly JsonSerializerOptions Json = IngestJobCalls.Json;

    private readonly IngestServiceFactory _factory = new();
    private readonly HttpClient _client;

    public IngestApiTests()
    {
        _client = _factory.CreateAuthorizedClient();
    }

    public void Dispose()
    {
        _client.Dispose();
        _factory.Dispose();
    }

    [Fact]
    public async Task Zip_archive_job_stores_each_distinct_image_once()
    {
        var images = Enumerable.Range(0, 6).Select(i => ($"album/{i:D2}.png", TestImages.Png(i))).ToList();
        images.Add(("album/copy-of-00.png", images[0].Item2));
        images.Add(("__MACOSX/album/._00.png", [0, 5, 22, 7]));

        var job = await CompleteAsync(await StartUploadAsync(("photos.zip", TestImages.Zip(images))));

        Assert.Equal("completed", job.State);
        Assert.Equal(new IngestTotalsResponse(7, 0, 6, 1, 0, 0), job.Totals);
        var records = await _factory.RecordsAsync();
        Assert.Equal(6, records.Count);
        Assert.Equal(images.Take(6).Select(i => TestImages.Sha256(i.Item2)).Order(), records.Select(r => r.Sha256).Order());
        Assert.Contains(records, record => record.FileName == "album/03.png");
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_factory.DataPath, "spool")));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Tar_archive_job_stores_its_images(bool gzip)
    {
        var images = Enumerable.Range(10, 5).Select(i => ($"{i}.png", TestImages.Png(i))).ToList();

        var job = await CompleteAsync(await StartUploadAsync((gzip ? "photos.tar.gz" : "photos.tar", TestImages.Tar(images, gzip))));

        Assert.Equal(new IngestTotalsResponse(5, 0, 5, 0, 0, 0), job.Totals);
        Assert.Equal(5, (await _factory.RecordsAsync()).Count);
    }

    [Fact]
    public async Task Many_files_upload_with_tags_becomes_one_job()
    {
        var files = Enumerable.Range(20, 12).Select(i => ($"img-{i}.png", TestImages.Png(i))).ToArray();

        var job = await CompleteAsync(await StartUploadAsync(files, tags: "holiday, 2024"));

        Assert.Equal(new IngestTotalsResponse(12, 0, 12, 0, 0, 0), job.Totals);
        var records = await _factory.RecordsAsync();
        Assert.Equal(12, records.Count);
        Assert.All(records, record => Assert.Equal(["holiday", "2024"], record.Tags));
        Assert.All(records, record => Assert.Equal(job.Id.ToString(), record.Metadata["ingest_job"]));
        Assert.Equal(12, await _factory.VectorCountAsync());
    }

    [Theory]
    [InlineData("../escape.png")]
    [InlineData("/etc/escape.png")]
    [InlineData("a/../../escape.png")]
    public async Task Archive_entry_that_climbs_out_is_refused_with_problem_details(string entryName)
    {
        var zip = TestImages.Zip([("ok.png", TestImages.Png(1)), (entryName, TestImages.Png(2))]);

        using var response = await PostUploadAsync(("evil.zip", zip));

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "outside the archive");
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_factory.DataPath, "spool")));
        Assert.False(File.Exists(Path.Combine(_factory.DataPath, "escape.png")));
    }

    [Fact]
    public async Task Zip_bomb_is_refused_by_its_compression_ratio()
    {
        var zip = TestImages.Zip([("bomb.png", new byte[8 * 1024 * 1024])]);
        Assert.True(zip.Length < 100 * 1024);

        using var response = await PostUploadAsync(("bomb.zip", zip));

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "zip bomb");
    }

    [Fact]
    public async Task Writes_need_the_api_key()
    {
        using var anonymous = _factory.CreateClient();
        using var response = await anonymous.PostAsJsonAsync("/api/ingest/jobs", new { path = _factory.AllowedRoot });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Folder_job_inside_an_allowed_root_reads_subfolders()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_factory.AllowedRoot, "photos")).FullName;
        WriteImages(folder, 0, 3);
        WriteImages(Directory.CreateDirectory(Path.Combine(folder, "2023")).FullName, 3, 2);
        await File.WriteAllTextAsync(Path.Combine(folder, "notes.txt"), "not an image");

        var job = await CompleteAsync(await StartFolderAsync(folder));
        var flat = await CompleteAsync(await StartFolderAsync(folder, recursive: false));

        Assert.Equal(new IngestTotalsResponse(5, 0, 5, 0, 0, 0), job.Totals);
        Assert.Equal(folder, job.Path);
        Assert.Equal(3, flat.Totals.Total);
        Assert.Equal(5, (await _factory.RecordsAsync()).Count);
    }

    [Fact]
    public async Task Folders_outside_the_allowed_roots_are_refused()
    {
        WriteImages(_factory.Outside, 0, 1);
        var link = Path.Combine(_factory.AllowedRoot, "sneaky");
        Directory.CreateSymbolicLink(link, _factory.Outside);

        foreach (var path in new[] { _factory.Outside, Path.Combine(_factory.AllowedRoot, "..", Path.GetFileName(_factory.Outside)), link, Path.Combine(link, "."), "relative/path" })
        {
            using var response = await _client.PostAsJsonAsync("/api/ingest/jobs", new { path });
            await AssertProblemAsync(response, HttpStatusCode.BadRequest, null);
        }

        Assert.Empty(await _factory.RecordsAsync());
    }

    [Fact]
    public async Task Linked_files_that_lead_outside_the_root_are_left_out_of_a_scan()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_factory.AllowedRoot, "mixed")).FullName;
        WriteImages(folder, 0, 2);
        WriteImages(_factory.Outside, 50, 1);
        File.CreateSymbolicLink(Path.Combine(folder, "outside.png"), Path.Combine(_factory.Outside, "50.png"));
        File.CreateSymbolicLink(Path.Combine(folder, "inside.png"), Path.Combine(folder, "00.png"));

        var job = await CompleteAsync(await StartFolderAsync(folder));

        Assert.Equal(3, job.Totals.Total);
        Assert.Equal(2, job.Totals.Done);
        Assert.Equal(1, job.Totals.Duplicates);
        Assert.DoesNotContain(await _factory.RecordsAsync(), record => record.Sha256 == TestImages.Sha256(TestImages.Png(50)));
    }

    [Fact]
    public async Task Rerunning_a_folder_skips_unchanged_files_and_picks_up_changed_ones()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_factory.AllowedRoot, "library")).FullName;
        WriteImages(folder, 0, 6);

        var first = await CompleteAsync(await StartFolderAsync(folder));
        var decodedFirst = _factory.Prepared;
        var second = await CompleteAsync(await StartFolderAsync(folder));

        await File.WriteAllBytesAsync(Path.Combine(folder, "02.png"), TestImages.Png(102));
        File.SetLastWriteTimeUtc(Path.Combine(folder, "04.png"), DateTime.UtcNow.AddMinutes(5));
        var third = await CompleteAsync(await StartFolderAsync(folder));

        Assert.Equal(new IngestTotalsResponse(6, 0, 6, 0, 0, 0), first.Totals);
        Assert.Equal(new IngestTotalsResponse(6, 0, 0, 0, 6, 0), second.Totals);
        Assert.Equal(new IngestTotalsResponse(6, 0, 1, 0, 5, 0), third.Totals);
        Assert.Equal(decodedFirst + 1, _factory.Prepared);
        Assert.Equal(7, (await _factory.RecordsAsync()).Count);
    }

    [Fact]
    public async Task Bad_files_fail_with_reasons_and_the_job_completes()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_factory.AllowedRoot, "damaged")).FullName;
        WriteImages(folder, 0, 4);
        await File.WriteAllBytesAsync(Path.Combine(folder, "10-truncated.png"), TestImages.TruncatedPng(9));
        await File.WriteAllTextAsync(Path.Combine(folder, "11-text.png"), "this is text, not an image");
        await File.WriteAllBytesAsync(Path.Combine(folder, "12-empty.jpg"), []);

        var job = await CompleteAsync(await StartFolderAsync(folder));
        var firstPage = await GetJobAsync(job.Id, "?errorsLimit=2");
        var secondPage = await GetJobAsync(job.Id, $"?errorsLimit=2&errorsAfter={firstPage.Errors!.NextCursor}");

        Assert.Equal("completed", job.State);
        Assert.Equal(new IngestTotalsResponse(7, 0, 4, 0, 0, 3), job.Totals);
        var errors = firstPage.Errors.Items.Concat(secondPage.Errors!.Items).ToArray();
        Assert.Equal(["10-truncated.png", "11-text.png", "12-empty.jpg"], errors.Select(e => e.Name));
        Assert.Contains("truncated", errors[0].Reason, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("not a JPEG, PNG", errors[1].Reason, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("empty", errors[2].Reason, StringComparison.OrdinalIgnoreCase);
        Assert.Null(secondPage.Errors.NextCursor);
    }

    [Fact]
    public async Task Delete_cancels_a_running_job()
    {
        _factory.EncodeDelay = TimeSpan.FromMilliseconds(300);
        var folder = Directory.CreateDirectory(Path.Combine(_factory.AllowedRoot, "big")).FullName;
        WriteImages(folder, 0, 40);
        var started = await StartFolderAsync(folder);
        await WaitUntilAsync(async () => (await GetJobAsync(started.Id, "")).Totals.Done > 0);

        using var response = await _client.DeleteAsync($"/api/ingest/jobs/{started.Id}");
        var cancelled = await response.Content.ReadFromJsonAsync<IngestJobResponse>(Json);
        using var again = await _client.DeleteAsync($"/api/ingest/jobs/{started.Id}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("cancelled", cancelled!.State);
        Assert.True(cancelled.Totals.Queued > 0);
        Assert.Equal(cancelled.Totals.Done, (await _factory.RecordsAsync()).Count);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [Fact]
    public async Task Events_stream_reports_progress_and_ends_with_the_job()
    {
        _factory.EncodeDelay = TimeSpan.FromMilliseconds(150);
        var folder = Directory.CreateDirectory(Path.Combine(_factory.AllowedRoot, "stream")).FullName;
        WriteImages(folder, 0, 16);
        var started = await StartFolderAsync(folder);

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/ingest/jobs/{started.Id}/events");
        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var events = new List<(string Type, IngestJobResponse Job)>();
        string? type = null;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                type = line["event: ".Length..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                events.Add((type!, JsonSerializer.Deserialize<IngestJobResponse>(line["data: ".Length..], Json)!));
            }
        }

        Assert.True(events.Count(e => e.Type == "progress") >= 2);
        Assert.Equal("end", events[^1].Type);
        Assert.Equal(new IngestTotalsResponse(16, 0, 16, 0, 0, 0), events[^1].Job.Totals);
        var done = events.Select(e => e.Job.Totals.Done).ToArray();
        Assert.Equal(done.Order(), done);
        Assert.Contains(events, e => e.Type == "progress" && e.Job.Totals.Done is > 0 and < 16);
    }

    [Fact]
    public async Task Unknown_job_is_a_404_problem()
    {
        using var response = await _client.GetAsync($"/api/ingest/jobs/{Guid.NewGuid()}");
        await AssertProblemAsync(response, HttpStatusCode.NotFound, "no ingest job");
    }

    private static void WriteImages(string folder, int firstSeed, int count)
    {
        for (var i = firstSeed; i < firstSeed + count; i++)
        {
            File.WriteAllBytes(Path.Combine(folder, $"{i:D2}.png"), TestImages.Png(i));
        }
    }

    private async Task<IngestJobResponse> StartFolderAsync(string path, bool recursive = true)
    {
        using var response = await _client.PostAsJsonAsync("/api/ingest/jobs", new { path, recursive });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var job = (await response.Content.ReadFromJsonAsync<IngestJobResponse>(Json))!;
        Assert.EndsWith($"/api/ingest/jobs/{job.Id}", response.Headers.Location!.ToString(), StringComparison.Ordinal);
        return job;
    }

    private Task<IngestJobResponse> StartUploadAsync(params (string Name, byte[] Content)[] files) => _client.StartUploadJobAsync(files);

    private Task<IngestJobResponse> StartUploadAsync((string Name, byte[] Content)[] files, string? tags) => _client.StartUploadJobAsync(files, tags);

    private Task<HttpResponseMessage> PostUploadAsync(params (string Name, byte[] Content)[] files) => _client.PostUploadJobAsync(files);

    private Task<IngestJobResponse> GetJobAsync(Guid id, string query) => _client.GetJobAsync(id, query);

    private Task<IngestJobResponse> CompleteAsync(IngestJobResponse started) => _client.CompleteAsync(started);

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the job");
            await Task.Delay(50);
        }
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string? detailContains)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal((int)status, problem.RootElement.GetProperty("status").GetInt32());
        if (detailContains is not null)
        {
            Assert.Contains(detailContains, problem.RootElement.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
        }
    }
}
