using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using SearchService.Core.Images;
using SearchService.Testing;

namespace SearchService.Imaging.Tests.Support;

/// <summary>A generated hostile input and the rejection it must get (null: decoding it is fine too).</summary>
internal sealed record HostileCase(string Name, byte[] Data, ImageRejectionReason? Expected);

/// <summary>Builds hostile inputs from scratch or by damaging the committed sample images.</summary>
internal static class HostileFiles
{
    private const int Huge = 100_000;

    internal static IEnumerable<HostileCase> All()
    {
        var formats = Path.Combine(Preparers.EdgeCases, "formats");
        var jpeg = File.ReadAllBytes(Path.Combine(formats, "hopper.jpg"));
        var png = File.ReadAllBytes(Path.Combine(formats, "hopper.png"));
        var gif = File.ReadAllBytes(Path.Combine(Preparers.Photos, "hopper.gif"));
        var webp = File.ReadAllBytes(Path.Combine(formats, "hopper.webp"));
        var tiff = File.ReadAllBytes(Path.Combine(formats, "hopper.tif"));

        yield return new("zero-length", [], ImageRejectionReason.Empty);
        var random = new Random(20261206);
        foreach (var length in (int[])[1, 7, 64, 4096, 1 << 20])
        {
            var bytes = new byte[length];
            random.NextBytes(bytes);
            bytes[0] = 0x42; // never a valid magic by chance
            yield return new($"random-{length}", bytes, ImageRejectionReason.UnsupportedFormat);
        }

        foreach (var fraction in (double[])[0.05, 0.3, 0.6, 0.9, 0.99])
        {
            yield return new($"truncated-jpeg-{fraction}", jpeg[..(int)(jpeg.Length * fraction)], ImageRejectionReason.Corrupt);
            yield return new($"truncated-png-{fraction}", png[..(int)(png.Length * fraction)], ImageRejectionReason.Corrupt);
            yield return new($"truncated-webp-{fraction}", webp[..(int)(webp.Length * fraction)], ImageRejectionReason.Corrupt);
            yield return new($"truncated-tiff-{fraction}", tiff[..(int)(tiff.Length * fraction)], ImageRejectionReason.Corrupt);
        }

        foreach (var offset in (int[])[3, 8, 16, 33, 100])
        {
            yield return new($"magic-only-jpeg-{offset}", [.. jpeg[..3], .. new byte[offset]], ImageRejectionReason.Corrupt);
            yield return new($"magic-only-png-{offset}", [.. png[..8], .. new byte[offset]], ImageRejectionReason.Corrupt);
        }

        yield return new("flipped-bits-jpeg", Flip(jpeg, random), null);
        yield return new("flipped-bits-png", Flip(png, random), ImageRejectionReason.Corrupt);

        // Other formats, whatever their file name would say: never handed to a loader.
        yield return new("svg", "<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"100000\" height=\"100000\"/>"u8.ToArray(), ImageRejectionReason.UnsupportedFormat);
        yield return new("svg-bare", "<svg width=\"10\" height=\"10\"></svg>"u8.ToArray(), ImageRejectionReason.UnsupportedFormat);
        yield return new("pdf", "%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"u8.ToArray(), ImageRejectionReason.UnsupportedFormat);
        yield return new("html", "<!DOCTYPE html><html><body><img src=x onerror=alert(1)></body></html>"u8.ToArray(), ImageRejectionReason.UnsupportedFormat);
        yield return new("bmp", File.ReadAllBytes(Path.Combine(formats, "hopper.bmp")), ImageRejectionReason.UnsupportedFormat);
        yield return new("jpeg2000", [0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A, 0, 0, 0, 0], ImageRejectionReason.UnsupportedFormat);
        yield return new("ppm", "P6\n100000 100000\n255\n"u8.ToArray(), ImageRejectionReason.UnsupportedFormat);
        yield return new("vips-native", [0x08, 0xF2, 0xA6, 0xB6, .. new byte[60]], ImageRejectionReason.UnsupportedFormat);
        yield return new("zip-then-png", [.. Zip(png), .. png], ImageRejectionReason.UnsupportedFormat);
        yield return new("mp4-ftyp", [0, 0, 0, 0x18, .. "ftypisom"u8, 0, 0, 0, 0, .. "isommp41"u8], ImageRejectionReason.UnsupportedFormat);

        // Polyglots that start as an accepted format: decoded as that format or refused as damaged, nothing else.
        yield return new("png-then-zip", [.. png, .. Zip(png)], null);
        yield return new("jpeg-then-html", [.. jpeg, .. "<html><script>alert(1)</script></html>"u8], null);
        yield return new("gif-then-jar", [.. gif, .. Zip(gif)], null);
        yield return new("png-magic-then-svg", [.. png[..8], .. "<svg xmlns=\"http://www.w3.org/2000/svg\"/>"u8], ImageRejectionReason.Corrupt);

        // Headers that claim far more pixels than the data holds: refused from the header, in milliseconds.
        yield return new("png-100000x100000", PngBytes.Encode(Huge, Huge, 2, [PngBytes.Chunk("IDAT", Deflate(new byte[1024]))]), ImageRejectionReason.TooLarge);
        yield return new("png-1x100000000", PngBytes.Encode(1, 100_000_000, 2, []), ImageRejectionReason.TooLarge);
        yield return new("jpeg-65500x65500", JpegClaiming(jpeg, 65500, 65500), ImageRejectionReason.TooLarge);
        yield return new("jpeg-30000x30000", JpegClaiming(jpeg, 30000, 30000), ImageRejectionReason.TooLarge);
        yield return new("gif-65535x65535", GifClaiming(gif, 65535, 65535), ImageRejectionReason.TooLarge);
        yield return new("webp-16383x16383", WebpClaiming(webp, 16383, 16383), ImageRejectionReason.TooLarge);
        yield return new("tiff-100000x100000", Tiff(Huge, Huge, nextIfdLoops: false), ImageRejectionReason.TooLarge);

        // Metadata meant to exhaust parsers: many, huge or self-referencing structures around a small image.
        yield return new("png-20000-text-chunks", InsertPngChunks(png, Enumerable.Range(0, 20_000).Select(i => PngBytes.Chunk("tEXt", Encoding.ASCII.GetBytes($"Comment\0{i}")))), null);
        yield return new("png-ztxt-bomb", InsertPngChunks(png, [PngBytes.Chunk("zTXt", [.. "Comment\0\0"u8, .. Deflate(new byte[64 << 20])])]), null);
        yield return new("png-iccp-bomb", InsertPngChunks(png, [PngBytes.Chunk("iCCP", [.. "icc\0\0"u8, .. Deflate(new byte[64 << 20])])]), null);
        yield return new("jpeg-200-app1-segments", InsertJpegSegments(jpeg, Enumerable.Range(0, 200).Select(_ => Segment(0xE1, [.. "Exif\0\0"u8, .. ExifNested(65000)]))), null);
        yield return new("jpeg-huge-icc", InsertJpegSegments(jpeg, Enumerable.Range(1, 250).Select(i => Segment(0xE2, [.. "ICC_PROFILE\0"u8, (byte)i, 250, .. new byte[65000]]))), null);
        yield return new("jpeg-comment-flood", InsertJpegSegments(jpeg, Enumerable.Range(0, 200).Select(_ => Segment(0xFE, new byte[60000]))), null);
        yield return new("tiff-ifd-loop", Tiff(64, 64, nextIfdLoops: true), null);
    }

    /// <summary>A valid, flat grey PNG of the given size (compresses to almost nothing, decodes at full cost).</summary>
    internal static byte[] FlatPng(int width, int height)
    {
        var row = new byte[1 + (width * 3)];
        row.AsSpan(1).Fill(128);
        using var stream = new MemoryStream();
        using (var zlib = new ZLibStream(stream, CompressionLevel.Fastest, leaveOpen: true))
        {
            for (var y = 0; y < height; y++)
            {
                zlib.Write(row);
            }
        }

        return PngBytes.Encode(width, height, 2, [PngBytes.Chunk("IDAT", stream.ToArray())]);
    }

    private static byte[] Flip(byte[] data, Random random)
    {
        var copy = data.ToArray();
        for (var i = 0; i < 40; i++)
        {
            var at = random.Next(data.Length / 4, data.Length);
            copy[at] ^= (byte)(1 << random.Next(8));
        }

        return copy;
    }

    private static byte[] Zip(byte[] content)
    {
        using var stream = new MemoryStream();
        using (var archive = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var entry = archive.CreateEntry("payload.bin").Open();
            entry.Write(content);
        }

        return stream.ToArray();
    }

    private static byte[] Deflate(byte[] content)
    {
        using var stream = new MemoryStream();
        using (var zlib = new ZLibStream(stream, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            zlib.Write(content);
        }

        return stream.ToArray();
    }

    /// <summary>Inserts chunks right after IHDR (8-byte signature + 25-byte IHDR chunk).</summary>
    private static byte[] InsertPngChunks(byte[] png, IEnumerable<byte[]> chunks) =>
        [.. png[..33], .. chunks.SelectMany(chunk => chunk), .. png[33..]];

    private static byte[] Segment(byte marker, byte[] payload)
    {
        var segment = new byte[4 + payload.Length];
        segment[0] = 0xFF;
        segment[1] = marker;
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), checked((ushort)(payload.Length + 2)));
        payload.CopyTo(segment, 4);
        return segment;
    }

    /// <summary>Inserts segments right after SOI.</summary>
    private static byte[] InsertJpegSegments(byte[] jpeg, IEnumerable<byte[]> segments) =>
        [.. jpeg[..2], .. segments.SelectMany(segment => segment), .. jpeg[2..]];

    /// <summary>A little-endian TIFF/EXIF block whose IFD chain points back to itself, padded to the size asked.</summary>
    private static byte[] ExifNested(int size)
    {
        var block = new byte[size];
        "II*\0"u8.CopyTo(block);
        BinaryPrimitives.WriteInt32LittleEndian(block.AsSpan(4), 8);
        // IFD at 8: one ExifIFD pointer (0x8769) to itself, next IFD = itself.
        BinaryPrimitives.WriteUInt16LittleEndian(block.AsSpan(8), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(block.AsSpan(10), 0x8769);
        BinaryPrimitives.WriteUInt16LittleEndian(block.AsSpan(12), 4);
        BinaryPrimitives.WriteInt32LittleEndian(block.AsSpan(14), 1);
        BinaryPrimitives.WriteInt32LittleEndian(block.AsSpan(18), 8);
        BinaryPrimitives.WriteInt32LittleEndian(block.AsSpan(22), 8);
        return block;
    }

    private static byte[] JpegClaiming(byte[] jpeg, int width, int height)
    {
        var copy = jpeg.ToArray();
        for (var i = 2; i + 9 < copy.Length; i++)
        {
            // SOF0/SOF1/SOF2: FF Cx, length, precision, height, width.
            if (copy[i] == 0xFF && copy[i + 1] is 0xC0 or 0xC1 or 0xC2)
            {
                BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(i + 5), (ushort)height);
                BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(i + 7), (ushort)width);
                return copy;
            }
        }

        throw new InvalidOperationException("no SOF marker in the sample JPEG");
    }

    private static byte[] GifClaiming(byte[] gif, int width, int height)
    {
        var copy = gif.ToArray();
        BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan(6), (ushort)width);
        BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan(8), (ushort)height);
        return copy;
    }

    private static byte[] WebpClaiming(byte[] webp, int width, int height)
    {
        var copy = webp.ToArray();
        if (!copy.AsSpan(12, 4).SequenceEqual("VP8 "u8))
        {
            throw new InvalidOperationException("the sample WebP is not a simple lossy file");
        }

        // VP8 key frame: 3-byte tag, start code 9D 01 2A, then 14-bit width and height.
        BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan(26), (ushort)width);
        BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan(28), (ushort)height);
        return copy;
    }

    /// <summary>A minimal greyscale TIFF; optionally its IFD names itself as the next one (an endless chain).</summary>
    private static byte[] Tiff(int width, int height, bool nextIfdLoops)
    {
        var entries = new (ushort Tag, ushort Type, int Value)[]
        {
            (256, 4, width), (257, 4, height), (258, 3, 8), (259, 3, 1), (262, 3, 1), (273, 4, 200), (277, 3, 1),
            (278, 4, height), (279, 4, 64),
        };
        var data = new byte[200 + 64];
        "II*\0"u8.CopyTo(data);
        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(4), 8);
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(8), (ushort)entries.Length);
        for (var i = 0; i < entries.Length; i++)
        {
            var at = 10 + (i * 12);
            BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(at), entries[i].Tag);
            BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(at + 2), entries[i].Type);
            BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(at + 4), 1);
            if (entries[i].Type == 3)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(at + 8), (ushort)entries[i].Value);
            }
            else
            {
                BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(at + 8), entries[i].Value);
            }
        }

        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(10 + (entries.Length * 12)), nextIfdLoops ? 8 : 0);
        return data;
    }
}
