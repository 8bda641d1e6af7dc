using SearchService.Inference.Tests.Support;
using SearchService.Interop.OnnxRuntime;
using SearchService.Interop.OnnxRuntime.Native;
using SearchService.Testing;
using Xunit;

namespace SearchService.Inference.Tests.Interop;

/// <summary>Finding and loading libonnxruntime, and the errors when it cannot be used.</summary>
public sealed class OrtRuntimeTests
{
    [Fact]
    public void Loads_the_library_copied_next_to_the_assemblies()
    {
        var runtime = OrtRuntime.Load();

        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "libonnxruntime.so.1"), runtime.LibraryPath);
        var version = Version.Parse(runtime.Version);
        Assert.True(version >= new Version(1, 17), $"version {runtime.Version}");
        Assert.Contains("CPUExecutionProvider", runtime.AvailableProviders);
        Assert.False(string.IsNullOrWhiteSpace(runtime.BuildInfo));
        Assert.Same(runtime, OrtRuntime.Load());
    }

    [Fact]
    public void Loading_is_idempotent_for_the_same_file_named_by_folder()
    {
        var runtime = OrtRuntime.Load();

        Assert.Same(runtime, OrtRuntime.Load(AppContext.BaseDirectory));
        Assert.Same(runtime, OrtRuntime.Load(Path.Combine(AppContext.BaseDirectory, "libonnxruntime.so.1")));
    }

    [Fact]
    public void A_byte_identical_copy_counts_as_the_loaded_library()
    {
        var runtime = OrtRuntime.Load();

        Assert.Same(runtime, OrtRuntime.Load(Path.Combine(TestPaths.NativeDirectory, "onnxruntime", "libonnxruntime.so.1")));
    }

    [Fact]
    public void Asking_for_another_library_once_loaded_names_both()
    {
        var runtime = OrtRuntime.Load();
        using var folder = new TempFolder();
        var other = Path.Combine(folder.Path, "libonnxruntime.so.1");
        var bytes = File.ReadAllBytes(runtime.LibraryPath);
        bytes[^1] ^= 1;
        File.WriteAllBytes(other, bytes);

        var missing = Assert.Throws<OnnxRuntimeLoadException>(() => OrtRuntime.Load("/opt/elsewhere/libonnxruntime.so.1"));
        var different = Assert.Throws<OnnxRuntimeLoadException>(() => OrtRuntime.Load(other));

        Assert.Contains(runtime.LibraryPath, missing.Message, StringComparison.Ordinal);
        Assert.Contains("/opt/elsewhere/libonnxruntime.so.1", missing.Message, StringComparison.Ordinal);
        Assert.Contains(other, different.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void No_usable_candidate_lists_every_path_tried_with_its_reason()
    {
        using var folder = new TempFolder();
        var notALibrary = Path.Combine(folder.Path, "libonnxruntime.so.1");
        File.WriteAllText(notALibrary, "not an ELF file");
        var missing = Path.Combine(folder.Path, "missing", "libonnxruntime.so.1");

        var error = Assert.Throws<OnnxRuntimeLoadException>(
            () => OrtLibraryLoader.OpenFirst([missing, notALibrary, "libsearchservice-no-such-library.so"], OrtNative.MinimumApiVersion));

        Assert.Equal(3, error.Attempts.Count);
        Assert.Contains($"{missing} (no such file)", error.Message, StringComparison.Ordinal);
        Assert.Contains($"{notALibrary} (did not load", error.Message, StringComparison.Ordinal);
        Assert.Contains("libsearchservice-no-such-library.so (not on the system library path)", error.Message, StringComparison.Ordinal);
        Assert.Contains("Inference:LibraryPath", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_library_without_the_ORT_entry_point_is_rejected()
    {
        var error = Assert.Throws<OnnxRuntimeLoadException>(() => OrtLibraryLoader.OpenFirst(["libz.so.1"], OrtNative.MinimumApiVersion));

        Assert.Contains("does not export OrtGetApiBase", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_library_older_than_the_required_API_version_is_rejected_with_its_version()
    {
        var library = Path.Combine(AppContext.BaseDirectory, "libonnxruntime.so.1");
        var runtime = OrtRuntime.Load();

        var error = Assert.Throws<OnnxRuntimeLoadException>(() => OrtLibraryLoader.OpenFirst([library], 9999));

        Assert.Contains($"version {runtime.Version} is too old", error.Message, StringComparison.Ordinal);
        Assert.Contains("1.9999", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_configured_folder_is_the_only_place_searched()
    {
        using var folder = new TempFolder();

        var candidates = OrtLibraryLoader.Candidates(folder.Path);

        Assert.Equal([Path.Combine(folder.Path, "libonnxruntime.so.1"), Path.Combine(folder.Path, "libonnxruntime.so")], candidates);
    }

    [Fact]
    public void Without_configuration_the_app_folder_comes_before_the_system()
    {
        var candidates = OrtLibraryLoader.Candidates(null);

        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "libonnxruntime.so.1"), candidates[0]);
        Assert.Equal(["libonnxruntime.so.1", "libonnxruntime.so"], candidates.TakeLast(2));
    }
}
