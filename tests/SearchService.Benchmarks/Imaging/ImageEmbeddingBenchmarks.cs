using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Microsoft.Extensions.Logging.Abstractions;
using SearchService.Core.Images;
using SearchService.Inference;
using SearchService.Inference.Imaging;
using SearchService.Inference.Models;
using SearchService.Inference.Onnx;
using SearchService.Interop.OnnxRuntime;

namespace SearchService.Benchmarks.Imaging;

/// <summary>
/// End-to-end image embedding on the ViT-B/32-shaped random model: camera JPEG bytes → preparer (all cores) →
/// image encoder, with the next batch decoding while the current one runs, against the bare visual session running
/// already-preprocessed batches of the same size (baseline). Times are per image (1000 / it = images/s).
/// Needs the model: <c>/usr/bin/python3 tests/fixtures/models/make_models.py vitb32 --out artifacts/models/vit-b-32-random</c>.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(InProcessShortRun))]
public class ImageEmbeddingBenchmarks
{
    private const int Batches = 2;
    private const int Batch = 8;

    private ClipModel model = null!;
    private InferenceSession bareSession = null!;
    private VipsImagePreparer preparer = null!;
    private byte[][] photos = null!;
    private float[] batchTensor = null!;

    [GlobalSetup]
    public void Setup()
    {
        var modelFolder = BenchmarkModel.RequireVitB32Folder();

        var options = new InferenceOptions { MaxBatchSize = Batch };
        var runtime = OrtRuntime.Load();
        model = ClipModel.Load(modelFolder, new OnnxSessionFactory(runtime, options, NullLogger.Instance), options, NullLogger.Instance);
        preparer = new VipsImagePreparer(model.Descriptor.Preprocessing, new ImagingOptions());
        photos = CameraPhotos.Load(Batch * Batches);
        var length = model.Descriptor.Preprocessing.TensorLength;
        batchTensor = new float[Batch * length];
        for (var i = 0; i < Batch; i++)
        {
            preparer.Prepare(photos[i], new PrepareOptions(0), CancellationToken.None).Tensor.CopyTo(batchTensor, i * length);
        }

        using var sessionOptions = runtime.CreateSessionOptions();
        bareSession = runtime.CreateSession(Path.Combine(modelFolder, ModelLayout.VisualModel), sessionOptions);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        bareSession.Dispose();
        model.Dispose();
    }

    /// <summary>Preprocessed batches straight into the visual session.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Batches * Batch)]
    public float BareVisualSession()
    {
        var size = model.Descriptor.Preprocessing.Size;
        var sum = 0f;
        for (var batch = 0; batch < Batches; batch++)
        {
            sum += bareSession.Run([TensorInput.Float("image", batchTensor, Batch, 3, size, size)], "image_embedding", CancellationToken.None).AsFloats()[0];
        }

        return sum;
    }

    /// <summary>Files to unit embeddings: decoding batch n+1 on the other cores while batch n runs.</summary>
    [Benchmark(OperationsPerInvoke = Batches * Batch)]
    public async Task<int> FilesToEmbeddings()
    {
        var embedded = 0;
        var next = Task.Run(() => PrepareBatch(0));
        for (var batch = 0; batch < Batches; batch++)
        {
            var tensors = await next;
            if (batch + 1 < Batches)
            {
                var following = batch + 1;
                next = Task.Run(() => PrepareBatch(following));
            }

            embedded += (await model.ImageEncoder.EncodeAsync(tensors, CancellationToken.None)).Length;
        }

        return embedded;
    }

    private ReadOnlyMemory<float>[] PrepareBatch(int batch)
    {
        var tensors = new ReadOnlyMemory<float>[Batch];
        Parallel.For(0, Batch, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
            tensors[i] = preparer.Prepare(photos[(batch * Batch) + i], new PrepareOptions(0), CancellationToken.None).Tensor);
        return tensors;
    }

    private sealed class InProcessShortRun : ManualConfig
    {
        public InProcessShortRun()
        {
            AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance).WithWarmupCount(1).WithIterationCount(5));
        }
    }
}
