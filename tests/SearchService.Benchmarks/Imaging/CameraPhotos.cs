namespace SearchService.Benchmarks.Imaging;

/// <summary>
/// Big camera JPEGs (2000-5300 px, 0.5-1.8 MB) from Debian's <c>lomiri-wallpapers-16.04</c>, which
/// <c>./build.sh bench</c> installs into /usr/share/backgrounds.
/// </summary>
internal static class CameraPhotos
{
    private const string Folder = "/usr/share/backgrounds";

    /// <summary><paramref name="count"/> photos, cycling through the folder's 15 when more are asked for.</summary>
    public static byte[][] Load(int count)
    {
        var files = Directory.Exists(Folder) ? Directory.GetFiles(Folder, "*.jpg").Order(StringComparer.Ordinal).ToList() : [];
        return files.Count >= 8
            ? [.. Enumerable.Range(0, count).Select(i => File.ReadAllBytes(files[i % files.Count]))]
            : throw new FileNotFoundException($"The camera JPEGs are missing from {Folder}: apt-get install lomiri-wallpapers-16.04 (./build.sh bench does).");
    }
}
