using SearchService.Core.Models;

namespace SearchService.Inference.Imaging;

/// <summary>
/// Pillow's separable resampling for 8-bit RGB, written from its published algorithm: per output pixel a window of
/// input pixels centred on <c>(x + 0.5) · scale</c>, weighted by the kernel stretched by the reduction factor,
/// normalised, in 22-bit fixed point, horizontal pass first and each pass rounded to 8 bits. Used where libvips has
/// no PIL-compatible path (enlarging, and nearest-neighbour), so small images match the reference exactly.
/// </summary>
internal static class PilResampler
{
    private const int PrecisionBits = 32 - 8 - 2;

    internal static byte[] Resize(byte[] pixels, int width, int height, int newWidth, int newHeight, Interpolation interpolation)
    {
        if (interpolation == Interpolation.Nearest)
        {
            return Nearest(pixels, width, height, newWidth, newHeight);
        }

        var current = pixels;
        if (newWidth != width)
        {
            current = Pass(current, width, height, newWidth, interpolation, horizontal: true);
        }

        if (newHeight != height)
        {
            current = Pass(current, newWidth, height, newHeight, interpolation, horizontal: false);
        }

        return current;
    }

    /// <summary>PIL's NEAREST: the input pixel under each output pixel's centre.</summary>
    private static byte[] Nearest(byte[] pixels, int width, int height, int newWidth, int newHeight)
    {
        var output = new byte[newWidth * newHeight * 3];
        var xScale = (double)width / newWidth;
        var yScale = (double)height / newHeight;
        for (var y = 0; y < newHeight; y++)
        {
            var sourceY = Math.Min(height - 1, (int)((y + 0.5) * yScale));
            for (var x = 0; x < newWidth; x++)
            {
                var sourceX = Math.Min(width - 1, (int)((x + 0.5) * xScale));
                pixels.AsSpan(((sourceY * width) + sourceX) * 3, 3).CopyTo(output.AsSpan(((y * newWidth) + x) * 3));
            }
        }

        return output;
    }

    private static byte[] Pass(byte[] input, int width, int height, int newSize, Interpolation interpolation, bool horizontal)
    {
        var inSize = horizontal ? width : height;
        var (bounds, weights, kernelSize) = Coefficients(inSize, newSize, interpolation);
        var (outWidth, outHeight) = horizontal ? (newSize, height) : (width, newSize);
        var output = new byte[outWidth * outHeight * 3];
        var rounding = 1 << (PrecisionBits - 1);
        for (var y = 0; y < outHeight; y++)
        {
            for (var x = 0; x < outWidth; x++)
            {
                var target = horizontal ? x : y;
                var first = bounds[target * 2];
                var count = bounds[(target * 2) + 1];
                var k = weights.AsSpan(target * kernelSize, count);
                int red = rounding, green = rounding, blue = rounding;
                for (var i = 0; i < count; i++)
                {
                    var source = horizontal ? ((y * width) + first + i) * 3 : ((((first + i) * width) + x) * 3);
                    red += input[source] * k[i];
                    green += input[source + 1] * k[i];
                    blue += input[source + 2] * k[i];
                }

                var offset = ((y * outWidth) + x) * 3;
                output[offset] = Clip(red);
                output[offset + 1] = Clip(green);
                output[offset + 2] = Clip(blue);
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
