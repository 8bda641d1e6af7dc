using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using SearchService.Cli.Framework;
using SearchService.Core.Images;
using SearchService.Inference.Imaging;
using SearchService.Inference.Tests.Support;
using SearchService.Testing;
using Xunit;

namespace SearchService.Inference.Tests.Cli;

/// <summary>searchctl preprocess and embed --image: the same preparer and encoder the service uses.</summary>
public sealed class ImageCliTests : IDisposable
{
    private static readonly string Photos = Path.Combine(TestPaths.SharedData, "images", "photos");
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task Preprocess_writes_the_model_tensor_as_npy()
    {
        var image = Path.Combine(Photos, "Portrait_6.jpg");
        var npy = Path.Combine(temp.Path, "tensor.npy");
        var (code, output, error) = await RunAsync("preprocess", "--model", TestModels.TinyDynamic, "--image", image, "--out", npy);

        Assert.Equal(0, code);
        Assert.Empty(output);
        Assert.Empty(error);
        var (shape, data) = ReadNpy(npy);
        Assert.Equal([1, 3, 64, 64], shape);
        using var model = ModelLoading.Load(TestModels.TinyDynamic);
        var expected = new VipsImagePreparer(model.Descriptor.Preprocessing, new ImagingOptions())
            .Prepare(await File.ReadAllBytesAsync(image), new PrepareOptions(0), CancellationToken.None).Tensor;
        Assert.Equal(expected, data);

        // numpy reads it as the same array (independent of our reader).
        var check = await PythonRunAsync($"import numpy; a = numpy.load('{npy}'); print(a.dtype, a.shape, a[0, 2, 10, 20])");
        Assert.Equal($"float32 (1, 3, 64, 64) {expected[(2 * 64 * 64) + (10 * 64) + 20].ToString(System.Globalization.CultureInfo.InvariantCulture)}", check.Trim(), StringComparer.Ordinal);
    }

    [Fact]
    public async Task Embed_prints_one_line_per_image_and_one_error_per_bad_file()
    {
        var good = new[] { Path.Combine(Photos, "chelsea.png"), Path.Combine(Photos, "flower.webp") };
        var corrupt = Path.Combine(TestPaths.SharedData, "images", "edge-cases", "corrupt", "truncated_jpeg.jpg");
        var notImage = Path.Combine(TestPaths.SharedData, "images", "edge-cases", "corrupt", "not_an_image.jpg");
        var missing = Path.Combine(temp.Path, "missing.jpg");

        var (code, output, error) = await RunAsync(
            "embed", "--model", TestModels.TinyDynamic, "--threads", "1", "--image", good[0], "--image", corrupt, "--image", notImage, "--image", missing, "--image", good[1]);

        Assert.Equal(SearchCtl.Failure, code);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        using var model = ModelLoading.Load(TestModels.TinyDynamic);
        var preparer = new VipsImagePreparer(model.Descriptor.Preprocessing, new ImagingOptions());
        var tensors = good.Select(path => new ReadOnlyMemory<float>(preparer.Prepare(File.ReadAllBytes(path), new PrepareOptions(0), CancellationToken.None).Tensor)).ToList();
        var expected = await model.ImageEncoder.EncodeAsync(tensors, CancellationToken.None);
        for (var i = 0; i < good.Length; i++)
        {
            using var line = JsonDocument.Parse(lines[i]);
            Assert.Equal(good[i], line.RootElement.GetProperty("image").GetString());
            var embedding = line.RootElement.GetProperty("embedding").Deserialize<float[]>()!;
            Assert.Equal(expected[i], embedding);
            Assert.Equal(1.0, Vectors.Norm(embedding), 1e-5);
        }

        var errors = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, errors.Length);
        Assert.StartsWith($"searchctl: error: {corrupt}: corrupt image:", errors[0], StringComparison.Ordinal);
        Assert.StartsWith($"searchctl: error: {notImage}: unsupported format:", errors[1], StringComparison.Ordinal);
        Assert.StartsWith($"searchctl: error: {missing}:", errors[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Embed_with_only_good_images_succeeds_on_a_fixed_batch_model()
    {
        var (code, output, error) = await RunAsync(
            "embed", "--model", TestModels.TinyFixedBatch, "--image", Path.Combine(Photos, "hopper.gif"), "--image", Path.Combine(Photos, "horse.png"));

        Assert.Equal(0, code);
        Assert.Empty(error);
        Assert.All(output.Split('\n', StringSplitOptions.RemoveEmptyEntries), line => Assert.Equal(24, JsonDocument.Parse(line).RootElement.GetProperty("embedding").GetArrayLength()));
    }

    [Theory]
    [InlineData("preprocess --model MODEL --image X", "--out OUT.npy is required")]
    [InlineData("preprocess --model MODEL --out /no/such/folder/x.npy --image X", "--out: the folder /no/such/folder does not exist")]
    [InlineData("preprocess --model MODEL --image X --out Y --set Imaging:MaxPixels=0", "invalid configuration: Imaging:MaxPixels must be between")]
    public async Task Bad_preprocess_arguments_are_usage_errors(string commandLine, string words)
    {
        var arguments = commandLine.Split(' ').Select(part => part == "MODEL" ? TestModels.TinyDynamic : part == "X" ? Path.Combine(Photos, "chelsea.png") : part == "Y" ? Path.Combine(temp.Path, "y.npy") : part).ToArray();
        var (code, _, error) = await RunAsync(arguments);

        Assert.Equal(SearchCtl.Usage, code);
        Assert.Contains(words, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rejected_image_fails_preprocess_with_one_line()
    {
        var npy = Path.Combine(temp.Path, "never.npy");
        var bomb = Path.Combine(TestPaths.SharedData, "images", "edge-cases", "corrupt", "decompression_bomb.gif");
        var (code, output, error) = await RunAsync("preprocess", "--model", TestModels.TinyDynamic, "--image", bomb, "--out", npy);

        Assert.Equal(SearchCtl.Failure, code);
        Assert.Empty(output);
        Assert.StartsWith($"searchctl: error: {bomb}: too large:", error.Trim(), StringComparison.Ordinal);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.False(File.Exists(npy));
    }

    private static (int[] Shape, float[] Data) ReadNpy(string path)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes[0] == 0x93 && bytes.AsSpan(1, 5).SequenceEqual("NUMPY"u8));
        var headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
        var header = Encoding.ASCII.GetString(bytes, 10, headerLength);
        Assert.Contains("'descr': '<f4'", header, StringComparison.Ordinal);
        var shapeText = header[(header.IndexOf("'shape': (", StringComparison.Ordinal) + 10)..];
        var shape = shapeText[..shapeText.IndexOf(')', StringComparison.Ordinal)].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
        var data = new float[(bytes.Length - 10 - headerLength) / 4];
        Buffer.BlockCopy(bytes, 10 + headerLength, data, 0, data.Length * 4);
        return (shape, data);
    }

    private static async Task<string> PythonRunAsync(string code)
    {
        var startInfo = new System.Diagnostics.ProcessStartInfo(PythonReference.Interpreter) { RedirectStandardOutput = true, RedirectStandardError = true };
        startInfo.ArgumentList.Add("-c");
        startInfo.ArgumentList.Add(code);
        using var process = System.Diagnostics.Process.Start(startInfo)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.Equal(0, process.ExitCode);
        return output;
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(params string[] arguments)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await SearchCtl.RunAsync(arguments, output, error, CancellationToken.None);
        return (code, output.ToString(), error.ToString());
    }
}
