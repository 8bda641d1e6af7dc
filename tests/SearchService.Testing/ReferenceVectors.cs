namespace SearchService.Testing;

/// <summary>Comparisons of our embeddings with those a Python reference printed (as JSON doubles).</summary>
public static class ReferenceVectors
{
    /// <summary>Cosine similarity, summed in double precision so the comparison adds no float rounding of its own.</summary>
    public static double Cosine(IReadOnlyList<float> ours, IReadOnlyList<double> reference)
    {
        ArgumentNullException.ThrowIfNull(ours);
        ArgumentNullException.ThrowIfNull(reference);
        double dot = 0, oursNorm = 0, referenceNorm = 0;
        for (var i = 0; i < ours.Count; i++)
        {
            dot += ours[i] * reference[i];
            oursNorm += (double)ours[i] * ours[i];
            referenceNorm += reference[i] * reference[i];
        }

        return dot / Math.Sqrt(oursNorm * referenceNorm);
    }
}
