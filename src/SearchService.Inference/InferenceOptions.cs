using Microsoft.Extensions.Options;
using SearchService.Interop.OnnxRuntime;

namespace SearchService.Inference;

/// <summary>Where the CLIP encoders run. Configuration section <c>Inference</c>.</summary>
public sealed class InferenceOptions
{
    public const string SectionName = "Inference";

    /// <summary><c>cpu</c> (default) or <c>cuda</c>.</summary>
    public ExecutionProviderKind ExecutionProvider { get; set; } = ExecutionProviderKind.Cpu;

    /// <summary>CUDA device ordinal when <see cref="ExecutionProvider"/> is <c>cuda</c>.</summary>
    public int DeviceId { get; set; }

    /// <summary>Fail at start-up when CUDA cannot be used, instead of logging a warning and running on CPU.</summary>
    public bool RequireCuda { get; set; }

    /// <summary>Threads per operator in each session; 0 lets ONNX Runtime choose (one per physical core).</summary>
    public int IntraOpThreads { get; set; }

    /// <summary>Threads for independent operators; 0 lets ONNX Runtime choose.</summary>
    public int InterOpThreads { get; set; }

    /// <summary>
    /// Let ONNX Runtime's worker threads spin-wait between parallel sections (ORT's own default). Off here: the
    /// service decodes images on the same cores while the encoder runs, and a spinning worker burns the time a
    /// decode needs (ingest benchmark, 2 shared cores: 0.80-0.83 of the stage bound CPU-normalised with spinning,
    /// 0.91-0.95 without; the bare session alone also used ~20% less CPU per image).
    /// </summary>
    public bool AllowSpinning { get; set; }

    /// <summary><c>Disabled</c>, <c>Basic</c>, <c>Extended</c> or <c>All</c> (default).</summary>
    public GraphOptimizationLevel GraphOptimizationLevel { get; set; } = GraphOptimizationLevel.All;

    /// <summary>
    /// libonnxruntime file or folder. When set, only this is tried; when empty, the application folder, then the
    /// system's library path.
    /// </summary>
    public string? LibraryPath { get; set; }

    /// <summary>Largest batch one run takes on models with a dynamic batch dimension.</summary>
    public int MaxBatchSize { get; set; } = 32;
}

public enum ExecutionProviderKind
{
    Cpu,
    Cuda,
}

/// <summary>Start-up checks with messages that name the key and say what is allowed.</summary>
internal sealed class InferenceOptionsValidator : IValidateOptions<InferenceOptions>
{
    public ValidateOptionsResult Validate(string? name, InferenceOptions options)
    {
        var failures = new List<string>();
        if (!Enum.IsDefined(options.ExecutionProvider))
        {
            failures.Add("Inference:ExecutionProvider must be 'cpu' or 'cuda'.");
        }

        if (options.DeviceId < 0)
        {
            failures.Add($"Inference:DeviceId must be 0 or more, got {options.DeviceId}.");
        }

        if (options.RequireCuda && options.ExecutionProvider != ExecutionProviderKind.Cuda)
        {
            failures.Add("Inference:RequireCuda is true but Inference:ExecutionProvider is not 'cuda'.");
        }

        if (options.IntraOpThreads is < 0 or > 1024)
        {
            failures.Add($"Inference:IntraOpThreads must be between 0 (ONNX Runtime's choice) and 1024, got {options.IntraOpThreads}.");
        }

        if (options.InterOpThreads is < 0 or > 1024)
        {
            failures.Add($"Inference:InterOpThreads must be between 0 (ONNX Runtime's choice) and 1024, got {options.InterOpThreads}.");
        }

        if (!Enum.IsDefined(options.GraphOptimizationLevel))
        {
            failures.Add("Inference:GraphOptimizationLevel must be Disabled, Basic, Extended or All.");
        }

        if (options.MaxBatchSize is < 1 or > 4096)
        {
            failures.Add($"Inference:MaxBatchSize must be between 1 and 4096, got {options.MaxBatchSize}.");
        }

        if (!string.IsNullOrWhiteSpace(options.LibraryPath) && !File.Exists(options.LibraryPath) && !Directory.Exists(options.LibraryPath))
        {
            failures.Add($"Inference:LibraryPath '{options.LibraryPath}' is neither a file nor a folder.");
        }

        return failures.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(failures);
    }
}
