using SearchService.Core.Images;
using SearchService.Core.Models;

namespace SearchService.Api.Tests.Fakes;

/// <summary>Stands in for libvips until the real preparer is merged: PNG magic or refusal, a constant tensor.</summary>
internal sealed class FakePreparer(ModelDescriptor model) : IImagePreparer
{
    private static readonly byte[] PngMagic = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    public ImageProbe Probe(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            throw new ImageRejectedException(ImageRejectionReason.Empty, "The file is empty.");
        }

        if (!data.StartsWith(PngMagic))
        {
            throw new ImageRejectedException(ImageRejectionReason.UnsupportedFormat, "Not an accepted image format.");
        }

        if (data.Length < 40)
        {
            throw new ImageRejectedException(ImageRejectionReason.Corrupt, "Truncated PNG.");
        }

        return new ImageProbe(ImageFormat.Png, 4, 3);
    }

    public PreparedImage Prepare(ReadOnlyMemory<byte> data, PrepareOptions options, CancellationToken cancellationToken)
    {
        var probe = Probe(data.Span);
        var tensor = new float[model.Preprocessing.TensorLength];
        for (var i = 0; i < tensor.Length; i++)
        {
            tensor[i] = data.Span[(i * 7) % data.Length] / 255f;
        }

        return new PreparedImage(probe, tensor, options.ThumbnailSize > 0 ? data.ToArray() : [], "image/png");
    }
}
