using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using SearchService.Core.Images;
using SearchService.Core.Models;
using SearchService.Inference.Imaging;

namespace SearchService.Benchmarks.Imaging;

/// <summary>
/// Decode + CLIP preprocessing (224 px, bicubic, shortest side) of big camera JPEGs. Times are per image
/// (OperationsPerInvoke): <see cref="SingleThreaded"/> is ms/image on one core, <see cref="AllCores"/> the wall
/// time per image with every core decoding (1000 / it = images/s). <c>ShrinkOnLoad=False</c> is the full decode,
/// the baseline for shrink-on-load; <see cref="SingleThreadedWithThumbnail"/> adds the 320 px WebP thumbnail made
/// in the same pass.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(InProcessShortRun))]
public class ImagePreparationBenchmarks
{
    private const int Images = 8;
    private const int AllCoresRounds = 2;

    private static readonly ImagePreprocessing Clip224 = new(
        224, ResizeMode.Shortest, Interpolation.Bicubic, [0.48145466f, 0.4578275f, 0.40821073f], [0.26862954f, 0.26130258f, 0.27577711f]);

    private byte[][] photos = null!;
    private VipsImagePreparer preparer = null!;

    [Params(false, true)]
    public bool ShrinkOnLoad { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        photos = CameraPhotos.Load(Images);
        preparer = new VipsImagePreparer(Clip224, new ImagingOptions { ShrinkOnLoad = ShrinkOnLoad });
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Images)]
    public float SingleThreaded()
    {
        var sum = 0f;
        foreach (var photo in photos)
        {
            sum += preparer.Prepare(photo, new PrepareOptions(0), CancellationToken.None).Tensor[0];
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Images)]
    public int SingleThreadedWithThumbnail()
    {
        var bytes = 0;
        foreach (var photo in photos)
        {
            bytes += preparer.Prepare(photo, new PrepareOptions(320), CancellationToken.None).Thumbnail.Length;
        }

        return bytes;
    }

    [Benchmark(OperationsPerInvoke = Images * AllCoresRounds)]
    public void AllCores() =>
        Parallel.For(0, Images * AllCoresRounds, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
            preparer.Prepare(photos[i % Images], new PrepareOptions(0), CancellationToken.None));

    private sealed class InProcessShortRun : ManualConfig
    {
        public InProcessShortRun()
        {
            AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance).WithWarmupCount(1).WithIterationCount(5));
        }
    }
}
