using SearchService.Core.Models;

namespace SearchService.Core.Search;

/// <summary>
/// Text embeddings with a bounded LRU cache in front of the encoder: popular queries and classification
/// labels are encoded once. Texts are cached exactly as given (CLIP is case-insensitive, the cache need not be).
/// </summary>
public sealed class TextEmbeddings
{
    private readonly ITextEncoder _encoder;
    private readonly LruCache<string, float[]> _cache;

    public TextEmbeddings(ITextEncoder encoder, SearchOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _encoder = encoder;
        _cache = new LruCache<string, float[]>(options.QueryCacheSize, StringComparer.Ordinal);
    }

    public ModelDescriptor Model => _encoder.Model;

    public int CachedCount => _cache.Count;

    public async Task<float[]> EncodeAsync(string text, CancellationToken cancellationToken) =>
        (await EncodeAsync([text], cancellationToken).ConfigureAwait(false))[0];

    /// <summary>One embedding per text, in order; only the texts not cached reach the encoder, in one batch.</summary>
    public async Task<float[][]> EncodeAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var result = new float[texts.Count][];
        var missing = new List<string>();
        for (var i = 0; i < texts.Count; i++)
        {
            if (_cache.TryGet(texts[i], out var cached))
            {
                result[i] = cached;
            }
            else if (!missing.Contains(texts[i], StringComparer.Ordinal))
            {
                missing.Add(texts[i]);
            }
        }

        if (missing.Count > 0)
        {
            var encoded = await _encoder.EncodeAsync(missing, cancellationToken).ConfigureAwait(false);
            var byText = new Dictionary<string, float[]>(StringComparer.Ordinal);
            for (var i = 0; i < missing.Count; i++)
            {
                byText[missing[i]] = encoded[i];
                _cache.Set(missing[i], encoded[i]);
            }

            for (var i = 0; i < texts.Count; i++)
            {
                result[i] ??= byText[texts[i]];
            }
        }

        return result;
    }
}
