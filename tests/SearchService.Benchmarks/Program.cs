using BenchmarkDotNet.Running;
using SearchService.Benchmarks.Search;

namespace SearchService.Benchmarks;

public static class BenchmarkEntryPoint
{
    public static async Task Main(string[] args)
    {
        // Latency percentiles against an out-of-process baseline do not fit BenchmarkDotNet; they have their own command.
        if (args is [SearchLatencyBenchmark.Command, .. var rest])
        {
            await SearchLatencyBenchmark.RunAsync(rest);
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(BenchmarkEntryPoint).Assembly).Run(args);
    }
}
