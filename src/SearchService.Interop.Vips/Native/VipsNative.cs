using System.Runtime.InteropServices;

namespace SearchService.Interop.Vips.Native;

/// <summary>
/// libvips's C functions, by their C names. Only fixed-argument functions: the variadic convenience API
/// (<c>vips_resize(in, &amp;out, scale, ...)</c>) cannot be called safely from .NET, so operations go through
/// <c>vips_operation_new</c> + GObject properties instead.
/// </summary>
internal static unsafe partial class VipsNative
{
    [LibraryImport(VipsLibraries.Vips, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int vips_init(string argv0);

    [LibraryImport(VipsLibraries.Vips)]
    internal static partial int vips_version(int flag);

    [LibraryImport(VipsLibraries.Vips)]
    internal static partial void vips_block_untrusted_set(int state);

    [LibraryImport(VipsLibraries.Vips, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void vips_operation_block_set(string name, int state);

    [LibraryImport(VipsLibraries.Vips)]
    internal static partial void vips_cache_set_max(int max);

    [LibraryImport(VipsLibraries.Vips)]
    internal static partial void vips_cache_set_max_mem(nuint maxMemory);

    [LibraryImport(VipsLibraries.Vips)]
    internal static partial void vips_cache_set_max_files(int maxFiles);

    [LibraryImport(VipsLibraries.Vips)]
    internal static partial void vips_concurrency_set(int concurrency);

    [LibraryImport(VipsLibraries.Vips, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nuint vips_type_find(string basename, string nickname);

    [LibraryImport(VipsLibraries.Vips)]
    internal static partial nint vips_error_buffer_copy();

    [LibraryImport(VipsLibraries.Vips)]
    internal static partial void vips_error_clear();

    [LibraryImport(VipsLibraries.Vips, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint vips_operation_new(string name);

    [LibraryImport(VipsLibraries.Vips)]
    internal static partial nint vips_cache_operation_build(GObjectHandle operation);

    [LibraryImport(VipsLibraries.Vips)]
    internal static partial void vips_object_unref_outputs(GObjectHandle @object);

    [LibraryImport(VipsLibraries.Vips, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int vips_object_get_argument(
        GObjectHandle @object, string name, nint* paramSpec, nint* argumentClass, nint* argumentInstance);

    [LibraryImport(VipsLibraries.Vips, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int vips_enum_from_nick(string domain, nuint type, string nick);

    [LibraryImport(VipsLibraries.Vips)]
    internal static partial nuint vips_image_get_type();

    [LibraryImport(VipsLibraries.Vips)]
    internal static partial nuint vips_blob_get_type();

    [LibraryImport(VipsLibraries.Vips)]
    internal static partial nuint vips_array_double_get_type();

    [LibraryImport(VipsLibraries.Vips)]
    internal static partial nint vips_array_double_new(double* array, int count);

    [LibraryImport(VipsLibraries.Vips)]
    internal static partial nint vips_blob_copy(byte* data, nuint length);

    [LibraryImport(VipsLibraries.Vips)]
    internal static partial byte* vips_blob_get(nint blob, nuint* length);

    [LibraryImport(VipsLibraries.Vips)]
    internal static partial void vips_area_unref(nint area);

    [LibraryImport(VipsLibraries.Vips)]
    internal static partial int vips_image_get_width(GObjectHandle image);

    [LibraryImport(VipsLibraries.Vips)]
    internal static partial int vips_image_get_height(GObjectHandle image);

    [LibraryImport(VipsLibraries.Vips)]
    internal static partial int vips_image_get_bands(GObjectHandle image);

    [LibraryImport(VipsLibraries.Vips)]
    internal static partial int vips_image_get_format(GObjectHandle image);

    [LibraryImport(VipsLibraries.Vips)]
    internal static partial int vips_image_get_interpretation(GObjectHandle image);

    [LibraryImport(VipsLibraries.Vips)]
    internal static partial int vips_image_hasalpha(GObjectHandle image);

    [LibraryImport(VipsLibraries.Vips)]
    internal static partial int vips_image_get_n_pages(GObjectHandle image);

    [LibraryImport(VipsLibraries.Vips, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nuint vips_image_get_typeof(GObjectHandle image, string name);

    [LibraryImport(VipsLibraries.Vips, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int vips_image_get_int(GObjectHandle image, string name, int* result);

    [LibraryImport(VipsLibraries.Vips, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int vips_image_get_string(GObjectHandle image, string name, byte** result);

    [LibraryImport(VipsLibraries.Vips)]
    internal static partial nint vips_image_copy_memory(GObjectHandle image);

    [LibraryImport(VipsLibraries.Vips)]
    internal static partial nint vips_image_write_to_memory(GObjectHandle image, nuint* size);

    [LibraryImport(VipsLibraries.Vips)]
    internal static partial void vips_image_set_kill(GObjectHandle image, int kill);
}
