namespace SearchService.Testing;

/// <summary>Floats equal within an absolute tolerance, for comparing stored vectors with the ones written.</summary>
public sealed class FloatTolerance(float tolerance) : IEqualityComparer<float>
{
    public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;

    // Not a hash-compatible equality (it is not transitive); only for element-wise comparisons.
    public int GetHashCode(float obj) => 0;
}
