using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace SearchService.Cli.Commands;

/// <summary>NumPy's .npy format 1.0 for little-endian float32 arrays in C order (what <c>numpy.load</c> reads).</summary>
internal static class NpyFile
{
    public static async Task WriteAsync(string path, float[] data, IReadOnlyList<int> shape, CancellationToken cancellationToken)
    {
        var dimensions = string.Join(", ", shape.Select(dimension => dimension.ToString(CultureInfo.InvariantCulture)));
        var header = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({dimensions}{(shape.Count == 1 ? "," : string.Empty)}), }}";
        // Magic (6) + version (2) + header length (2) + header + newline, padded with spaces to a multiple of 64.
        var padding = (64 - ((10 + header.Length + 1) % 64)) % 64;
        header = header + new string(' ', padding) + "\n";
        var bytes = new byte[10 + header.Length + (data.Length * sizeof(float))];
        bytes[0] = 0x93;
        "NUMPY"u8.CopyTo(bytes.AsSpan(1));
        bytes[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)header.Length);
        Encoding.ASCII.GetBytes(header, bytes.AsSpan(10));
        var body = bytes.AsSpan(10 + header.Length);
        for (var i = 0; i < data.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(body[(i * sizeof(float))..], data[i]);
        }

        await File.WriteAllBytesAsync(path, bytes, cancellationToken);
    }
}
