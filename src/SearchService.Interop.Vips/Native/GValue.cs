using System.Runtime.InteropServices;

namespace SearchService.Interop.Vips.Native;

/// <summary>
/// GLib's <c>GValue</c>: the type id and two 64-bit data words. Must be zeroed before <c>g_value_init</c> and
/// unset afterwards (which drops any reference it holds).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct GValue
{
    public nuint Type;
    public ulong Data0;
    public ulong Data1;
}

/// <summary>The fundamental GType ids (G_TYPE_MAKE_FUNDAMENTAL(n) = n &lt;&lt; 2) that argument checks need.</summary>
internal static class GTypes
{
    internal const nuint Boolean = 5 << 2;
    internal const nuint Int = 6 << 2;
    internal const nuint Enum = 12 << 2;
    internal const nuint Double = 15 << 2;
    internal const nuint String = 16 << 2;
}
