using SearchService.Testing;

namespace SearchService.Inference.Tests.Support;

/// <summary>The model files the inference tests run.</summary>
internal static class TestModels
{
    /// <summary>Dynamic batch, int32 ids, context 77, 64 px, dim 32, output not normalised in the graph.</summary>
    public static string TinyDynamic => TestPaths.TinyModel;

    /// <summary>Fixed batch 1, int64 ids, context 32, 32 px, dim 24, normalised in the graph.</summary>
    public static string TinyFixedBatch => Path.Combine(TestPaths.Fixtures, "models", "tiny-random-clip-b1");

    /// <summary>y = x · W, 1000 times in sequence: slow on a big batch (to cancel), fast on one row.</summary>
    public static string MatMulChain => Path.Combine(
        TestPaths.RepositoryRoot, "tests", "SearchService.Inference.Tests", "Interop", "Models", "matmul-chain.onnx");

    public const int MatMulWidth = 256;
}

/// <summary>A folder under the system temp folder, deleted on dispose; with a copy of a model to break on purpose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "inference-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary>Copies a model folder (recursively) to <c>Path/name</c> and returns the copy's path.</summary>
    public string CopyModel(string source, string? name = null)
    {
        var target = System.IO.Path.Combine(Path, name ?? System.IO.Path.GetFileName(source));
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var destination = System.IO.Path.Combine(target, System.IO.Path.GetRelativePath(source, file));
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }

        return target;
    }

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}
