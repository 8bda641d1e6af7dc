using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using SearchService.Testing;

namespace SearchService.Api.Tests.Ingest;

/// <summary>Distinct, valid image files and archives of them, made on the spot.</summary>
internal static class TestImages
{
    /// <summary>An RGB PNG whose pixels depend on <paramref name="seed"/>: different seeds, different bytes.</summary>
    public static byte[] Png(int seed, int width = 48, int height = 40)
    {
        var random = new Random(seed);
        var raw = new byte[height * (1 + width * 3)];
        var (r, g, b) = ((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
        for (var y = 0; y < height; y++)
        {
            var row = y * (1 + width * 3);
            for (var x = 0; x < width; x++)
            {
                var noise = (byte)random.Next(16);
                raw[row + 1 + x * 3] = (byte)(r ^ noise);
                raw[row + 2 + x * 3] = (byte)(g + y);
                raw[row + 3 + x * 3] = (byte)(b + x);
            }
        }

        return PngBytes.Encode(width, height, colourType: 2, [PngBytes.ImageData(raw)]);
    }

    /// <summary>A well-formed PNG whose header claims <paramref name="width"/> × <paramref name="height"/> pixels; it holds one row.</summary>
    public static byte[] PngClaiming(int width, int height)
    {
        return PngBytes.Encode(width, height, colourType: 0, [PngBytes.ImageData(new byte[1 + width])]);
    }

    /// <summary>A PNG cut short: the format is recognised, the data is damaged.</summary>
    public static byte[] TruncatedPng(int seed) => Png(seed)[..60];

    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    public static byte[] Zip(IEnumerable<(string Name, byte[] Content)> entries)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content) in entries)
            {
                using var stream = zip.CreateEntry(name, CompressionLevel.Fastest).Open();
                stream.Write(content);
            }
        }

        return buffer.ToArray();
    }

    public static byte[] Tar(IEnumerable<(string Name, byte[] Content)> entries, bool gzip = false)
    {
        using var buffer = new MemoryStream();
        using (Stream target = gzip ? new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true) : buffer)
        using (var tar = new TarWriter(target, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, content) in entries)
            {
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(content) });
            }
        }

        return buffer.ToArray();
    }
}
