using System.Runtime.InteropServices;

namespace SearchService.Interop.Vips.Native;

/// <summary>One reference to a GObject (a VipsImage or VipsOperation); releasing it drops that reference.</summary>
internal sealed class GObjectHandle : SafeHandle
{
    public GObjectHandle()
        : base(0, ownsHandle: true)
    {
    }

    private GObjectHandle(nint existing)
        : base(0, ownsHandle: true)
    {
        SetHandle(existing);
    }

    public override bool IsInvalid => handle == 0;

    /// <summary>Takes over a reference the caller already owns (a "transfer full" return value).</summary>
    internal static GObjectHandle Own(nint pointer) => new(pointer);

    /// <summary>Adds a reference of our own to an object someone else holds ("transfer none").</summary>
    internal static GObjectHandle Borrow(nint pointer) => new(GObjectNative.g_object_ref(pointer));

    protected override bool ReleaseHandle()
    {
        GObjectNative.g_object_unref(handle);
        return true;
    }
}

/// <summary>Memory that GLib allocated for us (e.g. <c>vips_image_write_to_memory</c>); released with <c>g_free</c>.</summary>
internal sealed class GLibBuffer : SafeHandle
{
    public GLibBuffer()
        : base(0, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == 0;

    internal nuint Length { get; private set; }

    internal static GLibBuffer Own(nint pointer, nuint length)
    {
        var buffer = new GLibBuffer { Length = length };
        buffer.SetHandle(pointer);
        return buffer;
    }

    internal unsafe ReadOnlySpan<byte> Span => new((void*)handle, checked((int)Length));

    protected override bool ReleaseHandle()
    {
        GLibNative.g_free(handle);
        return true;
    }
}
