using BenchmarkDotNet.Running;

namespace SearchService.Benchmarks;

public static class BenchmarkEntryPoint
{
    /// <summary><c>ingest [--images N] [--batch B]</c> runs the end-to-end ingest benchmark; anything else goes to BenchmarkDotNet.</summary>
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "ingest")
        {
            return await Ingest.IngestBenchmark.RunAsync(args[1..]);
        }

        BenchmarkSwitcher.FromAssembly(typeof(BenchmarkEntryPoint).Assembly).Run(args);
        return 0;
    }
}
