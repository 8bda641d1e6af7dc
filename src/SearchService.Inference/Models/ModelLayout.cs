namespace SearchService.Inference.Models;

/// <summary>The files of a CLIP model in Immich's layout, relative to the model folder.</summary>
public static class ModelLayout
{
    public const string Config = "config.json";
    public const string TextualModel = "textual/model.onnx";
    public const string Tokenizer = "textual/tokenizer.json";
    public const string TokenizerConfig = "textual/tokenizer_config.json";
    public const string VisualModel = "visual/model.onnx";
    public const string PreprocessConfig = "visual/preprocess_cfg.json";

    /// <summary>What the service needs to load a model (and downloads).</summary>
    public static IReadOnlyList<string> RequiredFiles { get; } = [Config, TextualModel, Tokenizer, VisualModel, PreprocessConfig];

    /// <summary>Fetched with the required ones when present; their absence is fine.</summary>
    public static IReadOnlyList<string> OptionalFiles { get; } = [TokenizerConfig];

    /// <summary>Required files absent from <paramref name="folder"/>.</summary>
    public static IReadOnlyList<string> MissingFiles(string folder) =>
        [.. RequiredFiles.Where(file => !File.Exists(System.IO.Path.Combine(folder, file)))];

    internal static string PathOf(string folder, string file) => System.IO.Path.GetFullPath(System.IO.Path.Combine(folder, file));
}
