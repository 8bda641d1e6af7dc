using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using SearchService.Api.Contracts;
using Xunit;

namespace SearchService.Api.Tests.Http;

/// <summary>One file of a multipart upload.</summary>
internal sealed record UploadPart(string FileName, byte[] Content, string ContentType = "application/octet-stream");

/// <summary>The requests and checks the HTTP tests share.</summary>
internal static class ApiCalls
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    public static MultipartFormDataContent Form(IEnumerable<UploadPart> files, string field = "files", IReadOnlyDictionary<string, string>? fields = null)
    {
        var content = new MultipartFormDataContent();
        foreach (var (name, value) in fields ?? new Dictionary<string, string>())
        {
            content.Add(new StringContent(value), name);
        }

        foreach (var file in files)
        {
            var part = new ByteArrayContent(file.Content);
            part.Headers.ContentType = new MediaTypeHeaderValue(file.ContentType);
            content.Add(part, field, file.FileName);
        }

        return content;
    }

    public static async Task<HttpResponseMessage> PostImagesAsync(this HttpClient client, IEnumerable<UploadPart> files, IReadOnlyDictionary<string, string>? fields = null)
    {
        using var form = Form(files, fields: fields);
        return await client.PostAsync("/api/images", form);
    }

    /// <summary>Uploads files that must all be accepted; returns the per-file items in order.</summary>
    public static async Task<IReadOnlyList<UploadItemDto>> UploadAsync(this HttpClient client, IEnumerable<UploadPart> files, IReadOnlyDictionary<string, string>? fields = null)
    {
        using var response = await client.PostImagesAsync(files, fields);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        var upload = JsonSerializer.Deserialize<UploadResponse>(body, Json)!;
        Assert.All(upload.Items, item => Assert.Null(item.Error));
        return upload.Items;
    }

    public static async Task<T> GetJsonAsync<T>(this HttpClient client, string url)
    {
        using var response = await client.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {url}: {(int)response.StatusCode} {body}");
        return JsonSerializer.Deserialize<T>(body, Json)!;
    }

    public static async Task<T> PostJsonAsync<T>(this HttpClient client, string url, object body)
    {
        using var response = await client.PostAsJsonAsync(url, body, Json);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"POST {url}: {(int)response.StatusCode} {text}");
        return JsonSerializer.Deserialize<T>(text, Json)!;
    }

    /// <summary>The response is problem+json with this status; returns the document.</summary>
    public static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement.Clone();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        return problem;
    }
}
