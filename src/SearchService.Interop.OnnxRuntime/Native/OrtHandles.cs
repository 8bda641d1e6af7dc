using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace SearchService.Interop.OnnxRuntime.Native;

/// <summary>An owned ORT object, released exactly once by its type's <c>Release*</c> function.</summary>
internal abstract class OrtHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    protected OrtHandle(nint pointer)
        : base(ownsHandle: true)
    {
        SetHandle(pointer);
    }

    /// <summary>Keeps the handle alive (and unreleased) for the duration of a native call.</summary>
    public SafeHandleLease Lease() => new(this);
}

internal sealed class OrtEnvHandle(nint pointer) : OrtHandle(pointer)
{
    protected override bool ReleaseHandle()
    {
        OrtNative.ReleaseEnv(handle);
        return true;
    }
}

internal sealed class OrtSessionOptionsHandle(nint pointer) : OrtHandle(pointer)
{
    protected override bool ReleaseHandle()
    {
        OrtNative.ReleaseSessionOptions(handle);
        return true;
    }
}

/// <summary>A session and the native UTF-8 copies of its input and output names, which live exactly as long.</summary>
internal sealed class OrtSessionHandle(nint pointer) : OrtHandle(pointer)
{
    /// <summary>Set once after introspection; freed with the session so a Run in flight never sees them go.</summary>
    public Utf8StringArray? Names { get; set; }

    protected override bool ReleaseHandle()
    {
        OrtNative.ReleaseSession(handle);
        Names?.Dispose();
        return true;
    }
}

internal sealed class OrtRunOptionsHandle(nint pointer) : OrtHandle(pointer)
{
    protected override bool ReleaseHandle()
    {
        OrtNative.ReleaseRunOptions(handle);
        return true;
    }
}

internal sealed class OrtValueHandle(nint pointer) : OrtHandle(pointer)
{
    protected override bool ReleaseHandle()
    {
        OrtNative.ReleaseValue(handle);
        return true;
    }
}

internal sealed class OrtTypeInfoHandle(nint pointer) : OrtHandle(pointer)
{
    protected override bool ReleaseHandle()
    {
        OrtNative.ReleaseTypeInfo(handle);
        return true;
    }
}

internal sealed class OrtTensorTypeAndShapeInfoHandle(nint pointer) : OrtHandle(pointer)
{
    protected override bool ReleaseHandle()
    {
        OrtNative.ReleaseTensorTypeAndShapeInfo(handle);
        return true;
    }
}

internal sealed class OrtMemoryInfoHandle(nint pointer) : OrtHandle(pointer)
{
    protected override bool ReleaseHandle()
    {
        OrtNative.ReleaseMemoryInfo(handle);
        return true;
    }
}

internal sealed class OrtModelMetadataHandle(nint pointer) : OrtHandle(pointer)
{
    protected override bool ReleaseHandle()
    {
        OrtNative.ReleaseModelMetadata(handle);
        return true;
    }
}

internal sealed class OrtCudaProviderOptionsHandle(nint pointer) : OrtHandle(pointer)
{
    protected override bool ReleaseHandle()
    {
        OrtNative.ReleaseCudaProviderOptions(handle);
        return true;
    }
}

/// <summary>
/// A reference on a SafeHandle for the length of a native call: a concurrent Dispose cannot release the object
/// underneath the call (the release waits for the last lease).
/// </summary>
internal ref struct SafeHandleLease
{
    private readonly SafeHandle owner;
    private bool added;

    public SafeHandleLease(SafeHandle owner)
    {
        this.owner = owner;
        owner.DangerousAddRef(ref added);
        Pointer = owner.DangerousGetHandle();
    }

    public nint Pointer { get; }

    public void Dispose()
    {
        if (added)
        {
            owner.DangerousRelease();
            added = false;
        }
    }
}
