using System.Runtime.InteropServices;
using System.Text;

namespace SearchService.Interop.OnnxRuntime.Native;

/// <summary>A native <c>const char* const*</c> of NUL-terminated UTF-8 strings, freed on dispose.</summary>
internal sealed unsafe class Utf8StringArray : IDisposable
{
    private readonly byte** pointers;
    private readonly int count;
    private bool disposed;

    public Utf8StringArray(IEnumerable<string> values)
    {
        var list = values.ToList();
        count = list.Count;
        pointers = (byte**)NativeMemory.AllocZeroed((nuint)Math.Max(count, 1), (nuint)sizeof(nint));
        for (var i = 0; i < count; i++)
        {
            pointers[i] = AllocUtf8(list[i]);
        }
    }

    public byte** Pointers => pointers;

    public int Count => count;

    public static byte* AllocUtf8(string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        var bytes = (byte*)NativeMemory.Alloc((nuint)length + 1);
        Encoding.UTF8.GetBytes(value, new Span<byte>(bytes, length));
        bytes[length] = 0;
        return bytes;
    }

    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        for (var i = 0; i < count; i++)
        {
            NativeMemory.Free(pointers[i]);
            pointers[i] = null;
        }

        NativeMemory.Free(pointers);
    }
}
