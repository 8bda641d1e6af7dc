using System.Text.Json;
using SearchService.Core.Models;
using SearchService.Inference.Imaging;
using SearchService.Testing;

namespace SearchService.Imaging.Tests.Support;

/// <summary>Preparers and the shared image folders used by the tests.</summary>
internal static class Preparers
{
    /// <summary>OpenAI CLIP ViT-B/32's preprocessing (224 px, bicubic, shortest side, OpenAI mean/std).</summary>
    internal static ImagePreprocessing Clip224 { get; } = new(
        224, ResizeMode.Shortest, Interpolation.Bicubic, [0.48145466f, 0.4578275f, 0.40821073f], [0.26862954f, 0.26130258f, 0.27577711f]);

    internal static string Images => Path.Combine(TestPaths.SharedData, "images");

    internal static string EdgeCases => Path.Combine(Images, "edge-cases");

    internal static string Photos => Path.Combine(Images, "photos");

    internal static VipsImagePreparer Create(ImagePreprocessing? preprocessing = null, ImagingOptions? options = null) =>
        new(preprocessing ?? Clip224, options ?? new ImagingOptions());

    /// <summary>The same settings as open_clip's preprocess_cfg.json, for the Python reference.</summary>
    internal static string WriteConfig(ImagePreprocessing preprocessing, string folder)
    {
        var path = Path.Combine(folder, "preprocess_cfg.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new
        {
            size = new[] { preprocessing.Size, preprocessing.Size },
            mode = "RGB",
            mean = preprocessing.Mean,
            std = preprocessing.Std,
            interpolation = preprocessing.Interpolation.ToString().ToLowerInvariant(),
            resize_mode = preprocessing.ResizeMode.ToString().ToLowerInvariant(),
            fill_color = 0,
        }));
        return path;
    }
}

/// <summary>A folder under the system temp folder, deleted on dispose.</summary>
internal sealed class ScratchFolder : IDisposable
{
    public ScratchFolder()
    {
        Path = Directory.CreateTempSubdirectory("imaging-tests-").FullName;
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
