using System.Runtime.InteropServices;

namespace SearchService.Storage.Sqlite;

/// <summary>
/// Loads the SQLite build that Microsoft.Data.Sqlite bundles (<c>libe_sqlite3.so</c>) so that its calls to its own
/// functions stay inside it. The bundled library exports the usual <c>sqlite3_*</c> names and calls them through its
/// symbol table; when another SQLite is in the process's global scope first — libvips's openslide module brings the
/// system's <c>libsqlite3.so.0</c> in at <c>vips_init</c> — <c>sqlite3_step</c> of one library ends up in
/// <c>sqlite3_reset</c> of the other and the process dies (seen as a SIGSEGV in the service's first query).
/// <c>RTLD_DEEPBIND</c> makes the library resolve its symbols in itself before the global scope. Must run before
/// SQLitePCL opens the library, i.e. before the first connection.
/// </summary>
internal static partial class BundledSqliteLibrary
{
    private const string FileName = "libe_sqlite3.so";
    private const int RtldLazy = 0x0001;
    private const int RtldDeepBind = 0x0008;

    private static readonly Lazy<bool> Loaded = new(LoadIsolated, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>True when the library was loaded isolated; false where that is not needed or not possible (then SQLitePCL loads it as usual).</summary>
    public static bool EnsureLoaded() => Loaded.Value;

    private static bool LoadIsolated()
    {
        // DEEPBIND is glibc's; elsewhere (macOS two-level namespaces, Windows) symbols do not interpose this way.
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        var directories = (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") as string ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Append(AppContext.BaseDirectory);
        foreach (var directory in directories)
        {
            var path = Path.Combine(directory, FileName);
            if (File.Exists(path))
            {
                return DlOpen(path, RtldLazy | RtldDeepBind) != 0;
            }
        }

        return false;
    }

    [LibraryImport("libc.so.6", EntryPoint = "dlopen", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint DlOpen(string path, int flags);
}
