using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace SearchService.Testing;

/// <summary>
/// Writes a row-major NumPy .npy file (format 1.0, little-endian) row by row, so large arrays never sit in memory
/// twice; what the Python references read with <c>numpy.load</c>.
/// </summary>
public sealed class NpyWriter : IDisposable
{
    private readonly FileStream _stream;

    private NpyWriter(string path, string descr, string shape)
    {
        _stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        var header = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}";
        // Magic (6) + version (2) + length (2) + header, padded with spaces to a multiple of 64 and ended by a newline.
        var padded = header.PadRight(((10 + header.Length + 1 + 63) / 64 * 64) - 10 - 1) + "\n";
        _stream.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        _stream.Write(BitConverter.GetBytes(checked((ushort)padded.Length)));
        _stream.Write(Encoding.ASCII.GetBytes(padded));
    }

    public static NpyWriter Float32(string path, long rows, int columns) =>
        new(path, "<f4", string.Create(CultureInfo.InvariantCulture, $"({rows}, {columns})"));

    /// <summary>A whole float32 array of any shape in one call.</summary>
    public static void Float32(string path, ReadOnlySpan<float> values, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var dimensions = string.Join(", ", shape.Select(dimension => dimension.ToString(CultureInfo.InvariantCulture)));
        using var writer = new NpyWriter(path, "<f4", $"({dimensions}{(shape.Length == 1 ? "," : string.Empty)})");
        writer.Write(values);
    }

    public static void UInt8(string path, ReadOnlySpan<byte> values)
    {
        using var writer = new NpyWriter(path, "|u1", string.Create(CultureInfo.InvariantCulture, $"({values.Length},)"));
        writer._stream.Write(values);
    }

    public void Write(ReadOnlySpan<float> values) => _stream.Write(MemoryMarshal.AsBytes(values));

    public void Dispose() => _stream.Dispose();
}
