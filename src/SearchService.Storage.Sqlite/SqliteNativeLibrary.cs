using System.Reflection;
using System.Runtime.InteropServices;

namespace SearchService.Storage.Sqlite;

/// <summary>
/// Loads SQLite's bundled native library (<c>e_sqlite3</c>) so that it binds its own functions before anything the
/// process loaded globally (<c>RTLD_DEEPBIND</c> on Linux with glibc).
/// </summary>
/// <remarks>
/// libvips opens its modules with <c>RTLD_GLOBAL</c>, and one of them (openslide) links the system
/// <c>libsqlite3.so.0</c>. Its <c>sqlite3_*</c> symbols then win the lazy lookups that <c>e_sqlite3</c> makes of its own
/// exported functions, so one connection ran half in one SQLite build and half in the other: the process died
/// with SIGSEGV on the first catalog query after libvips had started (searchctl local mode, the service with
/// both adapters). Elsewhere the default loading is kept.
/// </remarks>
internal static partial class SqliteNativeLibrary
{
    private const string LibraryName = "e_sqlite3";
    private const int RtldNow = 0x2;
    private const int RtldDeepBind = 0x8;
    private static int _installed;

    /// <summary>Call before the first SQLite connection of the process; later calls do nothing.</summary>
    public static void Install()
    {
        if (!OperatingSystem.IsLinux() || Interlocked.Exchange(ref _installed, 1) != 0)
        {
            return;
        }

        NativeLibrary.SetDllImportResolver(typeof(SQLitePCL.SQLite3Provider_e_sqlite3).Assembly, Resolve);
    }

    // Zero lets the runtime probe as usual (not glibc, or the file is somewhere only the runtime knows).
    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != LibraryName)
        {
            return 0;
        }

        var directories = ((AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") as string) ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Append(AppContext.BaseDirectory);
        foreach (var directory in directories)
        {
            var path = Path.Combine(directory, $"lib{LibraryName}.so");
            if (!File.Exists(path))
            {
                continue;
            }

            try
            {
                return dlopen(path, RtldNow | RtldDeepBind);
            }
            catch (DllNotFoundException)
            {
                return 0;
            }
        }

        return 0;
    }

    [LibraryImport("libc.so.6", EntryPoint = "dlopen", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint dlopen(string path, int flags);
}
