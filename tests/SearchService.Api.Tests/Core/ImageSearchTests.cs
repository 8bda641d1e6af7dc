using SearchService.Api.Tests.Fakes;
using SearchService.Core.Classification;
using SearchService.Core.Library;
using SearchService.Core.Search;
using SearchService.Core.Storage;
using Xunit;

namespace SearchService.Api.Tests.Core;

public sealed class ImageSearchTests : IDisposable
{
    private const int Dimensions = 32;
    private readonly string _root = Directory.CreateTempSubdirectory("search-tests-").FullName;
    private readonly InMemoryCatalog _catalog = new();
    private readonly InMemoryVectorStore _vectors = new();
    private readonly ImageLibrary _library;
    private readonly WordTextEncoder _encoder = new(TestModels.Descriptor(Dimensions));
    private readonly ImageSearch _search;
    private readonly TextEmbeddings _texts;

    public ImageSearchTests()
    {
        _library = new ImageLibrary(_catalog, _vectors, new FolderBlobStore(_root), TestModels.Descriptor(Dimensions), TimeProvider.System);
        _texts = new TextEmbeddings(_encoder, new SearchOptions { QueryCacheSize = 4 });
        _search = new ImageSearch(_texts, _vectors, _catalog, new SearchOptions());
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Text_search_ranks_the_matching_image_first_and_scores_are_cosines()
    {
        await StoreAsync("red circle", "blue square", "green star");

        var results = await _search.ByTextAsync("blue square", new SearchPage(Limit: 3), CancellationToken.None);

        Assert.Equal("blue square.png", results.Hits[0].Image.FileName);
        Assert.Equal(1f, results.Hits[0].Score, 4);
        Assert.True(results.Hits[0].Score > results.Hits[1].Score);
    }

    [Fact]
    public async Task Cursor_pages_equal_offset_pages_without_overlap_and_end_with_a_null_cursor()
    {
        await StoreAsync(Enumerable.Range(0, 7).Select(i => $"item {i} red").ToArray());

        var byCursor = new List<Guid>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await _search.ByTextAsync("red", new SearchPage(Limit: 3, Cursor: cursor), CancellationToken.None);
            byCursor.AddRange(page.Hits.Select(h => h.Image.Id));
            cursor = page.NextCursor;
            pages++;
        }
        while (cursor is not null);

        var byOffset = new List<Guid>();
        for (var offset = 0; offset < 7; offset += 3)
        {
            byOffset.AddRange((await _search.ByTextAsync("red", new SearchPage(Limit: 3, Offset: offset), CancellationToken.None)).Hits.Select(h => h.Image.Id));
        }

        Assert.Equal(3, pages);
        Assert.Equal(7, byCursor.Distinct().Count());
        Assert.Equal(byOffset, byCursor);
    }

    [Fact]
    public async Task A_cursor_from_another_query_or_a_forged_one_is_refused()
    {
        await StoreAsync("a", "b", "c");
        var first = await _search.ByTextAsync("a", new SearchPage(Limit: 1), CancellationToken.None);

        var other = await Assert.ThrowsAsync<InvalidQueryException>(() => _search.ByTextAsync("b", new SearchPage(Limit: 1, Cursor: first.NextCursor), CancellationToken.None));
        var forged = await Assert.ThrowsAsync<InvalidQueryException>(() => _search.ByTextAsync("a", new SearchPage(Limit: 1, Cursor: "not-a-cursor"), CancellationToken.None));
        var filtered = await Assert.ThrowsAsync<InvalidQueryException>(() => _search.ByTextAsync(
            "a", new SearchPage(Limit: 1, Cursor: first.NextCursor, Filter: new ImageFilter { TagsAny = ["x"] }), CancellationToken.None));

        Assert.Equal("cursor", other.Field);
        Assert.Equal("cursor", forged.Field);
        Assert.Equal("cursor", filtered.Field);
    }

    [Fact]
    public async Task Hits_without_a_catalog_row_are_skipped()
    {
        var stored = await StoreAsync("red circle", "red square");
        await _catalog.DeleteAsync(stored[0].Record.Id, CancellationToken.None);

        var results = await _search.ByTextAsync("red circle", new SearchPage(Limit: 10), CancellationToken.None);

        Assert.Equal(stored[1].Record.Id, Assert.Single(results.Hits).Image.Id);
    }

    [Fact]
    public async Task Similar_excludes_the_image_itself_and_is_null_for_an_unknown_id()
    {
        var stored = await StoreAsync("red circle", "red square", "blue star");

        var similar = await _search.SimilarToAsync(stored[0].Record.Id, new SearchPage(Limit: 10), CancellationToken.None);

        Assert.DoesNotContain(similar!.Hits, h => h.Image.Id == stored[0].Record.Id);
        Assert.Equal(stored[1].Record.Id, similar.Hits[0].Image.Id);
        Assert.Null(await _search.SimilarToAsync(Guid.NewGuid(), new SearchPage(), CancellationToken.None));
    }

    [Fact]
    public async Task Weighted_terms_add_and_subtract_directions()
    {
        var stored = await StoreAsync("red circle", "red square", "blue circle");

        var results = await _search.ByTermsAsync(
            [new QueryTerm("circle", null, 1f), new QueryTerm("red", null, -0.8f)],
            new SearchPage(Limit: 3),
            CancellationToken.None);
        var byImage = await _search.ByTermsAsync(
            [new QueryTerm(null, stored[0].Record.Id, 1f), new QueryTerm("circle", null, -1f)],
            new SearchPage(Limit: 3),
            CancellationToken.None);

        Assert.Equal("blue circle.png", results.Hits[0].Image.FileName);
        Assert.Equal("red square.png", byImage.Hits[0].Image.FileName);
        Assert.DoesNotContain(byImage.Hits, h => h.Image.Id == stored[0].Record.Id);
    }

    [Fact]
    public async Task Terms_that_cancel_out_and_malformed_terms_are_refused_clearly()
    {
        await StoreAsync("red");

        var zero = await Assert.ThrowsAsync<InvalidQueryException>(() => _search.ByTermsAsync(
            [new QueryTerm("red", null, 1f), new QueryTerm("red", null, -1f)], new SearchPage(), CancellationToken.None));
        var both = await Assert.ThrowsAsync<InvalidQueryException>(() => _search.ByTermsAsync(
            [new QueryTerm("red", Guid.NewGuid(), 1f)], new SearchPage(), CancellationToken.None));
        var missing = await Assert.ThrowsAsync<InvalidQueryException>(() => _search.ByTermsAsync(
            [new QueryTerm(null, Guid.NewGuid(), 1f)], new SearchPage(), CancellationToken.None));

        Assert.Contains("cancel out", zero.Message, StringComparison.Ordinal);
        Assert.Equal("terms[0]", both.Field);
        Assert.Equal("terms[0].imageId", missing.Field);
    }

    [Fact]
    public async Task The_query_cache_encodes_a_repeated_text_once_and_stays_bounded()
    {
        await StoreAsync("red");
        for (var i = 0; i < 3; i++)
        {
            await _search.ByTextAsync("red", new SearchPage(), CancellationToken.None);
        }

        Assert.Equal(1, _encoder.TextsEncoded);
        foreach (var word in new[] { "a", "b", "c", "d", "e", "f" })
        {
            await _search.ByTextAsync(word, new SearchPage(), CancellationToken.None);
        }

        Assert.Equal(4, _texts.CachedCount);
        await _search.ByTextAsync("red", new SearchPage(), CancellationToken.None);
        Assert.Equal(8, _encoder.TextsEncoded);
    }

    [Fact]
    public async Task Classification_ranks_the_matching_label_with_softmax_probabilities_and_caches_label_sets()
    {
        var classifier = new ZeroShotClassifier(_texts, new SearchOptions());
        var image = WordTextEncoder.Embed("a photo of a star", Dimensions);

        var first = await classifier.ClassifyAsync(image, ["circle", "star", "square"], null, CancellationToken.None);
        var encodedAfterFirst = _encoder.TextsEncoded;
        var second = await classifier.ClassifyAsync(image, ["circle", "star", "square"], null, CancellationToken.None);

        Assert.Equal("star", first[0].Label);
        Assert.Equal(1.0, first.Sum(s => (double)s.Probability), 4);
        Assert.Equal(first, second);
        Assert.Equal(encodedAfterFirst, _encoder.TextsEncoded);
        Assert.Equal(3 * ZeroShotClassifier.DefaultTemplates.Count, encodedAfterFirst);

        // Softmax at the model's logit scale, recomputed from the returned cosines.
        var exps = first.Select(s => Math.Exp(100.0 * s.Cosine)).ToArray();
        Assert.Equal(exps[0] / exps.Sum(), first[0].Probability, 4);
    }

    [Fact]
    public async Task Classification_refuses_bad_labels_and_templates()
    {
        var classifier = new ZeroShotClassifier(_texts, new SearchOptions());
        var image = WordTextEncoder.Embed("star", Dimensions);

        Assert.Equal("labels", (await Assert.ThrowsAsync<InvalidQueryException>(() => classifier.ClassifyAsync(image, ["only"], null, CancellationToken.None))).Field);
        Assert.Equal("labels", (await Assert.ThrowsAsync<InvalidQueryException>(() => classifier.ClassifyAsync(image, ["a", "a"], null, CancellationToken.None))).Field);
        Assert.Equal("templates", (await Assert.ThrowsAsync<InvalidQueryException>(() => classifier.ClassifyAsync(image, ["a", "b"], ["no placeholder"], CancellationToken.None))).Field);
    }

    private async Task<IReadOnlyList<StoredImage>> StoreAsync(params string[] contents) =>
        await _library.StoreAsync(contents.Select(c => ImageLibraryTests.Image(c) with { Embedding = WordTextEncoder.Embed(c, Dimensions) }).ToList(), CancellationToken.None);
}
