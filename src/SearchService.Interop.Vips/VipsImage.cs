using System.Runtime.InteropServices;
using SearchService.Interop.Vips.Native;

namespace SearchService.Interop.Vips;

/// <summary>
/// One reference to a libvips image. Images are lazy pipelines: pixels are computed when something writes them
/// (<see cref="CopyMemory"/>, <see cref="WriteToMemory"/>, a saver). Not thread-safe to mutate; safe to read from
/// several threads.
/// </summary>
public sealed unsafe class VipsImage : IDisposable
{
    internal VipsImage(GObjectHandle handle)
    {
        Handle = handle;
    }

    internal GObjectHandle Handle { get; }

    public int Width => VipsNative.vips_image_get_width(Handle);

    public int Height => VipsNative.vips_image_get_height(Handle);

    public int Bands => VipsNative.vips_image_get_bands(Handle);

    public VipsBandFormat Format => (VipsBandFormat)VipsNative.vips_image_get_format(Handle);

    public VipsInterpretation Interpretation => (VipsInterpretation)VipsNative.vips_image_get_interpretation(Handle);

    public bool HasAlpha => VipsNative.vips_image_hasalpha(Handle) != 0;

    /// <summary>Pages (frames) in the source file; 1 for still images.</summary>
    public int PageCount => VipsNative.vips_image_get_n_pages(Handle);

    /// <summary>Whether a metadata field exists (e.g. <c>icc-profile-data</c>, <c>orientation</c>).</summary>
    public bool HasField(string name) => VipsNative.vips_image_get_typeof(Handle, name) != 0;

    public bool TryGetInt(string name, out int value)
    {
        int result = 0;
        if (!HasField(name) || VipsNative.vips_image_get_int(Handle, name, &result) != 0)
        {
            VipsNative.vips_error_clear();
            value = 0;
            return false;
        }

        value = result;
        return true;
    }

    /// <summary>A string field, or one libvips can render as text (EXIF values are stored as "value (details)").</summary>
    public bool TryGetString(string name, out string? value)
    {
        byte* result = null;
        if (!HasField(name) || VipsNative.vips_image_get_string(Handle, name, &result) != 0 || result is null)
        {
            VipsNative.vips_error_clear();
            value = null;
            return false;
        }

        // Owned by the image: copied, never freed here.
        value = Marshal.PtrToStringUTF8((nint)result);
        return true;
    }

    /// <summary>Computes every pixel into memory; the copy supports random access (needed by e.g. autorot).</summary>
    public VipsImage CopyMemory()
    {
        var copy = VipsNative.vips_image_copy_memory(Handle);
        return copy == 0 ? throw VipsErrors.Take("Decoding the image failed") : new VipsImage(GObjectHandle.Own(copy));
    }

    /// <summary>Computes the pixels and copies them out, band-interleaved, row by row.</summary>
    public byte[] WriteToMemory()
    {
        nuint size = 0;
        var memory = VipsNative.vips_image_write_to_memory(Handle, &size);
        if (memory == 0)
        {
            throw VipsErrors.Take("Writing the image to memory failed");
        }

        using var buffer = GLibBuffer.Own(memory, size);
        return buffer.Span.ToArray();
    }

    /// <summary>
    /// Computes the pixels into libvips-owned memory and lets <paramref name="reader"/> read them in place (no managed
    /// copy of a possibly very large image); the memory is freed when the reader returns.
    /// </summary>
    public T ReadPixels<T>(PixelReader<T> reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        nuint size = 0;
        var memory = VipsNative.vips_image_write_to_memory(Handle, &size);
        if (memory == 0)
        {
            throw VipsErrors.Take("Writing the image to memory failed");
        }

        using var buffer = GLibBuffer.Own(memory, size);
        return reader(buffer.Span);
    }

    /// <summary>Asks libvips to stop computing this image; a running write then fails. Safe from any thread.</summary>
    public void Kill()
    {
        try
        {
            VipsNative.vips_image_set_kill(Handle, 1);
        }
        catch (ObjectDisposedException)
        {
            // Already finished and released: nothing left to stop.
        }
    }

    public void Dispose() => Handle.Dispose();
}

/// <summary>Reads an image's band-interleaved pixels, row by row, while they are valid.</summary>
public delegate T PixelReader<out T>(ReadOnlySpan<byte> pixels);
