using System.Text.Json;
using SearchService.Core.Models;

namespace SearchService.Inference.Models;

/// <summary>What <c>config.json</c> (OpenCLIP's model config, as Immich ships it) says.</summary>
/// <param name="EmbeddingDimensions"><c>embed_dim</c>.</param>
/// <param name="ContextLength"><c>text_cfg.context_length</c> (OpenCLIP's default 77 when absent).</param>
/// <param name="ImageSize"><c>vision_cfg.image_size</c> when present.</param>
/// <param name="LogitScale"><c>logit_scale</c> (the multiplier, not its log) when present.</param>
/// <param name="IsDemo"><c>demo: true</c> marks the bundled synthetic-shapes model.</param>
/// <param name="Description">Free text, shown by <c>searchctl info</c>.</param>
internal sealed record OpenClipConfig(int EmbeddingDimensions, int ContextLength, int? ImageSize, float? LogitScale, bool IsDemo, string? Description);

/// <summary>Readers for the JSON files of the layout; every error names the file and the field.</summary>
internal static class ModelConfigFiles
{
    private const int OpenClipDefaultContextLength = 77;

    public static OpenClipConfig ReadConfig(string path)
    {
        using var document = Parse(path);
        var root = RequireObject(document.RootElement, path, "the top level");
        var embedDim = RequirePositiveInt(root, "embed_dim", path);
        var contextLength = OpenClipDefaultContextLength;
        if (root.TryGetProperty("text_cfg", out var textConfig))
        {
            RequireObject(textConfig, path, "text_cfg");
            if (textConfig.TryGetProperty("context_length", out _))
            {
                contextLength = RequirePositiveInt(textConfig, "context_length", path, "text_cfg.");
            }
        }

        int? imageSize = null;
        if (root.TryGetProperty("vision_cfg", out var visionConfig))
        {
            RequireObject(visionConfig, path, "vision_cfg");
            if (visionConfig.TryGetProperty("image_size", out var size))
            {
                imageSize = ReadSquareSize(size, path, "vision_cfg.image_size");
            }
        }

        float? logitScale = null;
        if (root.TryGetProperty("logit_scale", out var scale))
        {
            if (scale.ValueKind != JsonValueKind.Number || !scale.TryGetSingle(out var value) || !(value > 0) || !float.IsFinite(value))
            {
                throw new ModelLoadException(path, $"logit_scale must be a positive number (the multiplier, e.g. 100), got {scale.GetRawText()}.");
            }

            logitScale = value;
        }

        var isDemo = root.TryGetProperty("demo", out var demo) && demo.ValueKind == JsonValueKind.True;
        var description = root.TryGetProperty("description", out var text) && text.ValueKind == JsonValueKind.String ? text.GetString() : null;
        return new OpenClipConfig(embedDim, contextLength, imageSize, logitScale, isDemo, description);
    }

    /// <summary>open_clip's <c>preprocess_cfg.json</c>: size (int or [h, w], square), mean, std, interpolation, resize_mode.</summary>
    public static ImagePreprocessing ReadPreprocessing(string path)
    {
        using var document = Parse(path);
        var root = RequireObject(document.RootElement, path, "the top level");
        if (!root.TryGetProperty("size", out var sizeElement))
        {
            throw new ModelLoadException(path, "'size' is missing.");
        }

        var size = ReadSquareSize(sizeElement, path, "size");
        var mean = ReadTriple(root, "mean", path, mustBePositive: false);
        var std = ReadTriple(root, "std", path, mustBePositive: true);
        if (root.TryGetProperty("mode", out var mode) && (mode.ValueKind != JsonValueKind.String || mode.GetString() != "RGB"))
        {
            throw new ModelLoadException(path, $"mode {mode.GetRawText()} is not supported; only \"RGB\" is.");
        }

        var interpolation = ReadName(root, "interpolation", path, "bicubic") switch
        {
            "bicubic" => Interpolation.Bicubic,
            "bilinear" => Interpolation.Bilinear,
            "nearest" => Interpolation.Nearest,
            var other => throw new ModelLoadException(path, $"interpolation '{other}' is not supported (bicubic, bilinear, nearest)."),
        };
        var resizeMode = ReadName(root, "resize_mode", path, "shortest") switch
        {
            "shortest" => ResizeMode.Shortest,
            "longest" => ResizeMode.Longest,
            "squash" => ResizeMode.Squash,
            var other => throw new ModelLoadException(path, $"resize_mode '{other}' is not supported (shortest, longest, squash)."),
        };
        return new ImagePreprocessing(size, resizeMode, interpolation, mean, std);
    }

    private static JsonDocument Parse(string path)
    {
        if (!File.Exists(path))
        {
            throw new ModelLoadException(path, "the file is missing.");
        }

        try
        {
            using var stream = File.OpenRead(path);
            return JsonDocument.Parse(stream, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException error)
        {
            throw new ModelLoadException(path, $"not valid JSON: {error.Message}", error);
        }
        catch (IOException error)
        {
            throw new ModelLoadException(path, $"cannot be read: {error.Message}", error);
        }
        catch (UnauthorizedAccessException error)
        {
            throw new ModelLoadException(path, $"cannot be read: {error.Message}", error);
        }
    }

    private static JsonElement RequireObject(JsonElement element, string path, string what) =>
        element.ValueKind == JsonValueKind.Object ? element : throw new ModelLoadException(path, $"{what} must be a JSON object.");

    private static int RequirePositiveInt(JsonElement parent, string property, string path, string prefix = "")
    {
        if (!parent.TryGetProperty(property, out var value))
        {
            throw new ModelLoadException(path, $"'{prefix}{property}' is missing.");
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var number) || number <= 0)
        {
            throw new ModelLoadException(path, $"'{prefix}{property}' must be a positive integer, got {value.GetRawText()}.");
        }

        return number;
    }

    private static int ReadSquareSize(JsonElement value, string path, string what)
    {
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var side) && side > 0)
        {
            return side;
        }

        if (value.ValueKind == JsonValueKind.Array && value.GetArrayLength() == 2
            && value[0].TryGetInt32(out var height) && value[1].TryGetInt32(out var width) && height > 0)
        {
            return height == width
                ? height
                : throw new ModelLoadException(path, $"'{what}' is {height}×{width}; only square inputs are supported.");
        }

        throw new ModelLoadException(path, $"'{what}' must be a positive integer or [height, width], got {value.GetRawText()}.");
    }

    private static float[] ReadTriple(JsonElement root, string property, string path, bool mustBePositive)
    {
        if (!root.TryGetProperty(property, out var value))
        {
            throw new ModelLoadException(path, $"'{property}' is missing.");
        }

        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() != 3
            || value.EnumerateArray().Any(item => item.ValueKind != JsonValueKind.Number || !float.IsFinite(item.GetSingle()) || (mustBePositive && item.GetSingle() <= 0)))
        {
            throw new ModelLoadException(path, $"'{property}' must be three {(mustBePositive ? "positive " : string.Empty)}numbers (R, G, B), got {value.GetRawText()}.");
        }

        return [.. value.EnumerateArray().Select(item => item.GetSingle())];
    }

    private static string ReadName(JsonElement root, string property, string path, string fallback)
    {
        if (!root.TryGetProperty(property, out var value))
        {
            return fallback;
        }

        return value.ValueKind == JsonValueKind.String
            ? value.GetString()!.ToLowerInvariant()
            : throw new ModelLoadException(path, $"'{property}' must be a string, got {value.GetRawText()}.");
    }
}
