using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using SearchService.Api.Contracts;
using SearchService.Api.Tests.Http;
using SearchService.Core.Models;
using SearchService.Core.Storage;
using Xunit;
using Xunit.Abstractions;

namespace SearchService.Api.Tests.Integration;

/// <summary>Retrieval and classification through the real service on the held-out shapes, with the trained demo model.</summary>
[Collection(ShapesLibraryCollection.Name)]
public sealed class ShapesSearchTests(ShapesLibrary library, ITestOutputHelper output)
{
    /// <summary>The committed demo model gets 21 of 24 at top-1 in PyTorch (tests/fixtures/models/README.md).</summary>
    private const int ClearMajority = 18;

    [Fact]
    public async Task Text_queries_with_the_captions_find_their_image_first()
    {
        using var client = library.CreateClient();
        var misses = new List<string>();
        foreach (var shape in library.Shapes)
        {
            var results = await client.GetJsonAsync<SearchResponse>($"/api/search?q={Uri.EscapeDataString(shape.Caption)}&limit=3");
            Assert.Equal(3, results.Items.Count);
            Assert.True(results.Items[0].Score >= results.Items[1].Score);
            if (results.Items[0].Image.Id != shape.Id)
            {
                misses.Add($"'{shape.Caption}' -> {library.ById(results.Items[0].Image.Id).FileName}");
            }
        }

        var hits = library.Shapes.Count - misses.Count;
        output.WriteLine($"text -> image top-1: {hits}/{library.Shapes.Count}; misses: {string.Join("; ", misses)}");
        Assert.True(hits >= ClearMajority, $"only {hits}/{library.Shapes.Count} captions found their image first: {string.Join("; ", misses)}");
    }

    [Fact]
    public async Task An_uploaded_near_duplicate_finds_its_original_first_and_is_not_stored()
    {
        using var client = library.CreateClient();
        var before = await library.StoredStateAsync();
        var scores = new List<float>();
        foreach (var shape in library.Shapes)
        {
            // The stored thumbnail: the same picture resized to 96 px and re-encoded by the real preparer.
            var nearDuplicate = await client.GetByteArrayAsync($"/api/images/{shape.Id}/thumbnail");
            Assert.NotEqual(shape.Bytes, nearDuplicate);
            using var form = ApiCalls.Form([new UploadPart("query", nearDuplicate)], field: "file");
            using var response = await client.PostAsync("/api/search/image?limit=2", form);
            var results = (await response.Content.ReadFromJsonAsync<SearchResponse>(ApiCalls.Json))!;

            Assert.Equal(shape.Id, results.Items[0].Image.Id);
            Assert.True(results.Items[0].Score > results.Items[1].Score);
            scores.Add(results.Items[0].Score);
        }

        output.WriteLine($"near-duplicate cosine to its original: min {scores.Min():F4}, mean {scores.Average():F4}");
        Assert.Equal(before, await library.StoredStateAsync());
    }

    [Fact]
    public async Task Similar_to_a_stored_image_excludes_it_and_ranks_by_cosine()
    {
        using var client = library.CreateClient();
        var vectors = library.Services.GetRequiredService<IVectorStore>();
        var shape = library.Shapes.Single(s => s.FileName == "13-purple-star.png");
        var own = (await vectors.GetVectorAsync(library.Collection, shape.Id, CancellationToken.None))!;

        var results = await client.GetJsonAsync<SearchResponse>($"/api/images/{shape.Id}/similar?limit=100");

        Assert.Equal(library.Shapes.Count - 1, results.Items.Count);
        Assert.DoesNotContain(results.Items, hit => hit.Image.Id == shape.Id);
        foreach (var hit in results.Items)
        {
            var other = (await vectors.GetVectorAsync(library.Collection, hit.Image.Id, CancellationToken.None))!;
            Assert.Equal(Cosine(own, other), hit.Score, 3);
        }

        Assert.Equal(results.Items.Select(h => h.Score).OrderDescending(), results.Items.Select(h => h.Score));
    }

    [Fact]
    public async Task Weighted_terms_with_a_negative_weight_rank_by_the_combined_embedding()
    {
        using var client = library.CreateClient();
        var text = library.Services.GetRequiredService<ITextEncoder>();
        var vectors = library.Services.GetRequiredService<IVectorStore>();
        var image = library.Shapes.Single(s => s.FileName == "06-blue-circle.png");
        var terms = new (string? Text, Guid? ImageId, float Weight)[] { ("a red star", null, 1f), (null, image.Id, 0.7f), ("a square", null, -0.6f) };

        // Reference: the weighted sum of the terms' unit embeddings, normalised, against every stored vector but the image term's.
        var texts = await text.EncodeAsync(["a red star", "a square"], CancellationToken.None);
        var imageVector = (await vectors.GetVectorAsync(library.Collection, image.Id, CancellationToken.None))!;
        var query = new float[imageVector.Length];
        for (var i = 0; i < query.Length; i++)
        {
            query[i] = (1f * texts[0][i]) + (0.7f * imageVector[i]) - (0.6f * texts[1][i]);
        }

        var expected = new List<(Guid Id, double Score)>();
        foreach (var shape in library.Shapes.Where(s => s.Id != image.Id))
        {
            expected.Add((shape.Id, Cosine(query, (await vectors.GetVectorAsync(library.Collection, shape.Id, CancellationToken.None))!)));
        }

        expected = expected.OrderByDescending(e => e.Score).ToList();

        var results = await client.PostJsonAsync<SearchResponse>("/api/search", new
        {
            terms = terms.Select(t => new { text = t.Text, imageId = t.ImageId, weight = t.Weight }),
            limit = 10,
        });

        Assert.Equal(10, results.Items.Count);
        Assert.DoesNotContain(results.Items, hit => hit.Image.Id == image.Id);
        Assert.Equal(expected.Take(5).Select(e => e.Id), results.Items.Take(5).Select(h => h.Image.Id));
        foreach (var (hit, reference) in results.Items.Zip(expected))
        {
            Assert.Equal(reference.Score, hit.Score, 3);
        }

        var top = library.ById(results.Items[0].Image.Id);
        output.WriteLine($"'a red star' + 0.7 x blue circle - 0.6 x 'a square' -> {top.FileName}");
        Assert.NotEqual("square", top.Shape);
    }

    [Fact]
    public async Task Terms_that_cancel_out_are_refused()
    {
        using var client = library.CreateClient();
        using var response = await client.PostAsJsonAsync("/api/search", new { terms = new[] { new { text = "a red star", weight = 1f }, new { text = "a red star", weight = -1f } } });

        await ApiCalls.AssertProblemAsync(response, HttpStatusCode.BadRequest);
    }

    /// <summary>
    /// The colour is always right; the shape is right for most images (measured 16/24 with the default prompt
    /// ensemble, phrasings the demo model never saw, and 17/24 with templates in its training captions' style; the
    /// errors are the small-shape confusions the model's README lists). The floors leave one label of slack.
    /// </summary>
    [Theory]
    [InlineData(null, 15)]
    [InlineData("a {}|a photo of a {}", 16)]
    public async Task Classify_ranks_the_right_label_first_for_most_images(string? templates, int atLeast)
    {
        using var client = library.CreateClient();
        var labels = library.Shapes.Select(s => s.Label).ToArray();
        var misses = new List<string>();
        foreach (var shape in library.Shapes)
        {
            var result = await client.PostJsonAsync<ClassifyResponse>("/api/classify", new { imageId = shape.Id, labels, templates = templates?.Split('|') });

            Assert.Equal(labels.Length, result.Items.Count);
            Assert.Equal(1.0, result.Items.Sum(i => i.Probability), 3);
            Assert.Equal(result.Items.Select(i => i.Probability).OrderDescending(), result.Items.Select(i => i.Probability));
            Assert.StartsWith(shape.Colour + " ", result.Items[0].Label, StringComparison.Ordinal);
            if (result.Items[0].Label != shape.Label)
            {
                misses.Add($"{shape.Label} -> {result.Items[0].Label}");
            }
        }

        var hits = library.Shapes.Count - misses.Count;
        output.WriteLine($"classify top-1 ({templates ?? "default templates"}): {hits}/{library.Shapes.Count}; misses: {string.Join("; ", misses)}");
        Assert.True(hits >= atLeast, $"only {hits}/{library.Shapes.Count} right: {string.Join("; ", misses)}");
    }

    [Fact]
    public async Task Classify_an_upload_agrees_with_classifying_its_stored_original()
    {
        using var client = library.CreateClient();
        var shape = library.Shapes.Single(s => s.FileName == "21-orange-circle.png");
        string[] labels = ["orange circle", "orange square", "blue circle", "red star"];
        var stored = await client.PostJsonAsync<ClassifyResponse>("/api/classify", new { imageId = shape.Id, labels });

        using var form = ApiCalls.Form([new UploadPart(shape.FileName, shape.Bytes, "image/png")], field: "file",
            fields: new Dictionary<string, string> { ["labels"] = System.Text.Json.JsonSerializer.Serialize(labels) });
        using var response = await client.PostAsync("/api/classify", form);
        var uploaded = (await response.Content.ReadFromJsonAsync<ClassifyResponse>(ApiCalls.Json))!;

        Assert.Equal("orange circle", stored.Items[0].Label);
        Assert.Equal(stored.Items.Select(i => i.Label), uploaded.Items.Select(i => i.Label));
        foreach (var (a, b) in stored.Items.Zip(uploaded.Items))
        {
            Assert.Equal(a.Cosine, b.Cosine, 4);
        }
    }

    private static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * (double)b[i];
            na += a[i] * (double)a[i];
            nb += b[i] * (double)b[i];
        }

        return dot / Math.Sqrt(na * nb);
    }
}
