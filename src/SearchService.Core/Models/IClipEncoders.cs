namespace SearchService.Core.Models;

/// <summary>Turns texts into L2-normalised embeddings. One instance is shared by all requests.</summary>
public interface ITextEncoder
{
    ModelDescriptor Model { get; }

    /// <summary>One embedding per text, in order; each has <see cref="ModelDescriptor.EmbeddingDimensions"/> floats and unit length.</summary>
    Task<float[][]> EncodeAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken);
}

/// <summary>Turns preprocessed image tensors into L2-normalised embeddings. One instance is shared by all requests.</summary>
public interface IImageEncoder
{
    ModelDescriptor Model { get; }

    /// <summary>Batch size the encoder runs best at (1 for fixed-batch models); callers group work by it.</summary>
    int PreferredBatchSize { get; }

    /// <summary>One embedding per tensor, in order. Each tensor holds <see cref="ImagePreprocessing.TensorLength"/> floats.</summary>
    Task<float[][]> EncodeAsync(IReadOnlyList<ReadOnlyMemory<float>> tensors, CancellationToken cancellationToken);
}
