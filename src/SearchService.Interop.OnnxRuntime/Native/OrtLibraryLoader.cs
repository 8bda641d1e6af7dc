using System.Runtime.InteropServices;

namespace SearchService.Interop.OnnxRuntime.Native;

/// <summary>
/// Finds and opens libonnxruntime. A configured path (file or folder) is the only candidate when given: a library
/// the operator named explicitly and that does not load is a configuration error, not something to paper over with
/// another copy. Otherwise: the application folder (the build copies the library next to the assemblies), its
/// <c>runtimes/RID/native</c> folder, then the system's library search path.
/// </summary>
internal static unsafe class OrtLibraryLoader
{
    internal readonly record struct OpenedLibrary(nint Library, string Path, nint ApiTable, string Version);

    internal static IReadOnlyList<string> FileNames { get; } =
        OperatingSystem.IsWindows() ? ["onnxruntime.dll"]
        : OperatingSystem.IsMacOS() ? ["libonnxruntime.dylib"]
        : ["libonnxruntime.so.1", "libonnxruntime.so"];

    internal static IReadOnlyList<string> Candidates(string? configuredPath)
    {
        if (!string.IsNullOrWhiteSpace(configuredPath))
        {
            var full = Path.GetFullPath(configuredPath);
            return Directory.Exists(full) ? FileNames.Select(name => Path.Combine(full, name)).ToList() : [full];
        }

        var folders = new List<string> { AppContext.BaseDirectory };
        var assemblyFolder = Path.GetDirectoryName(typeof(OrtLibraryLoader).Assembly.Location);
        if (!string.IsNullOrEmpty(assemblyFolder))
        {
            folders.Add(assemblyFolder);
        }

        folders.Add(Path.Combine(AppContext.BaseDirectory, "runtimes", RuntimeInformation.RuntimeIdentifier, "native"));
        var candidates = folders
            .Select(folder => Path.GetFullPath(folder))
            .Distinct(StringComparer.Ordinal)
            .SelectMany(folder => FileNames.Select(name => Path.Combine(folder, name)))
            .ToList();

        // Bare names: the dynamic loader's own search (LD_LIBRARY_PATH, ld.so.cache, system folders).
        candidates.AddRange(FileNames);
        return candidates;
    }

    /// <summary>Opens the first candidate that loads, exports OrtGetApiBase and serves the API version asked for.</summary>
    internal static OpenedLibrary OpenFirst(IReadOnlyList<string> candidates, uint apiVersion)
    {
        var attempts = new List<string>();
        foreach (var candidate in candidates)
        {
            if (TryOpen(candidate, apiVersion, out var opened, out var failure))
            {
                return opened;
            }

            attempts.Add($"{candidate} ({failure})");
        }

        throw new OnnxRuntimeLoadException(
            $"No usable ONNX Runtime library (1.{apiVersion} or later) was found. Install it (./build.sh bootstrap) or set Inference:LibraryPath.",
            attempts);
    }

    private static bool TryOpen(string candidate, uint apiVersion, out OpenedLibrary opened, out string failure)
    {
        opened = default;
        var isPath = Path.IsPathRooted(candidate);
        if (isPath && !File.Exists(candidate))
        {
            failure = "no such file";
            return false;
        }

        nint library;
        try
        {
            library = NativeLibrary.Load(candidate);
        }
        catch (DllNotFoundException error)
        {
            failure = isPath ? $"did not load: {error.Message}" : "not on the system library path";
            return false;
        }
        catch (BadImageFormatException error)
        {
            failure = $"not a library for this platform: {error.Message}";
            return false;
        }

        if (!NativeLibrary.TryGetExport(library, "OrtGetApiBase", out var getApiBase))
        {
            NativeLibrary.Free(library);
            failure = "does not export OrtGetApiBase: not ONNX Runtime";
            return false;
        }

        // OrtApiBase { const OrtApi* (*GetApi)(uint32_t); const char* (*GetVersionString)(void); }
        var apiBase = (nint*)((delegate* unmanaged<nint>)getApiBase)();
        var version = Marshal.PtrToStringUTF8((nint)((delegate* unmanaged<byte*>)apiBase[1])()) ?? "unknown";
        var apiTable = ((delegate* unmanaged<uint, nint>)apiBase[0])(apiVersion);
        if (apiTable == 0)
        {
            NativeLibrary.Free(library);
            failure = $"version {version} is too old: API version {apiVersion} (ONNX Runtime 1.{apiVersion}) or later is required";
            return false;
        }

        var resolvedPath = isPath ? candidate : ResolveLoadedPath(library) ?? candidate;
        opened = new OpenedLibrary(library, resolvedPath, apiTable, version);
        failure = string.Empty;
        return true;
    }

    /// <summary>Where the dynamic loader found a library loaded by bare name (Linux: from /proc/self/maps).</summary>
    private static string? ResolveLoadedPath(nint library)
    {
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryGetExport(library, "OrtGetApiBase", out var symbol))
        {
            return null;
        }

        try
        {
            foreach (var line in File.ReadLines("/proc/self/maps"))
            {
                // address-range perms offset dev inode path
                var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 6)
                {
                    continue;
                }

                var range = fields[0].Split('-');
                var start = Convert.ToUInt64(range[0], 16);
                var end = Convert.ToUInt64(range[1], 16);
                if ((ulong)symbol >= start && (ulong)symbol < end)
                {
                    return fields[5].Trim();
                }
            }
        }
        catch (IOException)
        {
        }

        return null;
    }
}
