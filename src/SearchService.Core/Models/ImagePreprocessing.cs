namespace SearchService.Core.Models;

/// <summary>How an image becomes the visual encoder's input tensor (from <c>preprocess_cfg.json</c>).</summary>
/// <param name="Size">Square side of the input, e.g. 224.</param>
/// <param name="ResizeMode">How the image is fitted into the square.</param>
/// <param name="Interpolation">Resampling kernel.</param>
/// <param name="Mean">Per-channel mean (RGB) subtracted after scaling to [0,1].</param>
/// <param name="Std">Per-channel standard deviation (RGB) divided by after the mean.</param>
public sealed record ImagePreprocessing(
    int Size,
    ResizeMode ResizeMode,
    Interpolation Interpolation,
    IReadOnlyList<float> Mean,
    IReadOnlyList<float> Std)
{
    /// <summary>Number of floats in one image tensor (3 × Size × Size, NCHW without the batch).</summary>
    public int TensorLength => 3 * Size * Size;
}

/// <summary>open_clip's resize modes.</summary>
public enum ResizeMode
{
    /// <summary>Resize the shorter side to Size, then centre-crop (the CLIP default).</summary>
    Shortest,

    /// <summary>Resize the longer side to Size, then pad (open_clip's <c>longest</c>).</summary>
    Longest,

    /// <summary>Resize both sides to Size, ignoring aspect ratio.</summary>
    Squash,
}

/// <summary>Resampling kernels named by open_clip.</summary>
public enum Interpolation
{
    Bicubic,
    Bilinear,
    Nearest,
}
