using SearchService.Interop.Vips;

namespace SearchService.Inference.Imaging;

/// <summary>
/// Owns every intermediate image of one preparation, so each step can hand on a new image without tracking which
/// earlier ones are still referenced by the lazy pipeline (libvips keeps its own references).
/// </summary>
internal sealed class ImagePipeline : IDisposable
{
    private readonly List<VipsImage> images = [];

    internal VipsImage Keep(VipsImage image)
    {
        images.Add(image);
        return image;
    }

    internal VipsImage Call(string nickname, VipsImage input, Action<VipsOperation>? configure = null, string inputName = "in") =>
        Keep(VipsOperation.Call(nickname, input, configure, inputName));

    /// <summary>An operation on two images (<c>left</c>, <c>right</c>), e.g. <c>multiply</c>.</summary>
    internal VipsImage Call(string nickname, VipsImage left, VipsImage right)
    {
        using var operation = VipsOperation.Create(nickname);
        return Keep(operation.Set("left", left).Set("right", right).Build().GetImage("out"));
    }

    public void Dispose()
    {
        for (var i = images.Count - 1; i >= 0; i--)
        {
            images[i].Dispose();
        }

        images.Clear();
    }
}
