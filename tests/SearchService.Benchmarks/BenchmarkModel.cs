using SearchService.Testing;

namespace SearchService.Benchmarks;

/// <summary>The ViT-B/32-shaped random model the speed benchmarks run (built locally, not committed).</summary>
internal static class BenchmarkModel
{
    public const string MakeCommand = "/usr/bin/python3 tests/fixtures/models/make_models.py vitb32 --out artifacts/models/vit-b-32-random";

    public static string VitB32Folder => Path.Combine(TestPaths.RepositoryRoot, "artifacts", "models", "vit-b-32-random");

    /// <summary>The model folder; throws, saying how to make it, when it is missing.</summary>
    public static string RequireVitB32Folder()
    {
        var folder = VitB32Folder;
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"{folder} is missing; make it with: {MakeCommand}");
        }

        return folder;
    }
}
