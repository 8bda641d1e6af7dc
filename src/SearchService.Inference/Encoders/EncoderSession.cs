using System.Numerics.Tensors;
using SearchService.Inference.Models;
using SearchService.Inference.Onnx;
using SearchService.Interop.OnnxRuntime;

namespace SearchService.Inference.Encoders;

/// <summary>One encoder graph: runs a batch and turns its output rows into unit-length embeddings.</summary>
internal sealed class EncoderSession(InferenceSession session, EncoderGraph graph, int dimensions) : IDisposable
{
    public EncoderGraph Graph => graph;

    public InferenceSession Session => session;

    /// <summary>Rows per run: the graph's fixed batch, else the configured maximum.</summary>
    public int RowsPerRun(int maxBatchSize) => graph.FixedBatch ?? maxBatchSize;

    /// <summary>Rows the input tensor must hold for <paramref name="used"/> real rows (a fixed batch is padded).</summary>
    public int PaddedRows(int used) => graph.FixedBatch ?? used;

    /// <summary>Runs <paramref name="input"/> ([rows, ...]) and writes the first <paramref name="used"/> normalised rows to <paramref name="results"/>.</summary>
    public void Run(TensorInput input, int used, Span<float[]> results, CancellationToken cancellationToken)
    {
        var output = session.Run([input], graph.OutputName, cancellationToken);
        if (output.Shape.Count != 2 || output.Shape[0] != input.Shape[0] || output.Shape[1] != dimensions)
        {
            throw new ModelLoadException(
                graph.ModelFile,
                $"output '{graph.OutputName}' has shape [{string.Join(", ", output.Shape)}] for a batch of {input.Shape[0]}; expected [{input.Shape[0]}, {dimensions}] ({ModelLayout.Config} embed_dim).");
        }

        var values = output.AsFloats();
        for (var row = 0; row < used; row++)
        {
            results[row] = Normalize(values.AsSpan(row * dimensions, dimensions));
        }
    }

    public void Dispose() => session.Dispose();

    /// <summary>Unit length; applied even when the graph already normalises (harmless) so every model's output is comparable.</summary>
    private float[] Normalize(ReadOnlySpan<float> row)
    {
        var norm = TensorPrimitives.Norm(row);
        if (!(norm > 0) || !float.IsFinite(norm))
        {
            throw new InvalidOperationException($"{graph.ModelFile} produced an embedding of length {norm}, which cannot be normalised.");
        }

        var result = new float[row.Length];
        TensorPrimitives.Divide(row, norm, result);
        return result;
    }
}
