using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using SearchService.Core.Storage;
using SearchService.Storage.Sqlite.Vectors;
using SearchService.Testing;

namespace SearchService.Benchmarks.Search;

/// <summary>
/// Search latency of the embedded store's in-memory exact index (p50/p99, one query at a time, limit 10, plain and
/// filtered to about a tenth of the points) against FAISS IndexFlatIP on the same vectors and queries in the same
/// run, at 10k, 100k and 1M random 512-d unit vectors; plus the time to write them to SQLite and to load them back
/// at start-up. FAISS runs with the same thread count (it parallelises over queries, so one query uses one core).
/// Not BenchmarkDotNet: latency percentiles over single queries and an out-of-process baseline are the point.
/// <code>dotnet run --project tests/SearchService.Benchmarks -c Release -- search-latency [--sizes 10000,100000,1000000] [--queries 100] [--threads N]</code>
/// Needs Debian's python3-faiss (<c>./build.sh bench</c> installs it).
/// </summary>
public static class SearchLatencyBenchmark
{
    public const string Command = "search-latency";

    private const int Dimensions = 512;
    private const int Limit = 10;
    private const int BatchSize = 8192;
    private const int Warmup = 3;
    private static readonly TimeSpan WarmupTime = TimeSpan.FromSeconds(1);
    private const int CheckedQueries = 5;
    private const string RareTag = "rare";

    private static readonly VectorCollection Collection = new("bench_512", Dimensions);
    private static readonly ImageFilter RareOnly = new() { TagsAny = [RareTag] };

    public static async Task RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var sizes = CommandLineOptions.Value(args, "--sizes", "10000,100000,1000000").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var queries = int.Parse(CommandLineOptions.Value(args, "--queries", "100"), CultureInfo.InvariantCulture);
        var threads = int.Parse(CommandLineOptions.Value(args, "--threads", Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
        Console.WriteLine($"Exact cosine search, {Dimensions}-d, limit {Limit}, {queries} queries per size, {threads} threads, {Environment.ProcessorCount} cores");

        var rows = new List<Row>();
        foreach (var size in sizes)
        {
            var row = await MeasureAsync(size, queries, threads);
            rows.Add(row);
            Console.WriteLine($"  {size,9:N0} points done: write {row.WriteSeconds:F1} s, load {row.LoadSeconds:F2} s, top-{Limit} agreement with FAISS {row.Agreement:P0}");
        }

        Print(rows, threads);
    }

    private static async Task<Row> MeasureAsync(int size, int queryCount, int threads)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"search-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            var random = new Random(size);
            var ids = new Guid[size];
            var rare = new byte[size];
            var database = Path.Combine(folder, "vectors.db");

            var written = Stopwatch.StartNew();
            using (var store = new EmbeddedVectorStore(database, threads, NullLogger<EmbeddedVectorStore>.Instance))
            using (var npy = NpyWriter.Float32(Path.Combine(folder, "base.npy"), size, Dimensions))
            {
                await store.EnsureCollectionAsync(Collection, CancellationToken.None);
                var uploaded = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
                for (var start = 0; start < size; start += BatchSize)
                {
                    var batch = new List<VectorPoint>(Math.Min(BatchSize, size - start));
                    for (var i = start; i < start + batch.Capacity; i++)
                    {
                        var vector = RandomUnit(random);
                        npy.Write(vector);
                        ids[i] = Guid.CreateVersion7(uploaded.AddSeconds(i));
                        rare[i] = (byte)(random.Next(10) == 0 ? 1 : 0);
                        batch.Add(new VectorPoint(ids[i], vector, new ImagePayload(rare[i] == 1 ? [RareTag] : ["common"], new Dictionary<string, string>(), uploaded.AddSeconds(i), null)));
                    }

                    await store.UpsertAsync(Collection, batch, CancellationToken.None);
                }
            }

            written.Stop();
            var queries = Enumerable.Range(0, queryCount).Select(_ => RandomUnit(random)).ToArray();
            using (var npy = NpyWriter.Float32(Path.Combine(folder, "queries.npy"), queryCount, Dimensions))
            {
                foreach (var query in queries)
                {
                    npy.Write(query);
                }
            }

            NpyWriter.UInt8(Path.Combine(folder, "mask.npy"), rare);

            // What a restart does: open the file and load the collection into memory.
            Percentiles plain, filtered;
            IReadOnlyList<ScoredPoint>[] plainTop, filteredTop;
            double loadSeconds;
            using (var store = new EmbeddedVectorStore(database, threads, NullLogger<EmbeddedVectorStore>.Instance))
            {
                var loading = Stopwatch.StartNew();
                await store.EnsureCollectionAsync(Collection, CancellationToken.None);
                loadSeconds = loading.Elapsed.TotalSeconds;
                if (await store.CountAsync(Collection, null, CancellationToken.None) != size)
                {
                    throw new InvalidOperationException($"Reloaded collection does not hold {size} points.");
                }

                (plain, plainTop) = await TimeAsync(store, queries, null);
                (filtered, filteredTop) = await TimeAsync(store, queries, RareOnly);
            }

            GC.Collect();
            var faiss = await RunFaissAsync(folder, threads);
            var agreement = Agreement(plainTop, faiss.GetProperty("plain_ids"), ids) + Agreement(filteredTop, faiss.GetProperty("filtered_ids"), ids);
            return new Row(
                size,
                plain,
                filtered,
                Percentiles.From(faiss.GetProperty("plain")),
                Percentiles.From(faiss.GetProperty("filtered")),
                written.Elapsed.TotalSeconds,
                loadSeconds,
                agreement / 2,
                faiss.GetProperty("filter_method").GetString()!);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<(Percentiles Latency, IReadOnlyList<ScoredPoint>[] Top)> TimeAsync(EmbeddedVectorStore store, float[][] queries, ImageFilter? filter)
    {
        // At least a second of searches first, so every path has left tier-0 code and the thread pool has its threads.
        var warming = Stopwatch.StartNew();
        for (var q = 0; q < Warmup || warming.Elapsed < WarmupTime; q++)
        {
            await store.SearchAsync(Collection, new VectorQuery(queries[q % queries.Length], Limit, Filter: filter), CancellationToken.None);
        }

        var samples = new double[queries.Length];
        var top = new IReadOnlyList<ScoredPoint>[queries.Length];
        for (var q = 0; q < queries.Length; q++)
        {
            var started = Stopwatch.GetTimestamp();
            top[q] = await store.SearchAsync(Collection, new VectorQuery(queries[q], Limit, Filter: filter), CancellationToken.None);
            samples[q] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }

        return (Percentiles.Of(samples), top);
    }

    private static async Task<JsonElement> RunFaissAsync(string folder, int threads)
    {
        var output = await PythonReference.RunAsync(
            "faiss_flat_search.py",
            [
                "--base", Path.Combine(folder, "base.npy"),
                "--queries", Path.Combine(folder, "queries.npy"),
                "--mask", Path.Combine(folder, "mask.npy"),
                "--threads", threads.ToString(CultureInfo.InvariantCulture),
                "--k", Limit.ToString(CultureInfo.InvariantCulture),
                "--warmup", Warmup.ToString(CultureInfo.InvariantCulture),
                "--check", CheckedQueries.ToString(CultureInfo.InvariantCulture),
            ],
            timeout: TimeSpan.FromMinutes(10));
        return JsonDocument.Parse(output).RootElement.Clone();
    }

    /// <summary>Share of the first queries' top hits that FAISS returned too (row numbers mapped to our ids).</summary>
    private static double Agreement(IReadOnlyList<ScoredPoint>[] ours, JsonElement faissRows, Guid[] ids)
    {
        double same = 0, total = 0;
        var q = 0;
        foreach (var rows in faissRows.EnumerateArray())
        {
            var theirs = rows.EnumerateArray().Select(row => row.GetInt64()).Where(row => row >= 0).Select(row => ids[row]).ToHashSet();
            same += ours[q].Count(hit => theirs.Contains(hit.Id));
            total += Math.Max(ours[q].Count, theirs.Count);
            q++;
        }

        return total == 0 ? 1 : same / total;
    }

    private static float[] RandomUnit(Random random)
    {
        var vector = new float[Dimensions];
        for (var i = 0; i < vector.Length; i++)
        {
            vector[i] = (random.NextSingle() * 2) - 1;
        }

        TensorPrimitives.Divide(vector, TensorPrimitives.Norm(vector), vector);
        return vector;
    }

    private static void Print(List<Row> rows, int threads)
    {
        Console.WriteLine();
        Console.WriteLine($"| points | ours p50 ms | ours p99 ms | FAISS p50 ms | FAISS p99 ms | p50 ratio | filtered ours p50/p99 ms | filtered FAISS p50/p99 ms | filtered p50 ratio | write to SQLite s | load at start-up s |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var row in rows)
        {
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"| {row.Size:N0} | {row.Plain.P50:F3} | {row.Plain.P99:F3} | {row.FaissPlain.P50:F3} | {row.FaissPlain.P99:F3} | {row.Plain.P50 / row.FaissPlain.P50:F2}x | {row.Filtered.P50:F3} / {row.Filtered.P99:F3} | {row.FaissFiltered.P50:F3} / {row.FaissFiltered.P99:F3} | {row.Filtered.P50 / row.FaissFiltered.P50:F2}x | {row.WriteSeconds:F1} | {row.LoadSeconds:F2} |"));
        }

        Console.WriteLine($"Ratio = ours / FAISS (below 1: ours is faster). {threads} threads each; FAISS filtered via {rows.FirstOrDefault()?.FaissFilterMethod}; filter = one tag on ~10% of points.");
    }

    private sealed record Percentiles(double P50, double P99)
    {
        public static Percentiles Of(double[] samples)
        {
            var sorted = samples.Order().ToArray();
            return new Percentiles(At(sorted, 0.50), At(sorted, 0.99));
        }

        public static Percentiles From(JsonElement element) => new(element.GetProperty("p50").GetDouble(), element.GetProperty("p99").GetDouble());

        /// <summary>Linear interpolation between closest ranks, as numpy.percentile does by default.</summary>
        private static double At(double[] sorted, double quantile)
        {
            var position = quantile * (sorted.Length - 1);
            var lower = (int)Math.Floor(position);
            var upper = Math.Min(lower + 1, sorted.Length - 1);
            return sorted[lower] + ((sorted[upper] - sorted[lower]) * (position - lower));
        }
    }

    private sealed record Row(
        int Size,
        Percentiles Plain,
        Percentiles Filtered,
        Percentiles FaissPlain,
        Percentiles FaissFiltered,
        double WriteSeconds,
        double LoadSeconds,
        double Agreement,
        string FaissFilterMethod);
}
