using System.Globalization;
using System.Net;
using SearchService.Api.Contracts;
using SearchService.Api.Tests.Http;
using Xunit;

namespace SearchService.Api.Tests.Integration;

/// <summary>Filters (tags any/all, metadata, dates) and pagination (limit/offset, cursors) over the real stores.</summary>
[Collection(ShapesLibraryCollection.Name)]
public sealed class ShapesFilterAndPagingTests(ShapesLibrary library)
{
    public static TheoryData<string, string> Filters => new()
    {
        { "tags=red&tags=blue", "colour in {red, blue}" },
        { "tagsAll=purple&tagsAll=star", "purple star" },
        { "tagsAll=circle&meta.parity=odd", "odd circles" },
        { "meta.shape=diamond", "diamonds" },
        { "takenFrom=2020-01-02T00:00:00Z&takenTo=2020-01-05T00:00:00Z", "taken 2 to 4 January 2020" },
        { "takenFrom=2020-01-01T00:00:00Z", "every image with a taken date" },
        { "tags=red&takenTo=2020-01-03T00:00:00Z", "none: no red image was taken before the 3rd" },
    };

    [Theory]
    [MemberData(nameof(Filters))]
    public async Task Listing_and_search_return_exactly_the_filtered_images(string query, string meaning)
    {
        var expected = library.Shapes.Where(Predicate(query)).Select(s => s.Id).Order().ToList();
        using var client = library.CreateClient();

        var listed = await client.GetJsonAsync<ImagePageDto>($"/api/images?limit=200&{query}");
        var found = await client.GetJsonAsync<SearchResponse>($"/api/search?q=a%20shape&limit=100&{query}");

        Assert.True(expected.Count > 0 || meaning.StartsWith("none", StringComparison.Ordinal), meaning);
        Assert.Equal(expected, listed.Items.Select(i => i.Id).Order());
        Assert.Equal(expected, found.Items.Select(h => h.Image.Id).Order());
    }

    [Fact]
    public async Task Uploaded_date_ranges_bound_the_upload()
    {
        using var client = library.CreateClient();
        string Stamp(DateTimeOffset at) => Uri.EscapeDataString(at.ToString("O", CultureInfo.InvariantCulture));

        var all = await client.GetJsonAsync<SearchResponse>($"/api/search?q=a%20shape&limit=100&uploadedFrom={Stamp(library.UploadStarted)}");
        var before = await client.GetJsonAsync<ImagePageDto>($"/api/images?uploadedTo={Stamp(library.UploadStarted)}");
        var later = await client.GetJsonAsync<ImagePageDto>($"/api/images?uploadedFrom={Stamp(DateTimeOffset.UtcNow.AddHours(1))}");
        using var reversed = await client.GetAsync($"/api/images?uploadedFrom={Stamp(DateTimeOffset.UtcNow)}&uploadedTo={Stamp(library.UploadStarted)}");

        Assert.Equal(library.Shapes.Count, all.Items.Count);
        Assert.Empty(before.Items);
        Assert.Empty(later.Items);
        await ApiCalls.AssertProblemAsync(reversed, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Listing_cursor_pages_are_disjoint_cover_everything_and_repeat_identically()
    {
        using var client = library.CreateClient();

        var first = await ListAllAsync(client, pageSize: 5);
        var second = await ListAllAsync(client, pageSize: 5);
        var pages = first.Chunk(5).ToList();

        Assert.Equal(library.Shapes.Select(s => s.Id).Order(), first.Order());
        Assert.Equal(first.Count, first.Distinct().Count());
        Assert.Equal(first, second);
        Assert.Equal(5, pages.Count);
    }

    [Fact]
    public async Task Search_offset_and_cursor_pages_agree_and_cover_every_image_once()
    {
        using var client = library.CreateClient();
        const string Query = "/api/search?q=something%20blue&limit=5";
        var whole = await client.GetJsonAsync<SearchResponse>("/api/search?q=something%20blue&limit=100");

        var byOffset = new List<SearchHitDto>();
        for (var offset = 0; offset < library.Shapes.Count; offset += 5)
        {
            var page = await client.GetJsonAsync<SearchResponse>($"{Query}&offset={offset}");
            Assert.Equal(offset, page.Offset);
            byOffset.AddRange(page.Items);
        }

        var byCursor = new List<SearchHitDto>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await client.GetJsonAsync<SearchResponse>(cursor is null ? Query : $"{Query}&cursor={Uri.EscapeDataString(cursor)}");
            byCursor.AddRange(page.Items);
            cursor = page.NextCursor;
            Assert.True(++pages <= 10, "the cursor never ended");
        }
        while (cursor is not null);

        var ids = whole.Items.Select(h => h.Image.Id).ToList();
        Assert.Equal(library.Shapes.Select(s => s.Id).Order(), ids.Order());
        Assert.Equal(ids, byOffset.Select(h => h.Image.Id));
        Assert.Equal(ids, byCursor.Select(h => h.Image.Id));
        Assert.Equal(whole.Items.Select(h => h.Score), byCursor.Select(h => h.Score));
        Assert.Equal(byCursor.Select(h => h.Score).OrderDescending(), byCursor.Select(h => h.Score));
    }

    [Fact]
    public async Task Min_score_drops_the_weaker_hits()
    {
        using var client = library.CreateClient();
        var whole = await client.GetJsonAsync<SearchResponse>("/api/search?q=a%20green%20diamond&limit=100");
        var floor = whole.Items[5].Score;

        var above = await client.GetJsonAsync<SearchResponse>(
            $"/api/search?q=a%20green%20diamond&limit=100&minScore={floor.ToString("R", CultureInfo.InvariantCulture)}");

        Assert.Equal(whole.Items.Where(h => h.Score >= floor).Select(h => h.Image.Id), above.Items.Select(h => h.Image.Id));
        Assert.True(above.Items.Count < whole.Items.Count);
    }

    private static async Task<List<Guid>> ListAllAsync(HttpClient client, int pageSize)
    {
        var ids = new List<Guid>();
        string? cursor = null;
        do
        {
            var page = await client.GetJsonAsync<ImagePageDto>(
                $"/api/images?limit={pageSize}" + (cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}"));
            Assert.True(page.Items.Count <= pageSize);
            ids.AddRange(page.Items.Select(i => i.Id));
            cursor = page.NextCursor;
        }
        while (cursor is not null && ids.Count <= 1000);

        return ids;
    }

    /// <summary>The filter written out over the fixture's own facts, independently of the service.</summary>
    private static Func<ShapeImage, bool> Predicate(string query)
    {
        var conditions = query.Split('&').Select(p => p.Split('=')).Select(p => (Key: p[0], Value: p[1])).ToList();
        var anyTags = conditions.Where(c => c.Key == "tags").Select(c => c.Value).ToList();
        var allTags = conditions.Where(c => c.Key == "tagsAll").Select(c => c.Value).ToList();
        var metadata = conditions.Where(c => c.Key.StartsWith("meta.", StringComparison.Ordinal)).ToList();
        DateTimeOffset? Date(string key) =>
            conditions.Where(c => c.Key == key).Select(c => (DateTimeOffset?)DateTimeOffset.Parse(c.Value, CultureInfo.InvariantCulture)).FirstOrDefault();
        var (takenFrom, takenTo) = (Date("takenFrom"), Date("takenTo"));
        return shape =>
        {
            string[] tags = [shape.Colour, shape.Shape];
            var values = new Dictionary<string, string> { ["colour"] = shape.Colour, ["shape"] = shape.Shape, ["parity"] = shape.Index % 2 == 0 ? "even" : "odd" };
            return (anyTags.Count == 0 || anyTags.Any(tags.Contains))
                && allTags.All(tags.Contains)
                && metadata.All(m => values[m.Key["meta.".Length..]] == m.Value)
                && (takenFrom is null && takenTo is null
                    || shape.TakenAt is { } taken && (takenFrom is null || taken >= takenFrom) && (takenTo is null || taken < takenTo));
        };
    }
}
