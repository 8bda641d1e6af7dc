using System.Text.Json;
using SearchService.Inference.Tests.Support;
using SearchService.Testing;
using Xunit;

namespace SearchService.Inference.Tests.Encoders;

/// <summary>
/// Our encoders against the independent PyTorch reference (tests/fixtures/reference/clip_reference.py), which loads
/// the models' PyTorch checkpoints, never the ONNX files. Both sides get the same token ids / the same tensors.
/// </summary>
public sealed class ReferenceEmbeddingTests
{
    private static readonly string[] Texts =
    [
        "a photo of a dog",
        "A red circle on the left",
        string.Empty,
        "   ",
        "naïve café — über straße",
        "日本語のテキスト",
        "emoji 🐕🌳 and symbols #1 @home!",
        string.Concat(Enumerable.Repeat("a very long caption that goes on ", 40)),
        "<|endoftext|> inside text",
    ];

    public static TheoryData<string> Models => new() { "tiny-random-clip", "tiny-random-clip-b1" };

    [Theory]
    [MemberData(nameof(Models))]
    public async Task Text_embeddings_match_PyTorch(string name)
    {
        using var model = ModelLoading.Load(Path.Combine(TestPaths.Fixtures, "models", name));
        var ids = Texts.Select(text => model.Tokenizer.Encode(text)).ToArray();

        var ours = await model.TextEncoder.EncodeAsync(Texts, CancellationToken.None);
        var reference = await ReferenceAsync("text", name, ["--ids-json", "-"], JsonSerializer.Serialize(ids));

        Assert.Equal(Texts.Length, reference.Length);
        for (var i = 0; i < Texts.Length; i++)
        {
            Assert.Equal(model.Descriptor.EmbeddingDimensions, ours[i].Length);
            Assert.Equal(1.0, Vectors.Norm(ours[i]), 1e-5);
            var cosine = ReferenceVectors.Cosine(ours[i], reference[i]);
            Assert.True(cosine >= 0.9999, $"'{Texts[i]}': cosine {cosine}");
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public async Task Image_embeddings_of_random_tensors_match_PyTorch(string name)
    {
        using var model = ModelLoading.Load(Path.Combine(TestPaths.Fixtures, "models", name));
        const int count = 5;
        var size = model.Descriptor.Preprocessing.Size;
        var length = model.Descriptor.Preprocessing.TensorLength;
        var random = new Random(11);
        var all = new float[count * length];
        for (var i = 0; i < all.Length; i++)
        {
            // Roughly the range of normalised pixels.
            all[i] = (float)(random.NextDouble() * 4 - 2);
        }

        using var folder = new TempFolder();
        var npy = Path.Combine(folder.Path, "images.npy");
        NpyWriter.Float32(npy, all, count, 3, size, size);
        var tensors = Enumerable.Range(0, count).Select(i => new ReadOnlyMemory<float>(all, i * length, length)).ToList();

        var ours = await model.ImageEncoder.EncodeAsync(tensors, CancellationToken.None);
        var reference = await ReferenceAsync("image", name, ["--tensor-npy", npy], null);

        for (var i = 0; i < count; i++)
        {
            Assert.Equal(1.0, Vectors.Norm(ours[i]), 1e-5);
            var cosine = ReferenceVectors.Cosine(ours[i], reference[i]);
            Assert.True(cosine >= 0.999, $"image {i}: cosine {cosine}");
        }
    }

    private static async Task<double[][]> ReferenceAsync(string command, string model, IEnumerable<string> arguments, string? input)
    {
        var output = await PythonReference.RunAsync("clip_reference.py", [command, "--model", model, .. arguments], input);
        using var document = JsonDocument.Parse(output);
        return document.RootElement.GetProperty("embeddings").Deserialize<double[][]>()!;
    }
}
