using System.Net;
using System.Net.Http.Json;
using System.Text;
using SearchService.Api.Contracts;
using SearchService.Api.Tests.Http;
using SearchService.Api.Tests.Ingest;
using Xunit;

namespace SearchService.Api.Tests.Integration;

/// <summary>Bad uploads get problem+json with the right status and leave the catalog, the vectors and the blob folder as they were.</summary>
public sealed class UploadValidationTests : IClassFixture<UploadValidationTests.Service>
{
    private const int BodyLimit = 1024 * 1024;

    private readonly Service _service;

    public UploadValidationTests(Service service) => _service = service;

    public static TheoryData<string, byte[], HttpStatusCode> BadFiles => new()
    {
        { "empty", [], HttpStatusCode.BadRequest },
        { "random bytes", RandomBytes(4096, seed: 7), HttpStatusCode.UnsupportedMediaType },
        { "truncated PNG", TestImages.TruncatedPng(3), HttpStatusCode.BadRequest },
        { "SVG/HTML polyglot", Encoding.UTF8.GetBytes(
            "<!DOCTYPE html><html><body><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"64\" height=\"64\">" +
            "<rect width=\"64\" height=\"64\" fill=\"red\"/><script>alert(document.cookie)</script></svg></body></html>"), HttpStatusCode.UnsupportedMediaType },
        { "PNG header claiming 100000 x 100000", TestImages.PngClaiming(100_000, 100_000), HttpStatusCode.RequestEntityTooLarge },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public async Task A_bad_upload_is_a_problem_and_stores_nothing(string name, byte[] content, HttpStatusCode status)
    {
        using var writer = await _service.WriterWithOneImageAsync();
        var before = await _service.StoredStateAsync();

        using var response = await writer.PostImagesAsync([new UploadPart(name + ".png", content, "image/png")]);

        var problem = await ApiCalls.AssertProblemAsync(response, status);
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
        Assert.Equal(before, await _service.StoredStateAsync());
    }

    [Theory]
    [MemberData(nameof(BadFiles))]
    public async Task A_bad_query_image_is_a_problem_and_stores_nothing(string name, byte[] content, HttpStatusCode status)
    {
        using var client = _service.CreateClient();
        (await _service.WriterWithOneImageAsync()).Dispose();
        var before = await _service.StoredStateAsync();

        using var form = ApiCalls.Form([new UploadPart(name, content)], field: "file");
        using var response = await client.PostAsync("/api/search/image", form);

        await ApiCalls.AssertProblemAsync(response, status);
        Assert.Equal(before, await _service.StoredStateAsync());
    }

    [Fact]
    public async Task A_body_over_the_limit_is_413_and_stores_nothing()
    {
        using var writer = await _service.WriterWithOneImageAsync();
        var before = await _service.StoredStateAsync();

        using var response = await writer.PostImagesAsync([new UploadPart("big.png", RandomBytes(BodyLimit + 64 * 1024, seed: 1), "image/png")]);

        await ApiCalls.AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(before, await _service.StoredStateAsync());
    }

    [Fact]
    public async Task In_a_mixed_upload_only_the_good_file_is_stored_and_the_bad_one_has_its_error()
    {
        using var writer = await _service.WriterWithOneImageAsync();
        var before = await _service.StoredStateAsync();
        var good = TestImages.Png(seed: 4242);

        using var response = await writer.PostImagesAsync([new UploadPart("good.png", good), new UploadPart("bad.png", RandomBytes(100, seed: 2))]);
        var upload = (await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<UploadResponse>(response.Content, ApiCalls.Json))!;

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal((1, 0, 1), (upload.Created, upload.Duplicates, upload.Failed));
        Assert.Equal(TestImages.Sha256(good), upload.Items[0].Sha256);
        Assert.Equal(415, upload.Items[1].Error!.Status);
        var after = await _service.StoredStateAsync();
        Assert.Equal((before.Images + 1, before.Vectors + 1), (after.Images, after.Vectors));
        Assert.Equal(2, after.Files.Except(before.Files).Count());
    }

    [Fact]
    public async Task Writes_without_the_key_are_refused_and_store_nothing()
    {
        using var anonymous = _service.CreateClient();
        var before = await _service.StoredStateAsync();

        using var response = await anonymous.PostImagesAsync([new UploadPart("a.png", TestImages.Png(seed: 99))]);

        await ApiCalls.AssertProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal(before, await _service.StoredStateAsync());
    }

    [Fact]
    public async Task A_null_metadata_value_is_a_problem_and_stores_nothing()
    {
        using var writer = await _service.WriterWithOneImageAsync();
        var before = await _service.StoredStateAsync();

        using var response = await writer.PostImagesAsync(
            [new UploadPart("nulls.png", TestImages.Png(seed: 5))],
            new Dictionary<string, string> { ["metadata"] = """{"album":null}""" });

        var problem = await ApiCalls.AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("'album' is null", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, await _service.StoredStateAsync());
    }

    [Fact]
    public async Task Malformed_requests_outside_uploads_are_400_problems()
    {
        using var client = _service.CreateClient();

        using var classify = await client.PostAsync("/api/classify", new StringContent("""{"imageId": "not-a-guid", "labels": ["a"]}""", Encoding.UTF8, "application/json"));
        using var truncated = await client.PostAsync("/api/classify", new StringContent("""{"imageId": """, Encoding.UTF8, "application/json"));
        var manyTags = string.Join('&', Enumerable.Range(0, 101).Select(i => $"tags=t{i}"));
        using var search = await client.GetAsync($"/api/search?q=circle&{manyTags}");
        using var listing = await client.GetAsync($"/api/images?{manyTags.Replace("tags=", "tagsAll=", StringComparison.Ordinal)}");

        await ApiCalls.AssertProblemAsync(classify, HttpStatusCode.BadRequest);
        await ApiCalls.AssertProblemAsync(truncated, HttpStatusCode.BadRequest);
        await ApiCalls.AssertProblemAsync(search, HttpStatusCode.BadRequest);
        await ApiCalls.AssertProblemAsync(listing, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Patches_cannot_grow_metadata_past_the_upload_limit()
    {
        using var writer = _service.CreateWriter();
        var stored = Assert.Single(await writer.UploadAsync([new UploadPart("grown.png", TestImages.Png(seed: 6))]));
        var url = $"/api/images/{stored.Id}";
        static Dictionary<string, string?> Entries(int from, int count) =>
            Enumerable.Range(from, count).ToDictionary(i => $"k{i}", i => (string?)"v");

        using var first = await writer.PatchAsJsonAsync(url, new { metadata = Entries(0, 60) });
        using var second = await writer.PatchAsJsonAsync(url, new { metadata = Entries(60, 60) });
        var removing = Entries(60, 60);
        foreach (var key in Entries(0, 30).Keys)
        {
            removing[key] = null;
        }

        using var third = await writer.PatchAsJsonAsync(url, new { metadata = removing });
        var image = await writer.GetJsonAsync<ImageDto>(url);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        await ApiCalls.AssertProblemAsync(second, HttpStatusCode.BadRequest);
        Assert.Equal(HttpStatusCode.OK, third.StatusCode);
        Assert.Equal(90, image.Metadata.Count);
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>The real service with a 1 MiB body limit.</summary>
    public sealed class Service : ApiFactory
    {
        public Service() => Settings["Limits:MaxUploadBytes"] = BodyLimit.ToString(System.Globalization.CultureInfo.InvariantCulture);

        /// <summary>A writer, with at least one image stored so that "unchanged" is not trivially "empty".</summary>
        public async Task<HttpClient> WriterWithOneImageAsync()
        {
            var writer = CreateWriter();
            await writer.UploadAsync([new UploadPart("base.png", TestImages.Png(seed: 1))]);
            return writer;
        }
    }
}
