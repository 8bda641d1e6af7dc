using SearchService.Inference.Models;
using SearchService.Interop.OnnxRuntime;

namespace SearchService.Inference.Onnx;

/// <summary>
/// The input and output an encoder graph is run through, checked against what the model's JSON files say.
/// </summary>
/// <param name="ModelFile">The .onnx file, for messages.</param>
/// <param name="InputName">The graph's only input.</param>
/// <param name="InputType">Its element type.</param>
/// <param name="OutputName">The [batch, dimensions] float output.</param>
/// <param name="FixedBatch">The batch size the graph was exported with, or null when the batch dimension is dynamic.</param>
internal sealed record EncoderGraph(string ModelFile, string InputName, TensorElementType InputType, string OutputName, int? FixedBatch)
{
    /// <summary>"fixed N" or "dynamic".</summary>
    public string BatchMode => FixedBatch is { } size ? $"fixed {size}" : "dynamic";

    /// <summary>Reads and checks a graph.</summary>
    /// <param name="session">The loaded model.</param>
    /// <param name="modelFile">Its path, for messages.</param>
    /// <param name="allowedInputTypes">Element types the encoder can feed.</param>
    /// <param name="inputShape">Expected size of every dimension after the batch, with where the expectation comes from.</param>
    /// <param name="embeddingDimensions">config.json's embed_dim.</param>
    public static EncoderGraph Describe(
        InferenceSession session,
        string modelFile,
        IReadOnlyList<TensorElementType> allowedInputTypes,
        IReadOnlyList<(long Size, string Source)> inputShape,
        int embeddingDimensions)
    {
        if (session.Inputs.Count != 1)
        {
            throw new ModelLoadException(modelFile, $"has {session.Inputs.Count} inputs ({string.Join(", ", session.Inputs)}); a CLIP encoder has exactly one.");
        }

        var input = session.Inputs[0];
        if (input.Kind != OnnxValueKind.Tensor || !allowedInputTypes.Contains(input.ElementType))
        {
            throw new ModelLoadException(modelFile, $"input {input} must be a tensor of {string.Join(" or ", allowedInputTypes)}.");
        }

        if (input.Dimensions.Count != inputShape.Count + 1)
        {
            throw new ModelLoadException(modelFile, $"input {input} has rank {input.Dimensions.Count}; expected [batch, {string.Join(", ", inputShape.Select(d => d.Size))}].");
        }

        for (var i = 0; i < inputShape.Count; i++)
        {
            var actual = input.Dimensions[i + 1];
            if (actual.IsFixed && actual.Value != inputShape[i].Size)
            {
                throw new ModelLoadException(modelFile, $"input {input} has {actual.Value} at dimension {i + 1}, but {inputShape[i].Source} says {inputShape[i].Size}.");
            }
        }

        var batch = input.Dimensions[0];
        int? fixedBatch = batch.IsFixed ? checked((int)batch.Value) : null;
        if (fixedBatch is 0)
        {
            throw new ModelLoadException(modelFile, $"input {input} has a batch dimension of 0.");
        }

        var output = session.Outputs.FirstOrDefault(o => o.Kind == OnnxValueKind.Tensor && o.ElementType == TensorElementType.Float && o.Dimensions.Count == 2)
            ?? throw new ModelLoadException(modelFile, $"no float [batch, dimensions] output among {string.Join(", ", session.Outputs)}.");
        var outputDimensions = output.Dimensions[1];
        if (outputDimensions.IsFixed && outputDimensions.Value != embeddingDimensions)
        {
            throw new ModelLoadException(
                modelFile, $"output {output} gives {outputDimensions.Value}-d embeddings, but {ModelLayout.Config} embed_dim is {embeddingDimensions}.");
        }

        return new EncoderGraph(modelFile, input.Name, input.ElementType, output.Name, fixedBatch);
    }
}
