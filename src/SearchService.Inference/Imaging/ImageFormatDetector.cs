using SearchService.Core.Images;

namespace SearchService.Inference.Imaging;

/// <summary>
/// Names the format from the first bytes, never from a file name. Anything not on the allow-list is
/// <see langword="null"/>: SVG, PDF, HTML, BMP, JPEG 2000 and friends never reach a libvips loader.
/// </summary>
internal static class ImageFormatDetector
{
    internal static ImageFormat? Detect(ReadOnlySpan<byte> data)
    {
        if (data.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]))
        {
            return ImageFormat.Jpeg;
        }

        if (data.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]))
        {
            return ImageFormat.Png;
        }

        if (data.StartsWith("GIF87a"u8) || data.StartsWith("GIF89a"u8))
        {
            return ImageFormat.Gif;
        }

        if (data.Length >= 12 && data.StartsWith("RIFF"u8) && data[8..12].SequenceEqual("WEBP"u8))
        {
            return ImageFormat.WebP;
        }

        // Classic TIFF (42) and BigTIFF (43), either byte order.
        if (data.StartsWith("II\x2A\0"u8) || data.StartsWith("MM\0\x2A"u8) || data.StartsWith("II\x2B\0"u8) || data.StartsWith("MM\0\x2B"u8))
        {
            return ImageFormat.Tiff;
        }

        return DetectIsoMedia(data);
    }

    /// <summary>HEIF and AVIF: an ISO-BMFF <c>ftyp</c> box whose major or compatible brands name an image format.</summary>
    private static ImageFormat? DetectIsoMedia(ReadOnlySpan<byte> data)
    {
        if (data.Length < 16 || !data[4..8].SequenceEqual("ftyp"u8))
        {
            return null;
        }

        var boxSize = (data[0] << 24) | (data[1] << 16) | (data[2] << 8) | data[3];
        if (boxSize < 16 || boxSize > data.Length || boxSize > 4096)
        {
            return null;
        }

        var heif = false;
        // Brands: major at 8, minor version at 12, compatible brands from 16, four bytes each.
        for (var offset = 8; offset + 4 <= boxSize; offset = offset == 8 ? 16 : offset + 4)
        {
            var brand = data.Slice(offset, 4);
            if (brand.SequenceEqual("avif"u8) || brand.SequenceEqual("avis"u8))
            {
                return ImageFormat.Avif;
            }

            heif |= brand.SequenceEqual("heic"u8) || brand.SequenceEqual("heix"u8) || brand.SequenceEqual("heim"u8)
                || brand.SequenceEqual("heis"u8) || brand.SequenceEqual("hevc"u8) || brand.SequenceEqual("hevx"u8)
                || brand.SequenceEqual("mif1"u8) || brand.SequenceEqual("msf1"u8);
        }

        return heif ? ImageFormat.Heif : null;
    }
}
