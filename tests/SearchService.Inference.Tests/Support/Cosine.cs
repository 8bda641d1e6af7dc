namespace SearchService.Inference.Tests.Support;

internal static class Vectors
{
    public static double Norm(IReadOnlyList<float> a) => Math.Sqrt(a.Sum(v => (double)v * v));
}
