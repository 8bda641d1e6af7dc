using System.Buffers.Binary;
using SearchService.Core.Images;

namespace SearchService.Inference.Imaging;

/// <summary>
/// Checks done on the raw container before libvips sees it, where a decoder's own handling is weaker than ours:
/// sizes claimed at fixed header offsets (so a bomb is refused as too large rather than failing inside the decoder as
/// damaged) and PNG text chunks, which we never read but libspng would inflate (a 64 MB zTXt bomb costs a second).
/// </summary>
internal static class ContainerPrecheck
{
    private const int PngSignatureLength = 8;

    /// <summary>Width and height as the container's first header states them, for formats that put them at fixed offsets.</summary>
    internal static (int Width, int Height)? ClaimedSize(ImageFormat format, ReadOnlySpan<byte> data) => format switch
    {
        // Signature, IHDR length and type, then big-endian width and height.
        ImageFormat.Png when data.Length >= 24 && data[12..16].SequenceEqual("IHDR"u8) =>
            ((int)Math.Min(int.MaxValue, BinaryPrimitives.ReadUInt32BigEndian(data[16..])), (int)Math.Min(int.MaxValue, BinaryPrimitives.ReadUInt32BigEndian(data[20..]))),

        ImageFormat.Gif when data.Length >= 13 => GifExtent(data),
        _ => null,
    };

    /// <summary>
    /// The larger of the logical screen and the first frame's extent: a frame may claim far more than the screen
    /// (Pillow's decompression_bomb.gif: a 32×32 screen with a 65535×65535 frame).
    /// </summary>
    private static (int Width, int Height) GifExtent(ReadOnlySpan<byte> data)
    {
        int width = BinaryPrimitives.ReadUInt16LittleEndian(data[6..]);
        int height = BinaryPrimitives.ReadUInt16LittleEndian(data[8..]);
        var offset = 13;
        if ((data[10] & 0x80) != 0)
        {
            offset += 3 << ((data[10] & 0x07) + 1);
        }

        // Skip extensions (0x21 label, then sub-blocks up to a zero length) until the first image descriptor.
        while (offset < data.Length && data[offset] == 0x21)
        {
            offset += 2;
            while (offset < data.Length && data[offset] != 0)
            {
                offset += data[offset] + 1;
            }

            offset++;
        }

        if (offset + 9 < data.Length && data[offset] == 0x2C)
        {
            var descriptor = data[(offset + 1)..];
            width = Math.Max(width, BinaryPrimitives.ReadUInt16LittleEndian(descriptor) + BinaryPrimitives.ReadUInt16LittleEndian(descriptor[4..]));
            height = Math.Max(height, BinaryPrimitives.ReadUInt16LittleEndian(descriptor[2..]) + BinaryPrimitives.ReadUInt16LittleEndian(descriptor[6..]));
        }

        return (width, height);
    }

    /// <summary>
    /// The PNG without its tEXt, zTXt and iTXt chunks, or <see langword="null"/> when it has none (or its chunk
    /// structure is broken, which the decoder then reports).
    /// </summary>
    internal static byte[]? PngWithoutText(ReadOnlySpan<byte> data)
    {
        var keep = new List<Range>();
        var dropped = false;
        var offset = PngSignatureLength;
        var keptFrom = 0;
        while (offset + 12 <= data.Length)
        {
            var length = BinaryPrimitives.ReadUInt32BigEndian(data[offset..]);
            if (length > int.MaxValue || offset + 12 + (long)length > data.Length)
            {
                break;
            }

            var type = data.Slice(offset + 4, 4);
            var end = offset + 12 + (int)length;
            if (type.SequenceEqual("tEXt"u8) || type.SequenceEqual("zTXt"u8) || type.SequenceEqual("iTXt"u8))
            {
                keep.Add(keptFrom..offset);
                keptFrom = end;
                dropped = true;
            }
            else if (type.SequenceEqual("IEND"u8))
            {
                break;
            }

            offset = end;
        }

        if (!dropped)
        {
            return null;
        }

        keep.Add(keptFrom..data.Length);
        var total = 0;
        foreach (var range in keep)
        {
            total += range.GetOffsetAndLength(data.Length).Length;
        }

        var result = new byte[total];
        var written = 0;
        foreach (var range in keep)
        {
            var slice = data[range];
            slice.CopyTo(result.AsSpan(written));
            written += slice.Length;
        }

        return result;
    }
}
