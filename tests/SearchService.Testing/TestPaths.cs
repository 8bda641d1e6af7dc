namespace SearchService.Testing;

/// <summary>Where the repository, its fixtures and the shared data set are, wherever the tests run from.</summary>
public static class TestPaths
{
    private static readonly Lazy<string> Root = new(FindRepositoryRoot);

    /// <summary>The repository root (the folder holding SearchService.sln).</summary>
    public static string RepositoryRoot => Root.Value;

    /// <summary>Committed test fixtures: small models, reference scripts.</summary>
    public static string Fixtures => Path.Combine(RepositoryRoot, "tests", "fixtures");

    /// <summary>The tiny random-weight CLIP in the Immich layout.</summary>
    public static string TinyModel => Path.Combine(Fixtures, "models", "tiny-random-clip");

    /// <summary>The small CLIP trained on the synthetic shapes world (also the service's offline demo model).</summary>
    public static string DemoModel => Path.Combine(RepositoryRoot, "deploy", "models", "demo-shapes-clip");

    /// <summary>
    /// The project's shared data (photos, edge cases, tokenizer files, Qdrant specs): <c>../shared/data</c>
    /// beside the repository, or <c>SEARCHSERVICE_SHARED_DATA</c>.
    /// </summary>
    public static string SharedData
    {
        get
        {
            var fromEnvironment = Environment.GetEnvironmentVariable("SEARCHSERVICE_SHARED_DATA");
            if (!string.IsNullOrEmpty(fromEnvironment))
            {
                return fromEnvironment;
            }

            var beside = Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "data"));
            if (!Directory.Exists(beside))
            {
                throw new DirectoryNotFoundException(
                    $"Shared test data not found at {beside}; set SEARCHSERVICE_SHARED_DATA to its folder.");
            }

            return beside;
        }
    }

    /// <summary>The native libraries fetched by <c>./build.sh bootstrap</c>.</summary>
    public static string NativeDirectory => Path.Combine(RepositoryRoot, ".native");

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "SearchService.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No SearchService.sln above {AppContext.BaseDirectory}.");
    }
}
