using System.Runtime.InteropServices;

namespace SearchService.Interop.Vips.Native;

/// <summary>GObject's C functions, by their C names. Nothing here checks results: the wrappers do.</summary>
internal static unsafe partial class GObjectNative
{
    [LibraryImport(VipsLibraries.GObject)]
    internal static partial nint g_object_ref(nint @object);

    [LibraryImport(VipsLibraries.GObject)]
    internal static partial void g_object_unref(nint @object);

    [LibraryImport(VipsLibraries.GObject, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void g_object_set_property(GObjectHandle @object, string propertyName, GValue* value);

    [LibraryImport(VipsLibraries.GObject, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void g_object_get_property(GObjectHandle @object, string propertyName, GValue* value);

    [LibraryImport(VipsLibraries.GObject)]
    internal static partial GValue* g_value_init(GValue* value, nuint type);

    [LibraryImport(VipsLibraries.GObject)]
    internal static partial void g_value_unset(GValue* value);

    [LibraryImport(VipsLibraries.GObject)]
    internal static partial void g_value_set_boolean(GValue* value, int boolean);

    [LibraryImport(VipsLibraries.GObject)]
    internal static partial void g_value_set_int(GValue* value, int number);

    [LibraryImport(VipsLibraries.GObject)]
    internal static partial void g_value_set_double(GValue* value, double number);

    [LibraryImport(VipsLibraries.GObject)]
    internal static partial void g_value_set_enum(GValue* value, int number);

    [LibraryImport(VipsLibraries.GObject, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void g_value_set_string(GValue* value, string text);

    [LibraryImport(VipsLibraries.GObject)]
    internal static partial void g_value_set_object(GValue* value, GObjectHandle @object);

    [LibraryImport(VipsLibraries.GObject)]
    internal static partial void g_value_set_boxed(GValue* value, nint boxed);

    [LibraryImport(VipsLibraries.GObject)]
    internal static partial nint g_value_get_object(GValue* value);

    [LibraryImport(VipsLibraries.GObject)]
    internal static partial nint g_value_get_boxed(GValue* value);

    [LibraryImport(VipsLibraries.GObject)]
    internal static partial nuint g_type_fundamental(nuint type);

    [LibraryImport(VipsLibraries.GObject)]
    internal static partial nint g_type_name(nuint type);
}

/// <summary>GLib's C functions, by their C names.</summary>
internal static unsafe partial class GLibNative
{
    /// <summary>G_LOG_LEVEL_MASK plus the fatal and recursion flags: every message of a domain.</summary>
    internal const int AllLogLevels = ~0;

    [LibraryImport(VipsLibraries.GLib)]
    internal static partial void g_free(nint memory);

    [LibraryImport(VipsLibraries.GLib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial uint g_log_set_handler(
        string logDomain, int logLevels, delegate* unmanaged<byte*, int, byte*, nint, void> handler, nint userData);
}
