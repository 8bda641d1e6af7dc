namespace SearchService.Core.Models;

/// <summary>What the loaded CLIP model is; every value comes from the model's own files.</summary>
/// <param name="Name">Model name, e.g. <c>ViT-B-32__openai</c>; also names the vector collection.</param>
/// <param name="EmbeddingDimensions">Length of every embedding the model produces.</param>
/// <param name="ContextLength">Tokens per text input, start and end tokens included.</param>
/// <param name="Preprocessing">How images are turned into the visual encoder's input.</param>
/// <param name="LogitScale">Multiplier applied to cosines before softmax in zero-shot classification (100 for OpenAI CLIP).</param>
/// <param name="ExecutionProvider">Where the encoders run, e.g. <c>cpu</c> or <c>cuda:0</c>.</param>
/// <param name="IsDemo">True for the bundled synthetic-shapes demo model (not a real CLIP).</param>
public sealed record ModelDescriptor(
    string Name,
    int EmbeddingDimensions,
    int ContextLength,
    ImagePreprocessing Preprocessing,
    float LogitScale,
    string ExecutionProvider,
    bool IsDemo)
{
    /// <summary>Vector collection for this model: vectors of different models never mix.</summary>
    public string CollectionName => $"{Name}_{EmbeddingDimensions}";
}
