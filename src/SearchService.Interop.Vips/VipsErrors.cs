using System.Runtime.InteropServices;
using SearchService.Interop.Vips.Native;

namespace SearchService.Interop.Vips;

/// <summary>
/// Turns a failed return code into a <see cref="VipsException"/>. The return code is the truth; the process-global
/// error buffer only adds detail, and is read and cleared in one call so the next failure starts clean.
/// </summary>
internal static class VipsErrors
{
    internal static VipsException Take(string what)
    {
        var copy = VipsNative.vips_error_buffer_copy();
        string detail;
        try
        {
            detail = copy == 0 ? string.Empty : (Marshal.PtrToStringUTF8(copy) ?? string.Empty).Trim();
        }
        finally
        {
            GLibNative.g_free(copy);
        }

        return new VipsException(what, detail.ReplaceLineEndings("; "));
    }
}
