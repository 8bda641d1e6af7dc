namespace SearchService.Api.Hosting;

/// <summary>Where vectors live.</summary>
public enum VectorStoreProvider
{
    /// <summary>SQLite + in-memory index in the data folder (default, single node).</summary>
    Embedded,

    /// <summary>A Qdrant server (section <c>VectorStore:Qdrant</c>).</summary>
    Qdrant,
}

/// <summary>Section <c>VectorStore</c>.</summary>
public sealed class VectorStoreOptions
{
    public const string SectionName = "VectorStore";

    public VectorStoreProvider Provider { get; set; } = VectorStoreProvider.Embedded;
}
