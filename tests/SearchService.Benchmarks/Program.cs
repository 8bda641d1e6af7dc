using BenchmarkDotNet.Running;
using SearchService.Benchmarks.Ingest;
using SearchService.Benchmarks.Search;

namespace SearchService.Benchmarks;

public static class BenchmarkEntryPoint
{
    /// <summary>
    /// Benchmarks that print their own numbers against an out-of-process baseline (latency percentiles, end-to-end
    /// ingest) do not fit BenchmarkDotNet; they have their own commands. Anything else goes to BenchmarkDotNet.
    /// </summary>
    public static async Task<int> Main(string[] args)
    {
        switch (args)
        {
            case [SearchLatencyBenchmark.Command, .. var rest]:
                await SearchLatencyBenchmark.RunAsync(rest);
                return 0;
            case ["ingest", .. var rest]:
                return await IngestBenchmark.RunAsync(rest);
            default:
                BenchmarkSwitcher.FromAssembly(typeof(BenchmarkEntryPoint).Assembly).Run(args);
                return 0;
        }
    }
}
