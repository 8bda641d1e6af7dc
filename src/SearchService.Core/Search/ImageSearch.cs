using SearchService.Core.Storage;

namespace SearchService.Core.Search;

/// <summary>
/// Ranks stored images against a text, an image embedding, a stored image or a weighted mix of those, and
/// joins the vector hits with their catalog records. A hit without a catalog row (an orphan left by a crash)
/// is skipped, never returned.
/// </summary>
public sealed class ImageSearch
{
    private readonly TextEmbeddings _texts;
    private readonly IVectorStore _vectors;
    private readonly IImageCatalog _catalog;
    private readonly SearchOptions _options;
    private readonly VectorCollection _collection;

    public ImageSearch(TextEmbeddings texts, IVectorStore vectors, IImageCatalog catalog, SearchOptions options)
    {
        ArgumentNullException.ThrowIfNull(texts);
        _texts = texts;
        _vectors = vectors;
        _catalog = catalog;
        _options = options;
        _collection = new VectorCollection(texts.Model.CollectionName, texts.Model.EmbeddingDimensions);
    }

    public async Task<SearchResults> ByTextAsync(string text, SearchPage page, CancellationToken cancellationToken)
    {
        var query = CheckText(text, "q");
        var vector = await _texts.EncodeAsync(query, cancellationToken).ConfigureAwait(false);
        return await ByVectorAsync(vector, page, exclude: null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Ranks against an embedding computed by the caller (e.g. an uploaded image that is not stored).</summary>
    public Task<SearchResults> ByEmbeddingAsync(float[] embedding, SearchPage page, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(embedding);
        return ByVectorAsync(embedding, page, exclude: null, cancellationToken);
    }

    /// <summary>Images most like a stored one, itself excluded; null when the image does not exist.</summary>
    public async Task<SearchResults?> SimilarToAsync(Guid id, SearchPage page, CancellationToken cancellationToken)
    {
        if (await _catalog.GetAsync(id, cancellationToken).ConfigureAwait(false) is null)
        {
            return null;
        }

        var vector = await _vectors.GetVectorAsync(_collection, id, cancellationToken).ConfigureAwait(false)
            ?? throw new VectorStoreException($"Image {id} has a catalog row but no vector in '{_collection.Name}'.");
        return await ByVectorAsync(vector, page, exclude: [id], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Ranks against Σ wᵢ·eᵢ / ‖Σ wᵢ·eᵢ‖ over unit-length term embeddings eᵢ. Image terms are excluded from
    /// the results (they would trivially rank first).
    /// </summary>
    public async Task<SearchResults> ByTermsAsync(IReadOnlyList<QueryTerm> terms, SearchPage page, CancellationToken cancellationToken)
    {
        var vector = await CombineAsync(terms, cancellationToken).ConfigureAwait(false);
        var exclude = terms.Where(t => t.ImageId is not null).Select(t => t.ImageId!.Value).Distinct().ToList();
        return await ByVectorAsync(vector, page, exclude.Count > 0 ? exclude : null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The normalised weighted sum of the terms' embeddings; refuses terms that cancel out.</summary>
    public async Task<float[]> CombineAsync(IReadOnlyList<QueryTerm> terms, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(terms);
        if (terms.Count == 0)
        {
            throw new InvalidQueryException("terms", "Give at least one term.");
        }

        if (terms.Count > _options.MaxTerms)
        {
            throw new InvalidQueryException("terms", $"At most {_options.MaxTerms} terms are allowed.");
        }

        var texts = new List<string>();
        for (var i = 0; i < terms.Count; i++)
        {
            var term = terms[i];
            if ((term.Text is null) == (term.ImageId is null))
            {
                throw new InvalidQueryException($"terms[{i}]", "Each term has exactly one of 'text' or 'imageId'.");
            }

            if (!float.IsFinite(term.Weight) || Math.Abs(term.Weight) > 100)
            {
                throw new InvalidQueryException($"terms[{i}].weight", "Weights are finite numbers between -100 and 100.");
            }

            if (term.Text is not null)
            {
                texts.Add(CheckText(term.Text, $"terms[{i}].text"));
            }
        }

        var textEmbeddings = await _texts.EncodeAsync(texts, cancellationToken).ConfigureAwait(false);
        var sum = new double[_collection.Dimensions];
        var nextText = 0;
        for (var i = 0; i < terms.Count; i++)
        {
            var term = terms[i];
            float[] embedding;
            if (term.ImageId is { } imageId)
            {
                embedding = await _vectors.GetVectorAsync(_collection, imageId, cancellationToken).ConfigureAwait(false) is { } stored
                    && await _catalog.GetAsync(imageId, cancellationToken).ConfigureAwait(false) is not null
                    ? stored
                    : throw new InvalidQueryException($"terms[{i}].imageId", $"No image with id {imageId}.");
            }
            else
            {
                embedding = textEmbeddings[nextText++];
            }

            var unit = EmbeddingMath.TryNormalize(embedding)
                ?? throw new InvalidQueryException($"terms[{i}]", "This term has a zero embedding.");
            EmbeddingMath.AddScaled(sum, unit, term.Weight);
        }

        var combined = sum.Select(v => (float)v).ToArray();
        return EmbeddingMath.TryNormalize(combined)
            ?? throw new InvalidQueryException("terms", "The weighted terms cancel out (their combination is zero); change the weights.");
    }

    private async Task<SearchResults> ByVectorAsync(float[] vector, SearchPage page, IReadOnlyCollection<Guid>? exclude, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(page);
        if (vector.Length != _collection.Dimensions)
        {
            throw new InvalidQueryException("vector", $"The query has {vector.Length} dimensions; the model has {_collection.Dimensions}.");
        }

        if (page.Limit < 1 || page.Limit > _options.MaxLimit)
        {
            throw new InvalidQueryException("limit", $"limit must be between 1 and {_options.MaxLimit}.");
        }

        if (page.MinScore is { } floor && (!float.IsFinite(floor) || floor < -1 || floor > 1))
        {
            throw new InvalidQueryException("minScore", "minScore must be between -1 and 1.");
        }

        var filter = page.Filter ?? ImageFilter.None;
        var fingerprint = SearchCursor.Fingerprint(vector, page.MinScore, filter, exclude);
        int offset;
        if (page.Cursor is not null)
        {
            if (page.Offset != 0)
            {
                throw new InvalidQueryException("offset", "Give either offset or cursor, not both.");
            }

            offset = SearchCursor.Decode(page.Cursor, fingerprint);
        }
        else
        {
            offset = page.Offset;
        }

        if (offset < 0 || offset > _options.MaxOffset)
        {
            throw new InvalidQueryException(page.Cursor is null ? "offset" : "cursor", $"Pages may start at ranks 0 to {_options.MaxOffset}.");
        }

        var query = new VectorQuery(vector, page.Limit, offset, page.MinScore, filter.IsEmpty ? null : filter, exclude);
        var points = await _vectors.SearchAsync(_collection, query, cancellationToken).ConfigureAwait(false);
        var records = await _catalog.GetManyAsync(points.Select(p => p.Id).ToList(), cancellationToken).ConfigureAwait(false);
        var byId = records.ToDictionary(r => r.Id);
        var hits = points
            .Where(p => byId.ContainsKey(p.Id))
            .Select(p => new SearchHit(byId[p.Id], p.Score))
            .ToList();
        var next = points.Count == page.Limit && offset + page.Limit <= _options.MaxOffset
            ? SearchCursor.Encode(offset + page.Limit, fingerprint)
            : null;
        return new SearchResults(hits, offset, next);
    }

    private string CheckText(string? text, string field)
    {
        var trimmed = text?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            throw new InvalidQueryException(field, "The query text is empty.");
        }

        if (trimmed.Length > _options.MaxQueryLength)
        {
            throw new InvalidQueryException(field, $"The query text is longer than {_options.MaxQueryLength} characters.");
        }

        return trimmed;
    }
}
