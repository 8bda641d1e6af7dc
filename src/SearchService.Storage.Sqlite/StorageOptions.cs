namespace SearchService.Storage.Sqlite;

/// <summary>The <c>Storage</c> section: where the embedded store keeps its files.</summary>
public sealed class StorageOptions
{
    public const string SectionName = "Storage";

    /// <summary>
    /// The data folder (relative paths resolve against the working directory): <c>library.db</c> (catalog),
    /// <c>vectors.db</c> (embedded vectors) and <c>blobs/</c> (originals and thumbnails). Created if missing.
    /// </summary>
    public string DataPath { get; set; } = "data";

    /// <summary>Cores one embedded vector search may use; 0 (the default) for all of them.</summary>
    public int SearchThreads { get; set; }

    public string CatalogPath => Path.Combine(DataPath, "library.db");

    public string VectorsPath => Path.Combine(DataPath, "vectors.db");

    public string BlobsPath => Path.Combine(DataPath, "blobs");
}
