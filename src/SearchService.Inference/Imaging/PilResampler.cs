using SearchService.Core.Models;

namespace SearchService.Inference.Imaging;

/// <summary>
/// Pillow's separable resampling for 8-bit RGB, written from its published algorithm: per output pixel a window of
/// input pixels centred on <c>(x + 0.5) · scale</c>, weighted by the kernel stretched by the reduction factor,
/// normalised, in 22-bit fixed point, horizontal pass first and each pass rounded to 8 bits. libvips's reduce is
/// close (its vector path uses coarser coefficients: up to 5 levels apart) and cannot enlarge or pick nearest
/// pixels PIL's way, so the model input is resized here and matches PIL exactly for the same decoded pixels.
/// </summary>
internal static class PilResampler
{
    private const int PrecisionBits = 32 - 8 - 2;

    /// <summary>Resizes band-interleaved RGB <paramref name="pixels"/>; the input is only read (it may be native memory).</summary>
    internal static byte[] Resize(ReadOnlySpan<byte> pixels, int width, int height, int newWidth, int newHeight, Interpolation interpolation)
    {
        if (interpolation == Interpolation.Nearest)
        {
            return Nearest(pixels, width, height, newWidth, newHeight);
        }

        if (newWidth == width && newHeight == height)
        {
            return pixels.ToArray();
        }

        if (newWidth == width)
        {
            return Pass(pixels, width, height, newHeight, interpolation, horizontal: false);
        }

        var horizontal = Pass(pixels, width, height, newWidth, interpolation, horizontal: true);
        return newHeight == height ? horizontal : Pass(horizontal, newWidth, height, newHeight, interpolation, horizontal: false);
    }

    /// <summary>
    /// PIL's NEAREST (its affine scale path): source positions start at half a step and advance by repeated
    /// addition, as there, so the floating-point drift picks the same pixel at exact boundaries.
    /// </summary>
    private static byte[] Nearest(ReadOnlySpan<byte> pixels, int width, int height, int newWidth, int newHeight)
    {
        var output = new byte[newWidth * newHeight * 3];
        var xScale = (double)width / newWidth;
        var yScale = (double)height / newHeight;
        var columns = new int[newWidth];
        var position = xScale * 0.5;
        for (var x = 0; x < newWidth; x++)
        {
            columns[x] = Math.Min(width - 1, (int)position);
            position += xScale;
        }

        position = yScale * 0.5;
        for (var y = 0; y < newHeight; y++)
        {
            var sourceRow = pixels.Slice(Math.Min(height - 1, (int)position) * width * 3, width * 3);
            position += yScale;
            var outRow = output.AsSpan(y * newWidth * 3, newWidth * 3);
            for (var x = 0; x < newWidth; x++)
            {
                sourceRow.Slice(columns[x] * 3, 3).CopyTo(outRow[(x * 3)..]);
            }
        }

        return output;
    }

    private static byte[] Pass(ReadOnlySpan<byte> input, int width, int height, int newSize, Interpolation interpolation, bool horizontal)
    {
        var (bounds, weights, kernelSize) = Coefficients(horizontal ? width : height, newSize, interpolation);
        return horizontal
            ? Horizontal(input, width, height, newSize, bounds, weights, kernelSize)
            : Vertical(input, width, newSize, bounds, weights, kernelSize);
    }

    private static byte[] Horizontal(ReadOnlySpan<byte> input, int width, int height, int newWidth, int[] bounds, int[] weights, int kernelSize)
    {
        var output = new byte[newWidth * height * 3];
        const int rounding = 1 << (PrecisionBits - 1);
        for (var y = 0; y < height; y++)
        {
            var row = input.Slice(y * width * 3, width * 3);
            var outRow = output.AsSpan(y * newWidth * 3, newWidth * 3);
            for (var x = 0; x < newWidth; x++)
            {
                var first = bounds[x * 2];
                var k = weights.AsSpan(x * kernelSize, bounds[(x * 2) + 1]);
                var window = row.Slice(first * 3, k.Length * 3);
                int red = rounding, green = rounding, blue = rounding;
                for (var i = 0; i < k.Length; i++)
                {
                    var weight = k[i];
                    red += window[i * 3] * weight;
                    green += window[(i * 3) + 1] * weight;
                    blue += window[(i * 3) + 2] * weight;
                }

                outRow[x * 3] = Clip(red);
                outRow[(x * 3) + 1] = Clip(green);
                outRow[(x * 3) + 2] = Clip(blue);
            }
        }

        return output;
    }

    /// <summary>Row by row: each output row accumulates whole input rows, which keeps memory access sequential.</summary>
    private static byte[] Vertical(ReadOnlySpan<byte> input, int width, int newHeight, int[] bounds, int[] weights, int kernelSize)
    {
        var stride = width * 3;
        var output = new byte[newHeight * stride];
        var sums = new int[stride];
        for (var y = 0; y < newHeight; y++)
        {
            sums.AsSpan().Fill(1 << (PrecisionBits - 1));
            var first = bounds[y * 2];
            var k = weights.AsSpan(y * kernelSize, bounds[(y * 2) + 1]);
            for (var i = 0; i < k.Length; i++)
            {
                var weight = k[i];
                var row = input.Slice((first + i) * stride, stride);
                for (var x = 0; x < row.Length; x++)
                {
                    sums[x] += row[x] * weight;
                }
            }

            var outRow = output.AsSpan(y * stride, stride);
            for (var x = 0; x < outRow.Length; x++)
            {
                outRow[x] = Clip(sums[x]);
            }
        }

        return output;
    }

    private static byte Clip(int value) => (byte)Math.Clamp(value >> PrecisionBits, 0, 255);

    /// <summary>Pillow's <c>precompute_coeffs</c> and <c>normalize_coeffs_8bpc</c>.</summary>
    private static (int[] Bounds, int[] Weights, int KernelSize) Coefficients(int inSize, int outSize, Interpolation interpolation)
    {
        var support = interpolation == Interpolation.Bilinear ? 1.0 : 2.0;
        var scale = (double)inSize / outSize;
        var filterScale = Math.Max(scale, 1.0);
        support *= filterScale;
        var kernelSize = ((int)Math.Ceiling(support) * 2) + 1;
        var bounds = new int[outSize * 2];
        var weights = new int[outSize * kernelSize];
        var window = new double[kernelSize];
        for (var target = 0; target < outSize; target++)
        {
            var center = (target + 0.5) * scale;
            var inverse = 1.0 / filterScale;
            var first = Math.Max((int)(center - support + 0.5), 0);
            var count = Math.Min((int)(center + support + 0.5), inSize) - first;
            var total = 0.0;
            for (var i = 0; i < count; i++)
            {
                var weight = Filter(((i + first - center + 0.5) * inverse), interpolation);
                window[i] = weight;
                total += weight;
            }

            for (var i = 0; i < count; i++)
            {
                var normalised = total == 0 ? window[i] : window[i] / total;
                weights[(target * kernelSize) + i] = (int)(normalised < 0 ? (normalised * (1 << PrecisionBits)) - 0.5 : (normalised * (1 << PrecisionBits)) + 0.5);
            }

            bounds[target * 2] = first;
            bounds[(target * 2) + 1] = count;
        }

        return (bounds, weights, kernelSize);
    }

    private static double Filter(double x, Interpolation interpolation)
    {
        x = Math.Abs(x);
        if (interpolation == Interpolation.Bilinear)
        {
            return x < 1 ? 1 - x : 0;
        }

        // Keys cubic with a = -0.5, as Pillow's bicubic_filter.
        const double a = -0.5;
        return x < 1 ? ((((a + 2) * x) - (a + 3)) * x * x) + 1
            : x < 2 ? ((((x - 5) * x) + 8) * x - 4) * a
            : 0;
    }
}
