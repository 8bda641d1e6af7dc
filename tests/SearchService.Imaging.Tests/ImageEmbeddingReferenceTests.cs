using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using SearchService.Core.Images;
using SearchService.Imaging.Tests.Support;
using SearchService.Inference;
using SearchService.Inference.Imaging;
using SearchService.Inference.Models;
using SearchService.Inference.Onnx;
using SearchService.Interop.OnnxRuntime;
using SearchService.Testing;
using Xunit;
using Xunit.Abstractions;

namespace SearchService.Imaging.Tests;

/// <summary>
/// Photo files → our preparer → our ONNX image encoder, against PIL decoding + open_clip preprocessing + the PyTorch
/// checkpoint (tests/fixtures/reference/clip_reference.py image-file), with EXIF orientation on both sides.
/// </summary>
public sealed class ImageEmbeddingReferenceTests(ITestOutputHelper output)
{
    private static readonly string[] Photos =
    [
        "Picture_0B_by_freespace.jpg", "Portrait_6.jpg", "ng-32703.jpg", "astronaut.png", "camera.png", "horse.png", "flower.webp", "hopper.gif",
    ];

    public static TheoryData<string> Models => new() { "tiny-random-clip", "tiny-random-clip-b1" };

    [Theory]
    [MemberData(nameof(Models))]
    public async Task Image_embeddings_of_photos_match_PyTorch(string name)
    {
        var options = new InferenceOptions { IntraOpThreads = 1 };
        using var model = ClipModel.Load(
            Path.Combine(TestPaths.Fixtures, "models", name), new OnnxSessionFactory(OrtRuntime.Load(), options, NullLogger.Instance), options, NullLogger.Instance);
        var preparer = new VipsImagePreparer(model.Descriptor.Preprocessing, new ImagingOptions());
        var paths = Photos.Select(photo => Path.Combine(Preparers.Photos, photo)).ToList();
        var tensors = paths.Select(path => new ReadOnlyMemory<float>(preparer.Prepare(File.ReadAllBytes(path), new PrepareOptions(0), CancellationToken.None).Tensor)).ToList();

        var ours = await model.ImageEncoder.EncodeAsync(tensors, CancellationToken.None);
        var reference = await PythonReference.RunAsync(
            "clip_reference.py", ["image-file", "--model", name, "--exif-transpose", .. paths.SelectMany(path => (string[])["--image", path])]);
        using var document = JsonDocument.Parse(reference);
        var expected = document.RootElement.GetProperty("embeddings").Deserialize<double[][]>()!;

        Assert.Equal(Photos.Length, expected.Length);
        for (var i = 0; i < Photos.Length; i++)
        {
            var cosine = ReferenceVectors.Cosine(ours[i], expected[i]);
            output.WriteLine($"{name} {Photos[i]}: cosine {cosine:F6}");
            Assert.True(cosine >= 0.999, $"{Photos[i]}: cosine {cosine}");
        }

        // Different photos stay apart, so the bound above is not met by any pair of unit vectors.
        Assert.True(ReferenceVectors.Cosine(ours[0], expected[3]) < 0.999);
    }
}
