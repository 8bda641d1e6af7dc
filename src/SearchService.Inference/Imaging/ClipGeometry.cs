using SearchService.Core.Models;

namespace SearchService.Inference.Imaging;

/// <summary>A rectangle of the resized image placed into the square model input (negative offsets pad).</summary>
/// <param name="ResizedWidth">Width the whole image is resized to.</param>
/// <param name="ResizedHeight">Height the whole image is resized to.</param>
/// <param name="Left">Column of the resized image where the square starts (negative: padding on the left).</param>
/// <param name="Top">Row of the resized image where the square starts (negative: padding on top).</param>
internal readonly record struct ClipGeometry(int ResizedWidth, int ResizedHeight, int Left, int Top)
{
    /// <summary>
    /// open_clip's arithmetic, reproduced exactly because a one-pixel shift of the crop costs more parity than any
    /// kernel difference: torchvision's <c>Resize(int)</c> keeps the short side and truncates the long one,
    /// <c>CenterCrop</c> rounds its offsets half-to-even (Python's <c>round</c>), <c>ResizeKeepRatio</c> rounds the
    /// sides the same way and the pad of <c>CenterCropOrPad</c> floors.
    /// </summary>
    internal static ClipGeometry For(int width, int height, ImagePreprocessing preprocessing)
    {
        var size = preprocessing.Size;
        switch (preprocessing.ResizeMode)
        {
            case ResizeMode.Squash:
                return new ClipGeometry(size, size, 0, 0);
            case ResizeMode.Longest:
            {
                var ratio = Math.Max((double)width / size, (double)height / size);
                var resizedWidth = Math.Max(1, (int)Math.Round(width / ratio, MidpointRounding.ToEven));
                var resizedHeight = Math.Max(1, (int)Math.Round(height / ratio, MidpointRounding.ToEven));
                return new ClipGeometry(resizedWidth, resizedHeight, -((size - resizedWidth) / 2), -((size - resizedHeight) / 2));
            }

            default:
            {
                var shortSide = Math.Min(width, height);
                var longSide = Math.Max(width, height);
                var resizedLong = Math.Max(size, (int)((double)size * longSide / shortSide));
                var (resizedWidth, resizedHeight) = width <= height ? (size, resizedLong) : (resizedLong, size);
                return new ClipGeometry(
                    resizedWidth,
                    resizedHeight,
                    (int)Math.Round((resizedWidth - size) / 2.0, MidpointRounding.ToEven),
                    (int)Math.Round((resizedHeight - size) / 2.0, MidpointRounding.ToEven));
            }
        }
    }
}
