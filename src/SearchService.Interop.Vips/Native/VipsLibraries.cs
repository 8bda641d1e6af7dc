using System.Reflection;
using System.Runtime.InteropServices;

namespace SearchService.Interop.Vips.Native;

/// <summary>
/// The one place that decides which files back the import names <c>vips</c>, <c>gobject</c> and <c>glib</c>. Debian
/// ships only versioned sonames (<c>libvips.so.42</c>), which the default probing does not try, so a resolver maps the
/// logical names. A configured libvips path (file or folder) is tried first; GLib is expected next to it or on the
/// system's library path.
/// </summary>
internal static class VipsLibraries
{
    internal const string Vips = "vips";
    internal const string GObject = "gobject";
    internal const string GLib = "glib";

    private static readonly Lock Gate = new();
    private static string? configuredPath;
    private static bool resolverInstalled;

    internal static string? LoadedVipsPath { get; private set; }

    /// <summary>Installs the resolver once; the path of the first call wins (a resolver cannot be replaced).</summary>
    internal static void Install(string? libraryPath)
    {
        lock (Gate)
        {
            if (resolverInstalled)
            {
                return;
            }

            configuredPath = string.IsNullOrWhiteSpace(libraryPath) ? null : Path.GetFullPath(libraryPath);
            NativeLibrary.SetDllImportResolver(typeof(VipsLibraries).Assembly, Resolve);
            resolverInstalled = true;
        }
    }

    internal static IReadOnlyList<string> FileNames(string logicalName) => logicalName switch
    {
        Vips => OperatingSystem.IsWindows() ? ["libvips-42.dll"] : OperatingSystem.IsMacOS() ? ["libvips.42.dylib"] : ["libvips.so.42"],
        GObject => OperatingSystem.IsWindows() ? ["libgobject-2.0-0.dll", "libvips-42.dll"] : OperatingSystem.IsMacOS() ? ["libgobject-2.0.0.dylib"] : ["libgobject-2.0.so.0"],
        GLib => OperatingSystem.IsWindows() ? ["libglib-2.0-0.dll", "libvips-42.dll"] : OperatingSystem.IsMacOS() ? ["libglib-2.0.0.dylib"] : ["libglib-2.0.so.0"],
        _ => [],
    };

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        var names = FileNames(libraryName);
        if (names.Count == 0)
        {
            return 0;
        }

        var folder = configuredPath is null ? null : Directory.Exists(configuredPath) ? configuredPath : Path.GetDirectoryName(configuredPath);
        var candidates = new List<string>();
        if (libraryName == Vips && configuredPath is not null && File.Exists(configuredPath))
        {
            candidates.Add(configuredPath);
        }

        if (folder is not null)
        {
            candidates.AddRange(names.Select(name => Path.Combine(folder, name)));
        }

        // A configured libvips must be the one used: no fallback to another copy on the system path.
        if (libraryName != Vips || configuredPath is null)
        {
            candidates.AddRange(names);
        }

        foreach (var candidate in candidates)
        {
            if (Path.IsPathRooted(candidate) && !File.Exists(candidate))
            {
                continue;
            }

            if (NativeLibrary.TryLoad(candidate, out var handle))
            {
                if (libraryName == Vips)
                {
                    LoadedVipsPath = candidate;
                }

                return handle;
            }

        }

        throw new VipsLoadException(
            $"{libraryName} could not be loaded (tried {string.Join(", ", candidates)}). Install libvips 8.14 or later (Debian: libvips42) or set Imaging:LibraryPath.");
    }
}
