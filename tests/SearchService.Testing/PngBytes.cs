using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace SearchService.Testing;

/// <summary>PNG files assembled chunk by chunk, for tests that need exact control over what a decoder is given.</summary>
public static class PngBytes
{
    private static readonly uint[] CrcTable = Enumerable.Range(0, 256).Select(n =>
    {
        var c = (uint)n;
        for (var k = 0; k < 8; k++)
        {
            c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        }

        return c;
    }).ToArray();

    /// <summary>Signature, an 8-bit IHDR claiming width × height pixels of the colour type (0 grey, 2 RGB), the chunks, IEND.</summary>
    public static byte[] Encode(int width, int height, byte colourType, IEnumerable<byte[]> chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;
        header[9] = colourType;
        return [0x89, .. "PNG\r\n\u001a\n"u8, .. Chunk("IHDR", header), .. chunks.SelectMany(chunk => chunk), .. Chunk("IEND", [])];
    }

    /// <summary>An IDAT chunk holding <paramref name="filteredScanlines"/> (each row led by its filter byte), zlib-compressed.</summary>
    public static byte[] ImageData(ReadOnlySpan<byte> filteredScanlines)
    {
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            zlib.Write(filteredScanlines);
        }

        return Chunk("IDAT", compressed.ToArray());
    }

    /// <summary>Length, type, data and the CRC-32 of type and data.</summary>
    public static byte[] Chunk(string type, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(type);
        var chunk = new byte[12 + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(chunk, data.Length);
        Encoding.ASCII.GetBytes(type, chunk.AsSpan(4, 4));
        data.CopyTo(chunk.AsSpan(8));
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), Crc(chunk.AsSpan(4, 4 + data.Length)));
        return chunk;
    }

    private static uint Crc(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var value in data)
        {
            crc = CrcTable[(crc ^ value) & 0xFF] ^ (crc >> 8);
        }

        return crc ^ 0xFFFFFFFFu;
    }
}
