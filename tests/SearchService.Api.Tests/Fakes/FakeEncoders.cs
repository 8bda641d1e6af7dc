using SearchService.Core.Images;
using SearchService.Core.Models;

namespace SearchService.Api.Tests.Fakes;

/// <summary>
/// A text "encoder" for domain tests: each word maps to a fixed pseudo-random direction and a text is the
/// normalised sum of its words, so texts sharing words are similar. Counts calls to observe caching.
/// </summary>
internal sealed class WordTextEncoder(ModelDescriptor model) : ITextEncoder
{
    private int _calls;
    private int _texts;

    public ModelDescriptor Model => model;

    public int Calls => _calls;

    public int TextsEncoded => _texts;

    public Task<float[][]> EncodeAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        Interlocked.Add(ref _texts, texts.Count);
        return Task.FromResult(texts.Select(t => Embed(t, model.EmbeddingDimensions)).ToArray());
    }

    public static float[] Embed(string text, int dimensions)
    {
        var sum = new float[dimensions];
        foreach (var word in text.ToLowerInvariant().Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var direction = WordDirection(word.Trim('.', ','), dimensions);
            for (var i = 0; i < dimensions; i++)
            {
                sum[i] += direction[i];
            }
        }

        return Unit(sum);
    }

    public static float[] WordDirection(string word, int dimensions)
    {
        var random = new Random(StableHash(word));
        return Unit(Enumerable.Range(0, dimensions).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray());
    }

    public static float[] Unit(float[] vector)
    {
        var norm = Math.Sqrt(vector.Sum(v => (double)v * v));
        return vector.Select(v => (float)(v / norm)).ToArray();
    }

    private static int StableHash(string text)
    {
        unchecked
        {
            var hash = 17;
            foreach (var c in text)
            {
                hash = (hash * 31) + c;
            }

            return hash;
        }
    }
}

internal static class TestModels
{
    public static ModelDescriptor Descriptor(int dimensions = 32) => new(
        "fake-words",
        dimensions,
        77,
        new ImagePreprocessing(8, ResizeMode.Shortest, Interpolation.Bicubic, [0.5f, 0.5f, 0.5f], [0.5f, 0.5f, 0.5f]),
        100f,
        "cpu",
        IsDemo: false);

    public static PreparedImage Prepared(int width = 10, int height = 8) =>
        new(new ImageProbe(ImageFormat.Png, width, height), new float[3 * 8 * 8], [1, 2, 3], "image/jpeg");
}
