using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using SearchService.Api.Contracts;
using SearchService.Api.Tests.Http;
using SearchService.Testing;
using Xunit;

namespace SearchService.Api.Tests.Integration;

/// <summary>Duplicates, edits, deletes and file downloads, each on its own image in one real service.</summary>
public sealed class ImageLifecycleTests(ImageLifecycleTests.Service service) : IClassFixture<ImageLifecycleTests.Service>
{
    private static readonly string ShapesFolder = Path.Combine(TestPaths.Fixtures, "images", "shapes");

    [Fact]
    public async Task Uploading_the_same_bytes_again_returns_the_existing_image_and_stores_nothing()
    {
        using var writer = service.CreateWriter();
        var bytes = Shape("03-green-circle.png");
        var first = (await writer.UploadAsync([new UploadPart("first.png", bytes)]))[0];
        var before = await service.StoredStateAsync();

        using var again = await writer.PostImagesAsync([new UploadPart("second-name.png", bytes), new UploadPart("third.png", bytes)]);
        var upload = (await again.Content.ReadFromJsonAsync<UploadResponse>(ApiCalls.Json))!;

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal((0, 2, 0), (upload.Created, upload.Duplicates, upload.Failed));
        Assert.All(upload.Items, item => Assert.Equal((first.Id, true), (item.Id, item.Duplicate)));
        Assert.Equal(before, await service.StoredStateAsync());
    }

    [Fact]
    public async Task A_stored_near_duplicate_is_the_most_similar_image_both_ways()
    {
        using var writer = service.CreateWriter();
        var names = new[] { "07-blue-diamond.png", "12-red-square.png", "15-red-star.png", "17-green-diamond.png", "22-purple-circle.png" };
        var items = await writer.UploadAsync(names.Select(name => new UploadPart(name, Shape(name))));
        var original = items[2].Id!.Value;
        // The thumbnail is the real preparer's resized, re-encoded copy of the picture.
        var copyBytes = await writer.GetByteArrayAsync($"/api/images/{original}/thumbnail");
        var copy = (await writer.UploadAsync([new UploadPart("copy.jpg", copyBytes)]))[0].Id!.Value;

        var fromOriginal = await writer.GetJsonAsync<SearchResponse>($"/api/images/{original}/similar?limit=3");
        var fromCopy = await writer.GetJsonAsync<SearchResponse>($"/api/images/{copy}/similar?limit=3");

        Assert.Equal(copy, fromOriginal.Items[0].Image.Id);
        Assert.Equal(original, fromCopy.Items[0].Image.Id);
        Assert.True(fromOriginal.Items[0].Score > fromOriginal.Items[1].Score);
        Assert.DoesNotContain(fromOriginal.Items, hit => hit.Image.Id == original);
    }

    [Fact]
    public async Task Patch_changes_tags_and_metadata_and_filters_see_the_change()
    {
        using var writer = service.CreateWriter();
        var id = (await writer.UploadAsync([new UploadPart("patch.png", Shape("09-yellow-square.png"))],
            new Dictionary<string, string> { ["tags"] = "before", ["metadata"] = """{"album":"old","keep":"yes"}""" }))[0].Id!.Value;
        var tag = $"patched-{Guid.NewGuid():N}";

        using var response = await writer.PatchAsJsonAsync($"/api/images/{id}", new { tags = new[] { tag, "yellow" }, metadata = new Dictionary<string, string?> { ["album"] = "new", ["keep"] = null } });
        var patched = (await response.Content.ReadFromJsonAsync<ImageDto>(ApiCalls.Json))!;
        var read = await writer.GetJsonAsync<ImageDto>($"/api/images/{id}");
        var byTag = await writer.GetJsonAsync<ImagePageDto>($"/api/images?tags={tag}");
        var byOldTag = await writer.GetJsonAsync<ImagePageDto>($"/api/images?tags=before");
        var searchByMetadata = await writer.GetJsonAsync<SearchResponse>($"/api/search?q=a%20yellow%20square&tagsAll={tag}&meta.album=new");
        var searchByOldMetadata = await writer.GetJsonAsync<SearchResponse>("/api/search?q=a%20yellow%20square&meta.keep=yes");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([tag, "yellow"], patched.Tags);
        Assert.Equal(new Dictionary<string, string> { ["album"] = "new" }, read.Metadata);
        Assert.Equal([id], byTag.Items.Select(i => i.Id));
        Assert.DoesNotContain(byOldTag.Items, i => i.Id == id);
        Assert.Equal([id], searchByMetadata.Items.Select(h => h.Image.Id));
        Assert.DoesNotContain(searchByOldMetadata.Items, h => h.Image.Id == id);
    }

    [Fact]
    public async Task Delete_leaves_no_row_vector_or_blob_behind()
    {
        using var writer = service.CreateWriter();
        var before = await service.StoredStateAsync();
        var id = (await writer.UploadAsync([new UploadPart("doomed.png", Shape("20-black-diamond.png"))]))[0].Id!.Value;
        var stored = await service.StoredStateAsync();

        using var deleted = await writer.DeleteAsync($"/api/images/{id}");
        using var again = await writer.DeleteAsync($"/api/images/{id}");
        using var record = await writer.GetAsync($"/api/images/{id}");
        using var thumbnail = await writer.GetAsync($"/api/images/{id}/thumbnail");
        var similar = await writer.GetJsonAsync<SearchResponse>("/api/search?q=a%20black%20diamond&limit=100");

        Assert.Equal((before.Images + 1, before.Vectors + 1, 2), (stored.Images, stored.Vectors, stored.Files.Except(before.Files).Count()));
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await ApiCalls.AssertProblemAsync(again, HttpStatusCode.NotFound);
        await ApiCalls.AssertProblemAsync(record, HttpStatusCode.NotFound);
        await ApiCalls.AssertProblemAsync(thumbnail, HttpStatusCode.NotFound);
        Assert.DoesNotContain(similar.Items, hit => hit.Image.Id == id);
        Assert.Equal(before, await service.StoredStateAsync());
    }

    [Fact]
    public async Task Originals_come_back_byte_for_byte_with_their_type_etag_and_ranges()
    {
        using var writer = service.CreateWriter();
        var bytes = Shape("05-white-triangle.png");
        var id = (await writer.UploadAsync([new UploadPart("original.png", bytes)]))[0].Id!.Value;

        using var whole = await writer.GetAsync($"/api/images/{id}/original");
        var etag = whole.Headers.ETag!;
        using var notModified = await SendAsync(writer, $"/api/images/{id}/original", request => request.Headers.IfNoneMatch.Add(etag));
        using var range = await SendAsync(writer, $"/api/images/{id}/original", request => request.Headers.Range = new RangeHeaderValue(10, 29));

        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.Equal("image/png", whole.Content.Headers.ContentType?.MediaType);
        Assert.Equal(bytes, await whole.Content.ReadAsByteArrayAsync());
        Assert.Equal($"\"{Ingest.TestImages.Sha256(bytes)}\"", etag.Tag);
        Assert.Equal("bytes", string.Join(",", whole.Headers.AcceptRanges));
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Equal(HttpStatusCode.PartialContent, range.StatusCode);
        Assert.Equal(bytes[10..30], await range.Content.ReadAsByteArrayAsync());
        Assert.Equal($"bytes 10-29/{bytes.Length}", range.Content.Headers.ContentRange?.ToString());
    }

    [Fact]
    public async Task Thumbnails_are_smaller_images_of_the_detected_type_with_etag_and_ranges()
    {
        using var writer = service.CreateWriter();
        var id = (await writer.UploadAsync([new UploadPart("thumb.png", Shape("11-yellow-circle.png"))]))[0].Id!.Value;

        using var thumbnail = await writer.GetAsync($"/api/images/{id}/thumbnail");
        var bytes = await thumbnail.Content.ReadAsByteArrayAsync();
        using var notModified = await SendAsync(writer, $"/api/images/{id}/thumbnail", request => request.Headers.IfNoneMatch.Add(thumbnail.Headers.ETag!));
        using var range = await SendAsync(writer, $"/api/images/{id}/thumbnail", request => request.Headers.Range = new RangeHeaderValue(0, 3));

        Assert.Equal(HttpStatusCode.OK, thumbnail.StatusCode);
        var type = thumbnail.Content.Headers.ContentType?.MediaType;
        Assert.True(
            (type == "image/jpeg" && bytes is [0xFF, 0xD8, 0xFF, ..]) || (type == "image/webp" && bytes[8..12] is [0x57, 0x45, 0x42, 0x50]) || (type == "image/png" && bytes is [0x89, 0x50, ..]),
            $"content type {type} does not match the thumbnail's bytes");
        Assert.NotNull(thumbnail.Headers.ETag);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Equal(HttpStatusCode.PartialContent, range.StatusCode);
        Assert.Equal(bytes[..4], await range.Content.ReadAsByteArrayAsync());
    }

    private static byte[] Shape(string name) => File.ReadAllBytes(Path.Combine(ShapesFolder, name));

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string url, Action<HttpRequestMessage> configure)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        configure(request);
        return await client.SendAsync(request);
    }

    /// <summary>The real service with 96-px thumbnails (smaller than the 128-px shapes, so thumbnails are resized copies).</summary>
    public sealed class Service : ApiFactory
    {
        public Service() => Settings["Limits:ThumbnailSize"] = "96";
    }
}
