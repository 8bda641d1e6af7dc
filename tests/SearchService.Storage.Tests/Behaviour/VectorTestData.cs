using SearchService.Core.Storage;

namespace SearchService.Storage.Tests.Behaviour;

/// <summary>Points, payloads and the brute-force reference ranking every vector store is compared with.</summary>
internal static class VectorTestData
{
    public static ImagePayload Payload(
        DateTimeOffset uploadedAt,
        DateTimeOffset? takenAt = null,
        string[]? tags = null,
        Dictionary<string, string>? metadata = null) =>
        new(tags ?? [], metadata ?? new Dictionary<string, string>(), uploadedAt, takenAt);

    public static float[] Unit(params float[] values)
    {
        var norm = MathF.Sqrt(values.Sum(v => v * v));
        return values.Select(v => v / norm).ToArray();
    }

    public static float[] RandomUnit(Random random, int dimensions) =>
        Unit(Enumerable.Range(0, dimensions).Select(_ => (random.NextSingle() * 2) - 1).ToArray());

    /// <summary>Cosine in double precision, independent of any store's normalisation.</summary>
    public static float Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }

        return (float)(dot / Math.Sqrt(na * nb));
    }

    /// <summary>The reference: <see cref="ImageFilter.Matches"/>, then cosine descending, then id ascending.</summary>
    public static List<ScoredPoint> Ranking(IEnumerable<VectorPoint> points, float[] query, ImageFilter? filter) =>
        points.Where(p => filter?.Matches(p.Payload) ?? true)
            .Select(p => new ScoredPoint(p.Id, Cosine(p.Vector, query)))
            .OrderByDescending(p => p.Score).ThenBy(p => p.Id)
            .ToList();
}
