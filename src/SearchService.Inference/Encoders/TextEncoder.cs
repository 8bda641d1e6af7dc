using System.Buffers;
using SearchService.Core.Models;
using SearchService.Inference.Tokenization;
using SearchService.Interop.OnnxRuntime;

namespace SearchService.Inference.Encoders;

/// <summary>
/// Texts → CLIP BPE ids (int32 or int64, as the graph wants) → unit-length embeddings. Dynamic-batch graphs take up
/// to MaxBatchSize texts per run; fixed-batch graphs take their batch, the last one padded. Shared by all requests.
/// </summary>
public sealed class TextEncoder : ITextEncoder
{
    private readonly EncoderSession encoder;
    private readonly ClipTokenizer tokenizer;
    private readonly int maxBatchSize;

    internal TextEncoder(ModelDescriptor model, EncoderSession encoder, ClipTokenizer tokenizer, int maxBatchSize)
    {
        Model = model;
        this.encoder = encoder;
        this.tokenizer = tokenizer;
        this.maxBatchSize = maxBatchSize;
    }

    public ModelDescriptor Model { get; }

    /// <summary>Texts per run: the graph's fixed batch or MaxBatchSize.</summary>
    public int PreferredBatchSize => encoder.RowsPerRun(maxBatchSize);

    /// <summary>Runs on the calling thread (the work is CPU-bound); cancellation reaches the native run.</summary>
    public Task<float[][]> EncodeAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken) =>
        SynchronousTask.Run(() => Encode(texts, cancellationToken), cancellationToken);

    public float[][] Encode(IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(texts);
        for (var i = 0; i < texts.Count; i++)
        {
            if (texts[i] is null)
            {
                throw new ArgumentException($"Text {i} is null.", nameof(texts));
            }
        }

        var results = new float[texts.Count][];
        var context = tokenizer.ContextLength;
        var perRun = encoder.RowsPerRun(maxBatchSize);
        var ids = ArrayPool<int>.Shared.Rent(encoder.PaddedRows(Math.Min(perRun, Math.Max(texts.Count, 1))) * context);
        var wide = encoder.Graph.InputType == TensorElementType.Int64 ? ArrayPool<long>.Shared.Rent(ids.Length) : null;
        try
        {
            for (var start = 0; start < texts.Count; start += perRun)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var used = Math.Min(perRun, texts.Count - start);
                var rows = encoder.PaddedRows(used);
                for (var row = 0; row < rows; row++)
                {
                    // Padding rows of a fixed batch encode the empty text; their outputs are dropped.
                    tokenizer.Encode(row < used ? texts[start + row] : string.Empty, ids.AsSpan(row * context, context));
                }

                var length = rows * context;
                TensorInput input;
                if (wide is null)
                {
                    input = TensorInput.Int32(encoder.Graph.InputName, ids.AsMemory(0, length), rows, context);
                }
                else
                {
                    for (var i = 0; i < length; i++)
                    {
                        wide[i] = ids[i];
                    }

                    input = TensorInput.Int64(encoder.Graph.InputName, wide.AsMemory(0, length), rows, context);
                }

                encoder.Run(input, used, results.AsSpan(start, used), cancellationToken);
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(ids);
            if (wide is not null)
            {
                ArrayPool<long>.Shared.Return(wide);
            }
        }

        return results;
    }
}
