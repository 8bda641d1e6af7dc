using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using SearchService.Api.Ingest;
using Xunit;

namespace SearchService.Api.Tests.Ingest;

/// <summary>The ingest job calls the ingest tests make: start an upload job, read a job, wait for it to end.</summary>
internal static class IngestJobCalls
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    public static async Task<IngestJobResponse> StartUploadJobAsync(this HttpClient client, (string Name, byte[] Content)[] files, string? tags = null)
    {
        using var response = await client.PostUploadJobAsync(files, tags);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<IngestJobResponse>(Json))!;
    }

    public static async Task<HttpResponseMessage> PostUploadJobAsync(this HttpClient client, (string Name, byte[] Content)[] files, string? tags = null)
    {
        using var content = new MultipartFormDataContent();
        if (tags is not null)
        {
            content.Add(new StringContent(tags), "tags");
        }

        foreach (var (name, bytes) in files)
        {
            var part = new ByteArrayContent(bytes);
            part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            content.Add(part, "files", name);
        }

        return await client.PostAsync("/api/ingest/jobs", content);
    }

    public static async Task<IngestJobResponse> GetJobAsync(this HttpClient client, Guid id, string query = "")
    {
        using var response = await client.GetAsync($"/api/ingest/jobs/{id}{query}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<IngestJobResponse>(Json))!;
    }

    /// <summary>Polls until the job has a final state (60 s at most).</summary>
    public static async Task<IngestJobResponse> CompleteAsync(this HttpClient client, IngestJobResponse started)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var job = await client.GetJobAsync(started.Id);
            if (job.State is "completed" or "failed" or "cancelled")
            {
                return job;
            }

            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for job {job.Id} ({job.State}, {job.Totals})");
            await Task.Delay(50);
        }
    }
}
