using System.Buffers;
using SearchService.Core.Models;
using SearchService.Interop.OnnxRuntime;

namespace SearchService.Inference.Encoders;

/// <summary>
/// Preprocessed NCHW float tensors → unit-length embeddings. A lone tensor is passed to ORT without copying; batches
/// are gathered into one contiguous buffer. Shared by all requests.
/// </summary>
public sealed class ImageEncoder : IImageEncoder
{
    private readonly EncoderSession encoder;
    private readonly int maxBatchSize;

    internal ImageEncoder(ModelDescriptor model, EncoderSession encoder, int maxBatchSize)
    {
        Model = model;
        this.encoder = encoder;
        this.maxBatchSize = maxBatchSize;
    }

    public ModelDescriptor Model { get; }

    public int PreferredBatchSize => encoder.RowsPerRun(maxBatchSize);

    public Task<float[][]> EncodeAsync(IReadOnlyList<ReadOnlyMemory<float>> tensors, CancellationToken cancellationToken) =>
        SynchronousTask.Run(() => Encode(tensors, cancellationToken), cancellationToken);

    public float[][] Encode(IReadOnlyList<ReadOnlyMemory<float>> tensors, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var size = Model.Preprocessing.Size;
        var tensorLength = Model.Preprocessing.TensorLength;
        for (var i = 0; i < tensors.Count; i++)
        {
            if (tensors[i].Length != tensorLength)
            {
                throw new ArgumentException(
                    $"Tensor {i} holds {tensors[i].Length} floats; model {Model.Name} takes 3×{size}×{size} = {tensorLength}.", nameof(tensors));
            }
        }

        var results = new float[tensors.Count][];
        var perRun = encoder.RowsPerRun(maxBatchSize);
        float[]? gathered = null;
        try
        {
            for (var start = 0; start < tensors.Count; start += perRun)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var used = Math.Min(perRun, tensors.Count - start);
                var rows = encoder.PaddedRows(used);
                ReadOnlyMemory<float> batch;
                if (rows == 1)
                {
                    batch = tensors[start];
                }
                else
                {
                    gathered ??= ArrayPool<float>.Shared.Rent(rows * tensorLength);
                    for (var row = 0; row < used; row++)
                    {
                        tensors[start + row].Span.CopyTo(gathered.AsSpan(row * tensorLength, tensorLength));
                    }

                    // Padding rows of a fixed batch are zeros; their outputs are dropped.
                    gathered.AsSpan(used * tensorLength, (rows - used) * tensorLength).Clear();
                    batch = gathered.AsMemory(0, rows * tensorLength);
                }

                var input = TensorInput.Float(encoder.Graph.InputName, batch, rows, 3, size, size);
                encoder.Run(input, used, results.AsSpan(start, used), cancellationToken);
            }
        }
        finally
        {
            if (gathered is not null)
            {
                ArrayPool<float>.Shared.Return(gathered);
            }
        }

        return results;
    }
}
