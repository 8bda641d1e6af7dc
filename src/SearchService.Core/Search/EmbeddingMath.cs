namespace SearchService.Core.Search;

/// <summary>Small vector helpers for query composition (a few vectors of a few hundred floats per request).</summary>
internal static class EmbeddingMath
{
    /// <summary>Below this norm a combination is treated as zero: its direction is noise.</summary>
    public const double ZeroNorm = 1e-4;

    public static double Norm(ReadOnlySpan<float> vector)
    {
        var sum = 0.0;
        foreach (var value in vector)
        {
            sum += (double)value * value;
        }

        return Math.Sqrt(sum);
    }

    /// <summary>The vector scaled to unit length, or null when it is (numerically) zero.</summary>
    public static float[]? TryNormalize(ReadOnlySpan<float> vector)
    {
        var norm = Norm(vector);
        if (norm < ZeroNorm || double.IsNaN(norm))
        {
            return null;
        }

        var result = new float[vector.Length];
        for (var i = 0; i < vector.Length; i++)
        {
            result[i] = (float)(vector[i] / norm);
        }

        return result;
    }

    /// <summary>Adds <paramref name="weight"/> × <paramref name="vector"/> into <paramref name="sum"/>.</summary>
    public static void AddScaled(Span<double> sum, ReadOnlySpan<float> vector, double weight)
    {
        for (var i = 0; i < sum.Length; i++)
        {
            sum[i] += weight * vector[i];
        }
    }

    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var sum = 0.0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += (double)a[i] * b[i];
        }

        return (float)sum;
    }
}
