using BenchmarkDotNet.Attributes;
using SearchService.Inference.Tokenization;
using SearchService.Testing;

namespace SearchService.Benchmarks.Inference;

/// <summary>
/// Encoding one search query into CLIP's 77 ids. Baseline: the same tokenizer with its word cache off, so
/// every word runs the BPE merges (a cold cache); against it, the shared tokenizer whose cache already holds
/// the query's words (the steady state of a running service). Run:
/// <c>./build.sh bench --filter '*TokenizerBenchmarks*' --job short</c>.
/// </summary>
[MemoryDiagnoser]
public class TokenizerBenchmarks
{
    private readonly int[] ids = new int[77];
    private ClipTokenizer warm = null!;
    private ClipTokenizer uncached = null!;

    [Params(
        "a photo of a dog",
        "Grandma's 80th birthday party at the beach, summer 2023!",
        "東京タワーの夜景 🗼 Crème brûlée",
        "a very long description of a photograph showing a family gathering in a garden with many people standing around a long table covered with food and drinks while children play with a dog near the flower beds and an old man reads a newspaper under a large oak tree")]
    public string Query { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var path = Path.Combine(TestPaths.SharedData, "clip-tokenizer", "hf-openai-clip-vit-base-patch32", "tokenizer.json");
        warm = ClipTokenizer.Load(path, ids.Length);
        uncached = ClipTokenizer.Load(path, ids.Length, cacheCapacity: 0);
        warm.Encode(Query, ids);
    }

    [Benchmark(Baseline = true, Description = "cold: BPE for every word")]
    public int Cold()
    {
        uncached.Encode(Query, ids);
        return ids[1];
    }

    [Benchmark(Description = "warm: words from the cache")]
    public int Warm()
    {
        warm.Encode(Query, ids);
        return ids[1];
    }
}
