using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Microsoft.Extensions.Logging.Abstractions;
using SearchService.Core.Storage;
using SearchService.Inference;
using SearchService.Inference.Models;
using SearchService.Inference.Onnx;
using SearchService.Interop.OnnxRuntime;
using SearchService.Storage.Sqlite.Vectors;

namespace SearchService.Benchmarks.Search;

/// <summary>
/// One text query, uncached, split into its stages on the ViT-B/32-shaped model (random weights, 512-d) over a
/// 100k-vector embedded index: <see cref="Tokenise"/> (text to 77 ids), <see cref="Encode"/> (what the service's
/// encoder does for one query: tokenise, ONNX Runtime run, normalise), <see cref="Search"/> (exact cosine top-20 over
/// 100k vectors, all cores) and <see cref="TextQuery"/> (encode then search, the baseline the ratios refer to). The
/// HTTP layer and the catalog lookup of the 20 hits are not included.
/// <code>dotnet run --project tests/SearchService.Benchmarks -c Release -- --filter *TextQueryBenchmarks*</code>
/// Needs the model: <c>/usr/bin/python3 tests/fixtures/models/make_models.py vitb32 --out artifacts/models/vit-b-32-random</c>.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(InProcessShortRun))]
public class TextQueryBenchmarks
{
    public const int IndexSize = 100_000;
    private const int Limit = 20;
    private const string Query = "a photo of a dog playing in the snow";

    // Every benchmark case gets its own instance; the index takes a while to write, so the process builds it once.
    private static readonly Lazy<SharedIndex> Index = new(SharedIndex.Build);

    private int[] _ids = null!;
    private SharedIndex _index = null!;
    private float[] _queryVector = null!;

    [GlobalSetup]
    public void Setup()
    {
        _index = Index.Value;
        _ids = new int[_index.Model.Descriptor.ContextLength];
        _queryVector = Encode();
    }

    [Benchmark]
    public int[] Tokenise()
    {
        _index.Model.Tokenizer.Encode(Query, _ids);
        return _ids;
    }

    [Benchmark]
    public float[] Encode() => _index.Model.TextEncoder.Encode([Query], CancellationToken.None)[0];

    [Benchmark]
    public IReadOnlyList<ScoredPoint> Search() =>
        _index.Store.SearchAsync(_index.Collection, new VectorQuery(_queryVector, Limit), CancellationToken.None).GetAwaiter().GetResult();

    [Benchmark(Baseline = true)]
    public IReadOnlyList<ScoredPoint> TextQuery()
    {
        var vector = _index.Model.TextEncoder.Encode([Query], CancellationToken.None)[0];
        return _index.Store.SearchAsync(_index.Collection, new VectorQuery(vector, Limit), CancellationToken.None).GetAwaiter().GetResult();
    }

    /// <summary>The model and a store holding <see cref="IndexSize"/> random unit vectors, deleted when the process ends.</summary>
    private sealed class SharedIndex
    {
        private SharedIndex(ClipModel model, EmbeddedVectorStore store, VectorCollection collection)
        {
            (Model, Store, Collection) = (model, store, collection);
        }

        public ClipModel Model { get; }

        public EmbeddedVectorStore Store { get; }

        public VectorCollection Collection { get; }

        public static SharedIndex Build()
        {
            var folder = BenchmarkModel.RequireVitB32Folder();

            var options = new InferenceOptions();
            var model = ClipModel.Load(folder, new OnnxSessionFactory(OrtRuntime.Load(), options, NullLogger.Instance), options, NullLogger.Instance);
            var collection = new VectorCollection(model.Descriptor.CollectionName, model.Descriptor.EmbeddingDimensions);
            var data = Directory.CreateTempSubdirectory("text-query-bench-").FullName;
            var store = new EmbeddedVectorStore(Path.Combine(data, "vectors.db"), searchThreads: 0, NullLogger<EmbeddedVectorStore>.Instance);
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                store.Dispose();
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                Directory.Delete(data, recursive: true);
            };

            store.EnsureCollectionAsync(collection, CancellationToken.None).GetAwaiter().GetResult();
            var random = new Random(42);
            var uploaded = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
            var payload = new ImagePayload([], new Dictionary<string, string>(), uploaded, null);
            foreach (var batch in Enumerable.Range(0, IndexSize).Chunk(8192))
            {
                var points = batch.Select(_ => new VectorPoint(Guid.NewGuid(), RandomUnit(random, collection.Dimensions), payload)).ToList();
                store.UpsertAsync(collection, points, CancellationToken.None).GetAwaiter().GetResult();
            }

            return new SharedIndex(model, store, collection);
        }

        private static float[] RandomUnit(Random random, int dimensions)
        {
            var vector = new float[dimensions];
            for (var i = 0; i < dimensions; i++)
            {
                vector[i] = (float)((random.NextDouble() * 2) - 1);
            }

            System.Numerics.Tensors.TensorPrimitives.Divide(vector, System.Numerics.Tensors.TensorPrimitives.Norm(vector), vector);
            return vector;
        }
    }

    private sealed class InProcessShortRun : ManualConfig
    {
        public InProcessShortRun()
        {
            AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance).WithWarmupCount(2).WithIterationCount(8));
        }
    }
}
