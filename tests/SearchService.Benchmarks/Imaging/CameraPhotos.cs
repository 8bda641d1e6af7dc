namespace SearchService.Benchmarks.Imaging;

/// <summary>
/// Big camera JPEGs (2000-5300 px, 0.5-1.8 MB) from Debian's <c>lomiri-wallpapers-16.04</c>, which
/// <c>./build.sh bench</c> installs into /usr/share/backgrounds.
/// </summary>
internal static class CameraPhotos
{
    private const string Folder = "/usr/share/backgrounds";

    public static byte[][] Load(int count)
    {
        var files = Directory.Exists(Folder) ? Directory.GetFiles(Folder, "*.jpg").Order(StringComparer.Ordinal).Take(count).ToList() : [];
        return files.Count == count
            ? [.. files.Select(File.ReadAllBytes)]
            : throw new FileNotFoundException($"{count} JPEGs are needed in {Folder}: apt-get install lomiri-wallpapers-16.04 (./build.sh bench does).");
    }
}
