using SearchService.Core.Search;

namespace SearchService.Core.Classification;

/// <summary>A label with its softmax probability and the raw cosine between the image and the label embedding.</summary>
public sealed record LabelScore(string Label, float Probability, float Cosine);

/// <summary>
/// CLIP zero-shot classification: each label becomes the normalised mean of its prompt-template embeddings
/// (the prompt ensemble of the CLIP paper), and the image's cosines to the labels, scaled by the model's
/// logit scale, go through a softmax. Label embeddings are cached per (templates, label).
/// </summary>
public sealed class ZeroShotClassifier
{
    public const int MaxLabels = 100;
    public const int MaxTemplates = 32;
    public const int MaxLabelLength = 200;

    /// <summary>A subset of the prompt ensemble OpenAI used for ImageNet zero-shot classification.</summary>
    public static readonly IReadOnlyList<string> DefaultTemplates =
    [
        "a photo of a {}.",
        "a bad photo of a {}.",
        "a photo of many {}.",
        "a photo of the large {}.",
        "a photo of the small {}.",
        "a close-up photo of a {}.",
        "a bright photo of a {}.",
        "a dark photo of a {}.",
        "a cropped photo of a {}.",
        "a rendering of a {}.",
        "a drawing of a {}.",
        "art of the {}.",
        "a good photo of a {}.",
        "itap of a {}.",
    ];

    private readonly TextEmbeddings _texts;
    private readonly LruCache<string, float[]> _labelCache;

    public ZeroShotClassifier(TextEmbeddings texts, SearchOptions options)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(options);
        _texts = texts;
        _labelCache = new LruCache<string, float[]>(options.QueryCacheSize, StringComparer.Ordinal);
    }

    /// <summary>Labels ranked by probability (ties by label), for a unit-length image embedding.</summary>
    public async Task<IReadOnlyList<LabelScore>> ClassifyAsync(
        float[] imageEmbedding,
        IReadOnlyList<string> labels,
        IReadOnlyList<string>? templates,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(imageEmbedding);
        var cleanLabels = CheckLabels(labels);
        var cleanTemplates = CheckTemplates(templates);
        var image = EmbeddingMath.TryNormalize(imageEmbedding)
            ?? throw new InvalidQueryException("image", "The image embedding is zero.");

        var labelEmbeddings = await LabelEmbeddingsAsync(cleanLabels, cleanTemplates, cancellationToken).ConfigureAwait(false);
        var cosines = labelEmbeddings.Select(e => EmbeddingMath.Dot(image, e)).ToArray();
        var scale = (double)_texts.Model.LogitScale;
        var max = cosines.Max();
        var exps = cosines.Select(c => Math.Exp(scale * (c - max))).ToArray();
        var total = exps.Sum();
        return cleanLabels
            .Select((label, i) => new LabelScore(label, (float)(exps[i] / total), cosines[i]))
            .OrderByDescending(s => s.Probability)
            .ThenBy(s => s.Label, StringComparer.Ordinal)
            .ToList();
    }

    private async Task<float[][]> LabelEmbeddingsAsync(IReadOnlyList<string> labels, IReadOnlyList<string> templates, CancellationToken cancellationToken)
    {
        var templateKey = string.Join('\u001e', templates);
        var result = new float[labels.Count][];
        var missing = new List<int>();
        for (var i = 0; i < labels.Count; i++)
        {
            if (_labelCache.TryGet(templateKey + '\u001d' + labels[i], out var cached))
            {
                result[i] = cached;
            }
            else
            {
                missing.Add(i);
            }
        }

        if (missing.Count == 0)
        {
            return result;
        }

        var prompts = missing.SelectMany(i => templates.Select(t => t.Replace("{}", labels[i], StringComparison.Ordinal))).ToList();
        var encoded = await _texts.EncodeAsync(prompts, cancellationToken).ConfigureAwait(false);
        var dimensions = _texts.Model.EmbeddingDimensions;
        for (var m = 0; m < missing.Count; m++)
        {
            var sum = new double[dimensions];
            for (var t = 0; t < templates.Count; t++)
            {
                var unit = EmbeddingMath.TryNormalize(encoded[(m * templates.Count) + t])
                    ?? throw new InvalidQueryException("labels", $"The prompt for '{labels[missing[m]]}' has a zero embedding.");
                EmbeddingMath.AddScaled(sum, unit, 1.0);
            }

            var mean = EmbeddingMath.TryNormalize(sum.Select(v => (float)v).ToArray())
                ?? throw new InvalidQueryException("templates", $"The templates for '{labels[missing[m]]}' cancel out.");
            result[missing[m]] = mean;
            _labelCache.Set(templateKey + '\u001d' + labels[missing[m]], mean);
        }

        return result;
    }

    private static List<string> CheckLabels(IReadOnlyList<string>? labels)
    {
        if (labels is null || labels.Count < 2)
        {
            throw new InvalidQueryException("labels", "Give at least two labels to choose between.");
        }

        if (labels.Count > MaxLabels)
        {
            throw new InvalidQueryException("labels", $"At most {MaxLabels} labels are allowed.");
        }

        var clean = labels.Select(l => l?.Trim() ?? string.Empty).ToList();
        if (clean.Any(l => l.Length == 0 || l.Length > MaxLabelLength))
        {
            throw new InvalidQueryException("labels", $"Labels are 1 to {MaxLabelLength} characters.");
        }

        if (clean.Distinct(StringComparer.Ordinal).Count() != clean.Count)
        {
            throw new InvalidQueryException("labels", "Labels must be distinct.");
        }

        return clean;
    }

    private static IReadOnlyList<string> CheckTemplates(IReadOnlyList<string>? templates)
    {
        if (templates is null || templates.Count == 0)
        {
            return DefaultTemplates;
        }

        if (templates.Count > MaxTemplates)
        {
            throw new InvalidQueryException("templates", $"At most {MaxTemplates} templates are allowed.");
        }

        if (templates.Any(t => t is null || !t.Contains("{}", StringComparison.Ordinal) || t.Length > MaxLabelLength))
        {
            throw new InvalidQueryException("templates", "Every template contains '{}' where the label goes, e.g. \"a photo of a {}.\".");
        }

        return templates;
    }
}
