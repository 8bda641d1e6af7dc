using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Microsoft.Extensions.Logging.Abstractions;
using SearchService.Inference;
using SearchService.Inference.Models;
using SearchService.Inference.Onnx;
using SearchService.Interop.OnnxRuntime;

namespace SearchService.Benchmarks.Inference;

/// <summary>
/// Text encoder throughput on a ViT-B/32-shaped model (random weights), batch 1 and 32, against the bare ORT run of
/// the same ids on the same session (baseline). <see cref="OurCodeOnly"/> is everything the encoder adds around that
/// run — tokenising, widening to the graph's id type, normalising and handing out arrays — without the run, so its
/// ratio is our per-query overhead as a fraction of the model's time.
/// Needs the model: <c>/usr/bin/python3 tests/fixtures/models/make_models.py vitb32 --out artifacts/models/vit-b-32-random</c>.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(InProcessShortRun))]
public class TextEncoderBenchmarks
{
    private static readonly string[] Captions =
    [
        "a photo of a dog playing in the snow", "sunset over the mountains", "two children on a beach", "a red car parked on a street",
        "birthday cake with candles", "a cat sleeping on a sofa", "city skyline at night", "a bowl of fruit on a table",
        "people hiking in a forest", "an old church in a village", "a plate of pasta", "fireworks over a river",
        "a horse in a field", "snow covered trees", "a wedding ceremony outdoors", "a laptop on a desk",
        "a bicycle leaning against a wall", "waves crashing on rocks", "a garden full of flowers", "a train at a station",
        "a baby smiling", "a group photo at a party", "a lighthouse on a cliff", "autumn leaves on the ground",
        "a sailboat on a lake", "a bridge in the fog", "a dog with a ball", "a street market with vegetables",
        "an airplane in the sky", "a cup of coffee and a book", "a concert crowd", "a frozen waterfall",
    ];

    private ClipModel model = null!;
    private InferenceSession bareSession = null!;
    private string[] texts = null!;
    private int[] ids = null!;
    private float[] fakeOutput = null!;

    [Params(1, 32)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var modelFolder = BenchmarkModel.RequireVitB32Folder();

        var options = new InferenceOptions { MaxBatchSize = 32 };
        var runtime = OrtRuntime.Load();
        model = ClipModel.Load(modelFolder, new OnnxSessionFactory(runtime, options, NullLogger.Instance), options, NullLogger.Instance);
        texts = Captions[..Batch];
        var context = model.Descriptor.ContextLength;
        ids = new int[Batch * context];
        for (var i = 0; i < Batch; i++)
        {
            model.Tokenizer.Encode(texts[i], ids.AsSpan(i * context, context));
        }

        using var sessionOptions = runtime.CreateSessionOptions();
        bareSession = runtime.CreateSession(Path.Combine(modelFolder, ModelLayout.TextualModel), sessionOptions);
        fakeOutput = BareOrtRun();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        bareSession.Dispose();
        model.Dispose();
    }

    /// <summary>Pre-tokenised ids through the binding: pin, wrap, run, copy the output out.</summary>
    [Benchmark(Baseline = true)]
    public float[] BareOrtRun() =>
        bareSession.Run([TensorInput.Int32("text", ids, Batch, model.Descriptor.ContextLength)], "text_embedding", CancellationToken.None).AsFloats();

    /// <summary>What the service calls: texts in, unit embeddings out.</summary>
    [Benchmark]
    public float[][] TextEncoder() => model.TextEncoder.Encode(texts, CancellationToken.None);

    /// <summary>The encoder's own work around the run, on the same texts: tokenise each, then normalise each output row.</summary>
    [Benchmark]
    public float[][] OurCodeOnly()
    {
        var context = model.Descriptor.ContextLength;
        var dimensions = model.Descriptor.EmbeddingDimensions;
        var buffer = new int[Batch * context];
        var result = new float[Batch][];
        for (var i = 0; i < Batch; i++)
        {
            model.Tokenizer.Encode(texts[i], buffer.AsSpan(i * context, context));
            var row = fakeOutput.AsSpan(i * dimensions, dimensions);
            result[i] = new float[dimensions];
            TensorPrimitives.Divide(row, TensorPrimitives.Norm(row), result[i]);
        }

        return result;
    }

    private sealed class InProcessShortRun : ManualConfig
    {
        public InProcessShortRun()
        {
            AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance).WithWarmupCount(2).WithIterationCount(6));
        }
    }
}
