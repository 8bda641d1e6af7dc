using System.Diagnostics;
using Microsoft.Extensions.Logging;
using SearchService.Core.Models;
using SearchService.Inference.Encoders;
using SearchService.Inference.Onnx;
using SearchService.Inference.Tokenization;
using SearchService.Interop.OnnxRuntime;

namespace SearchService.Inference.Models;

/// <summary>
/// A CLIP model loaded from a folder in Immich's layout: its descriptor, tokenizer and both encoder sessions, checked
/// against each other and warmed up. Owns the native sessions; the encoders it hands out share them.
/// </summary>
public sealed class ClipModel : IDisposable
{
    private const float OpenAiLogitScale = 100f;

    private readonly EncoderSession textual;
    private readonly EncoderSession visual;

    private ClipModel(string folder, ModelDescriptor descriptor, string? description, ClipTokenizer tokenizer, EncoderSession textual, EncoderSession visual, IReadOnlyList<string> availableProviders, int maxBatchSize)
    {
        Folder = folder;
        Descriptor = descriptor;
        Description = description;
        Tokenizer = tokenizer;
        this.textual = textual;
        this.visual = visual;
        AvailableProviders = availableProviders;
        TextEncoder = new TextEncoder(descriptor, textual, tokenizer, maxBatchSize);
        ImageEncoder = new ImageEncoder(descriptor, visual, maxBatchSize);
    }

    /// <summary>The model folder, absolute.</summary>
    public string Folder { get; }

    public ModelDescriptor Descriptor { get; }

    /// <summary>config.json's free-text description, if any.</summary>
    public string? Description { get; }

    public ClipTokenizer Tokenizer { get; }

    public TextEncoder TextEncoder { get; }

    public ImageEncoder ImageEncoder { get; }

    /// <summary>"fixed N" or "dynamic".</summary>
    public string TextBatchMode => textual.Graph.BatchMode;

    public string ImageBatchMode => visual.Graph.BatchMode;

    /// <summary>Providers compiled into the loaded ONNX Runtime (not all of them necessarily usable).</summary>
    public IReadOnlyList<string> AvailableProviders { get; }

    internal EncoderSession Textual => textual;

    internal EncoderSession Visual => visual;

    /// <summary>Loads, cross-checks and warms up a model folder.</summary>
    /// <exception cref="ModelLoadException">A file is missing, malformed or disagrees with another; the message names it.</exception>
    /// <exception cref="CudaUnavailableException">CUDA was required and cannot be used.</exception>
    internal static ClipModel Load(string folder, OnnxSessionFactory sessions, InferenceOptions options, ILogger logger)
    {
        var stopwatch = Stopwatch.StartNew();
        folder = Path.GetFullPath(folder);
        if (!Directory.Exists(folder))
        {
            throw new ModelLoadException(folder, $"the model folder does not exist; it must hold {string.Join(", ", ModelLayout.RequiredFiles)}.");
        }

        var missing = ModelLayout.MissingFiles(folder);
        if (missing.Count > 0)
        {
            throw new ModelLoadException(
                ModelLayout.PathOf(folder, missing[0]),
                missing.Count == 1 ? "the file is missing." : $"the file is missing (as are {string.Join(", ", missing.Skip(1))}).");
        }

        var configPath = ModelLayout.PathOf(folder, ModelLayout.Config);
        var preprocessPath = ModelLayout.PathOf(folder, ModelLayout.PreprocessConfig);
        var config = ModelConfigFiles.ReadConfig(configPath);
        var preprocessing = ModelConfigFiles.ReadPreprocessing(preprocessPath);
        if (config.ImageSize is { } imageSize && imageSize != preprocessing.Size)
        {
            throw new ModelLoadException(preprocessPath, $"size {preprocessing.Size} disagrees with {ModelLayout.Config} vision_cfg.image_size {imageSize}.");
        }

        var tokenizerPath = ModelLayout.PathOf(folder, ModelLayout.Tokenizer);
        ClipTokenizer tokenizer;
        try
        {
            tokenizer = ClipTokenizer.Load(tokenizerPath, config.ContextLength);
        }
        catch (TokenizerFileException error)
        {
            throw new ModelLoadException(tokenizerPath, error.Problem, error);
        }

        var name = new DirectoryInfo(folder).Name;
        EncoderSession? textual = null;
        EncoderSession? visual = null;
        try
        {
            var textualPath = ModelLayout.PathOf(folder, ModelLayout.TextualModel);
            textual = OpenEncoder(
                sessions, textualPath, $"{name}/textual", [TensorElementType.Int32, TensorElementType.Int64],
                [(config.ContextLength, $"{ModelLayout.Config} text_cfg.context_length")], config.EmbeddingDimensions);
            var visualPath = ModelLayout.PathOf(folder, ModelLayout.VisualModel);
            var sizeSource = $"{ModelLayout.PreprocessConfig} size";
            visual = OpenEncoder(
                sessions, visualPath, $"{name}/visual", [TensorElementType.Float],
                [(3, "RGB"), (preprocessing.Size, sizeSource), (preprocessing.Size, sizeSource)], config.EmbeddingDimensions);

            var descriptor = new ModelDescriptor(
                name, config.EmbeddingDimensions, config.ContextLength, preprocessing, config.LogitScale ?? OpenAiLogitScale, sessions.ExecutionProvider, config.IsDemo);
            var model = new ClipModel(folder, descriptor, config.Description, tokenizer, textual, visual, sessions.Runtime.AvailableProviders, options.MaxBatchSize);
            model.WarmUp();
            InferenceLog.ModelLoaded(
                logger, name, folder, stopwatch.ElapsedMilliseconds, descriptor.EmbeddingDimensions, descriptor.ContextLength, preprocessing.Size,
                model.TextBatchMode, model.ImageBatchMode, descriptor.ExecutionProvider, config.IsDemo ? " (DEMO model: synthetic shapes only)" : string.Empty);
            return model;
        }
        catch
        {
            textual?.Dispose();
            visual?.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        textual.Dispose();
        visual.Dispose();
    }

    private static EncoderSession OpenEncoder(
        OnnxSessionFactory sessions,
        string modelPath,
        string logId,
        IReadOnlyList<TensorElementType> inputTypes,
        IReadOnlyList<(long Size, string Source)> inputShape,
        int dimensions)
    {
        InferenceSession session;
        try
        {
            session = sessions.Create(modelPath, logId);
        }
        catch (OnnxRuntimeException error)
        {
            throw new ModelLoadException(modelPath, $"ONNX Runtime cannot load it: {error.NativeMessage}", error);
        }

        try
        {
            return new EncoderSession(session, EncoderGraph.Describe(session, modelPath, inputTypes, inputShape, dimensions), dimensions);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>
    /// One run of each graph: proves the output has embed_dim values even where the graph leaves it symbolic, and takes
    /// the first run's allocations off the first request.
    /// </summary>
    private void WarmUp()
    {
        try
        {
            TextEncoder.Encode(["a photo"], CancellationToken.None);
            ImageEncoder.Encode([new float[Descriptor.Preprocessing.TensorLength]], CancellationToken.None);
        }
        catch (OnnxRuntimeException error)
        {
            throw new ModelLoadException(Folder, $"a test run failed: {error.Message}", error);
        }
    }
}
