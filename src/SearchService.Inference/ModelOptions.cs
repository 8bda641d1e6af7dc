using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace SearchService.Inference;

/// <summary>
/// Which CLIP model to load, and where from. Configuration section <c>Model</c>. The model folder is
/// <see cref="Path"/> when set, else <see cref="Root"/>/<see cref="Name"/>; a missing folder is downloaded from
/// <see cref="DownloadBaseUrl"/>/<see cref="Name"/> when <see cref="AllowDownload"/>, else (or when that fails) the
/// bundled demo model runs with a warning that says what to do.
/// </summary>
public sealed partial class ModelOptions
{
    public const string SectionName = "Model";

    public const string DefaultName = "ViT-B-32__openai";

    public const string DefaultDownloadBaseUrl = "https://huggingface.co/immich-app";

    /// <summary>One model folder in the Immich layout; overrides <see cref="Root"/> and <see cref="Name"/>, never downloaded.</summary>
    public string? Path { get; set; }

    /// <summary>Folder holding one sub-folder per model. Default: <c>Storage:DataPath</c>/models, and <c>data/models</c> without it.</summary>
    public string? Root { get; set; }

    /// <summary>Immich model name, e.g. <c>ViT-B-32__openai</c>, <c>ViT-L-14__openai</c>.</summary>
    public string Name { get; set; } = DefaultName;

    /// <summary>Hugging Face organisation URL (or a mirror laid out the same way); files come from <c>{base}/{Name}/resolve/main/{file}</c>.</summary>
    public string DownloadBaseUrl { get; set; } = DefaultDownloadBaseUrl;

    /// <summary>Download a missing model at start-up.</summary>
    public bool AllowDownload { get; set; } = true;

    /// <summary>Run the bundled demo model when the configured one cannot be had (not when it is present but broken).</summary>
    public bool FallbackToDemo { get; set; } = true;

    /// <summary>The demo model folder. Default: <c>models/demo-shapes-clip</c> next to the application.</summary>
    public string? DemoPath { get; set; }

    /// <summary>A download that receives nothing for this long is abandoned.</summary>
    public TimeSpan DownloadStallTimeout { get; set; } = TimeSpan.FromSeconds(60);

    internal string ResolvedRoot => System.IO.Path.GetFullPath(Root ?? System.IO.Path.Combine("data", "models"));

    internal string ResolvedDemoPath => System.IO.Path.GetFullPath(DemoPath ?? System.IO.Path.Combine(AppContext.BaseDirectory, "models", "demo-shapes-clip"));

    /// <summary>Safe as a folder name and a URL segment: no separators, no "..".</summary>
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")]
    internal static partial Regex NamePattern();
}

internal sealed class ModelOptionsValidator : IValidateOptions<ModelOptions>
{
    public ValidateOptionsResult Validate(string? name, ModelOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Path))
        {
            if (string.IsNullOrWhiteSpace(options.Name) || !ModelOptions.NamePattern().IsMatch(options.Name) || options.Name.Contains("..", StringComparison.Ordinal))
            {
                failures.Add($"Model:Name '{options.Name}' is not a model name (letters, digits, '.', '_', '-'; e.g. {ModelOptions.DefaultName}).");
            }

            if (!Uri.TryCreate(options.DownloadBaseUrl, UriKind.Absolute, out var baseUrl) || (baseUrl.Scheme != Uri.UriSchemeHttps && baseUrl.Scheme != Uri.UriSchemeHttp))
            {
                failures.Add($"Model:DownloadBaseUrl '{options.DownloadBaseUrl}' must be an absolute http(s) URL, e.g. {ModelOptions.DefaultDownloadBaseUrl}.");
            }
        }

        if (options.DownloadStallTimeout <= TimeSpan.Zero)
        {
            failures.Add($"Model:DownloadStallTimeout must be positive, got {options.DownloadStallTimeout}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
