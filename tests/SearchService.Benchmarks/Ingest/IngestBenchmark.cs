using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SearchService.Core.Images;
using SearchService.Core.Ingest;
using SearchService.Core.Library;
using SearchService.Core.Models;
using SearchService.Core.Storage;
using SearchService.Inference;
using SearchService.Inference.Imaging;
using SearchService.Inference.Models;
using SearchService.Inference.Onnx;
using SearchService.Interop.OnnxRuntime;
using SearchService.Storage.Sqlite;
using SearchService.Storage.Sqlite.Jobs;
using SearchService.Testing;

namespace SearchService.Benchmarks.Ingest;

/// <summary>
/// Bulk ingestion of big camera JPEGs (lomiri-wallpapers-16.04, ~3000-4300 px) with the ViT-B/32-shaped random model,
/// printing in one run: the CPU cost per image of each stage alone (read + SHA-256; decode + preprocess + thumbnail
/// on one thread; the bare visual session at the chosen batch size), the bound they imply (cores ÷ summed CPU
/// seconds per image), the end-to-end rate of a job through the real Core <see cref="IngestPipeline"/> with the real
/// adapters (libvips, ONNX Runtime, SQLite job store, embedded catalog, vectors and blobs), where the job's time went,
/// and a straightforward PyTorch + PIL ingest loop (tests/fixtures/reference/torch_ingest.py, same architecture and
/// weights, OpenBLAS, torch threads = cores) on the same files.
/// Run: <c>./build.sh bench ingest [--images N] [--batch B] [--decode WORKERS] [--intra ORT_THREADS] [--spin] [--skip-reference]</c> (or <c>dotnet run -c Release --project
/// tests/SearchService.Benchmarks -- ingest …</c>). Needs the model from
/// <c>/usr/bin/python3 tests/fixtures/models/make_models.py vitb32 --out artifacts/models/vit-b-32-random</c>.
/// The wallpapers are repeated to reach N files; each copy gets its own JPEG comment so that its bytes (and hash)
/// differ while it decodes to the same pixels.
/// </summary>
public static class IngestBenchmark
{
    private const string WallpaperFolder = "/usr/share/backgrounds";

    public static async Task<int> RunAsync(string[] args)
    {
        var count = CommandLineOptions.PositiveInt(args, "--images", 32);
        var batch = CommandLineOptions.PositiveInt(args, "--batch", 8);
        var decodeWorkers = CommandLineOptions.PositiveInt(args, "--decode", 0);
        var intraThreads = CommandLineOptions.PositiveInt(args, "--intra", 0);
        var cores = Environment.ProcessorCount;
        var modelFolder = BenchmarkModel.VitB32Folder;
        if (!File.Exists(Path.Combine(modelFolder, "model.pt")))
        {
            Console.Error.WriteLine($"{modelFolder} is missing; make it with: {BenchmarkModel.MakeCommand}");
            return 2;
        }

        var sources = Directory.Exists(WallpaperFolder) ? Directory.GetFiles(WallpaperFolder, "*.jpg").Order(StringComparer.Ordinal).ToArray() : [];
        if (sources.Length == 0)
        {
            Console.Error.WriteLine($"No JPEGs in {WallpaperFolder}: apt-get install lomiri-wallpapers-16.04 (./build.sh bench installs it).");
            return 2;
        }

        var work = Directory.CreateTempSubdirectory("ingest-bench-").FullName;
        try
        {
            var files = WriteVariants(sources, count, Directory.CreateDirectory(Path.Combine(work, "photos")).FullName);
            var spinning = args.Contains("--spin");
            await using var services = BuildServices(modelFolder, Path.Combine(work, "data"), batch, intraThreads, spinning);
            var model = await services.GetRequiredService<ClipModelHost>().LoadAsync(CancellationToken.None);
            var preparer = services.GetRequiredService<IImagePreparer>();
            var megapixels = sources.Select(path => preparer.Probe(File.ReadAllBytes(path))).Average(probe => probe.Width * (double)probe.Height) / 1e6;
            Console.WriteLine(Invariant($"Ingest benchmark: {count} files ({sources.Length} distinct wallpapers, mean {megapixels:0.0} MP, {files.Sum(f => new FileInfo(f).Length) / 1048576.0:0} MiB), {cores} cores, ViT-B/32-shaped model, batch {batch}, decode workers {(decodeWorkers > 0 ? decodeWorkers : cores)}, ORT intra-op threads {(intraThreads > 0 ? intraThreads.ToString(CultureInfo.InvariantCulture) : "default")}, ORT spinning {(spinning ? "on" : "off")}"));
            Console.WriteLine($"Load average before the run: {LoadAverage()} (anything near or above {cores} means the cores are shared and wall-clock rates drop)");
            Console.WriteLine();

            var hash = MeasureHash(sources);
            var decode = MeasureDecode(preparer, sources, new IngestPipelineOptions().ThumbnailSize);
            var encode = MeasureBareSession(services, modelFolder, model.Descriptor, batch, Math.Max(2, (count + batch - 1) / batch / 2));
            var perImage = hash.CpuSeconds + decode.CpuSeconds + encode.CpuSeconds;
            var bound = cores / perImage;
            Console.WriteLine("Stages alone (CPU seconds per image):");
            Console.WriteLine(Invariant($"  read + SHA-256 (1 thread)                          {hash.CpuSeconds * 1000,8:0.0} ms   ({hash.WallSeconds * 1000:0.0} ms wall)"));
            Console.WriteLine(Invariant($"  decode + preprocess + thumbnail (1 thread, vips)   {decode.CpuSeconds * 1000,8:0.0} ms   ({decode.WallSeconds * 1000:0.0} ms wall)"));
            Console.WriteLine(Invariant($"  bare visual session, batch {batch,-3} ({cores} threads)     {encode.CpuSeconds * 1000,8:0.0} ms   ({encode.WallSeconds * 1000:0.0} ms wall, {1 / encode.WallSeconds:0.00} images/s alone)"));
            Console.WriteLine(Invariant($"  sum {perImage * 1000:0.0} ms  ->  bound = {cores} cores / {perImage:0.000} s = {bound:0.00} images/s"));
            Console.WriteLine();

            var endToEnd = await RunPipelineAsync(services, files, batch, decodeWorkers);
            Console.WriteLine("End to end (Core IngestPipeline, real adapters, one folder job):");
            Console.WriteLine(Invariant($"  {endToEnd.Images} images in {endToEnd.WallSeconds:0.00} s = {endToEnd.ImagesPerSecond:0.00} images/s  =  {endToEnd.ImagesPerSecond / bound:0.00} x the stage bound   ({endToEnd.Totals})"));
            Console.WriteLine(Invariant($"  CPU used {endToEnd.CpuSeconds:0.0} s of {endToEnd.WallSeconds * cores:0.0} available ({endToEnd.CpuSeconds / (endToEnd.WallSeconds * cores):P0}); stage costs account for {perImage * endToEnd.Images:0.0} s, the rest ({endToEnd.CpuSeconds - perImage * endToEnd.Images:0.0} s) is pipeline, store and runtime overhead or contention"));
            Console.WriteLine(Invariant($"  CPU-normalised: stage CPU per image / job CPU per image = {perImage / (endToEnd.CpuSeconds / endToEnd.Images):0.00} (the fraction of the bound the job reaches with the cores to itself)"));
            Console.WriteLine(Invariant($"  encoder busy {endToEnd.EncoderBusySeconds:0.00} s ({endToEnd.EncoderBusySeconds / endToEnd.WallSeconds:P0} of the job); first batch started after {endToEnd.FirstEncodeAt:0.00} s, last ended {endToEnd.WallSeconds - endToEnd.LastEncodeEnd:0.00} s before the end"));
            Console.WriteLine(Invariant($"  decode busy {endToEnd.DecodeBusySeconds / endToEnd.Images * 1000:0.0} ms wall per image inside the job (alone: {decode.WallSeconds * 1000:0.0} ms) : sharing the cores with the encoder"));
            Console.WriteLine(Invariant($"  encoder batches: {endToEnd.Batches} (mean {endToEnd.Images / (double)Math.Max(1, endToEnd.Batches):0.0} images), {endToEnd.EncoderBusySeconds / endToEnd.Images * 1000:0.0} ms wall per image inside the job (alone: {encode.WallSeconds * 1000:0.0} ms)"));
            Console.WriteLine();

            if (args.Contains("--skip-reference"))
            {
                Console.WriteLine(Invariant($"Summary: end to end {endToEnd.ImagesPerSecond:0.00} images/s = {endToEnd.ImagesPerSecond / bound:0.00} x bound ({bound:0.00}; CPU-normalised {perImage / (endToEnd.CpuSeconds / endToEnd.Images):0.00}); reference skipped; load average after {LoadAverage()}"));
                return 0;
            }

            var reference = await RunReferenceAsync(modelFolder, files, batch, cores, Path.Combine(work, "reference"));
            Console.WriteLine("PyTorch + PIL reference (tests/fixtures/reference/torch_ingest.py, same files, same model):");
            Console.WriteLine(Invariant($"  {reference.Images} images in {reference.Seconds:0.00} s = {reference.ImagesPerSecond:0.00} images/s; torch {reference.Torch}, {reference.Threads} threads, BLAS {reference.Blas}"));
            Console.WriteLine(Invariant($"  CPU {reference.CpuSeconds:0.0} s = {reference.CpuSeconds / reference.Images * 1000:0} ms per image (the job: {endToEnd.CpuSeconds / endToEnd.Images * 1000:0} ms, {reference.CpuSeconds / reference.Images / (endToEnd.CpuSeconds / endToEnd.Images):0.00} x less)"));
            Console.WriteLine("  stage seconds: " + string.Join(", ", reference.Stages.Select(stage => Invariant($"{stage.Key} {stage.Value:0.00}"))));
            Console.WriteLine();
            Console.WriteLine(Invariant($"Summary: end to end {endToEnd.ImagesPerSecond:0.00} images/s = {endToEnd.ImagesPerSecond / bound:0.00} x bound ({bound:0.00}; CPU-normalised {perImage / (endToEnd.CpuSeconds / endToEnd.Images):0.00}), {endToEnd.ImagesPerSecond / reference.ImagesPerSecond:0.00} x the PyTorch reference ({reference.ImagesPerSecond:0.00}); load average after {LoadAverage()}"));
            return 0;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static ServiceProvider BuildServices(string modelFolder, string dataPath, int batch, int intraThreads, bool spinning)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Model:Path"] = modelFolder,
            ["Model:AllowDownload"] = "false",
            ["Storage:DataPath"] = dataPath,
            ["Inference:MaxBatchSize"] = batch.ToString(CultureInfo.InvariantCulture),
            ["Inference:IntraOpThreads"] = intraThreads.ToString(CultureInfo.InvariantCulture),
            ["Inference:AllowSpinning"] = spinning ? "true" : "false",
        }).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddInference(configuration).AddImaging(configuration).AddEmbeddedCatalog(configuration).AddEmbeddedVectorStore(configuration);
        services.AddSqliteIngestJobStore(_ => Path.Combine(dataPath, "jobs.db"));
        services.AddSingleton<IImageLibrary, ImageLibrary>();
        return services.BuildServiceProvider();
    }

    private static Measurement MeasureHash(string[] sources)
    {
        // Warm the page cache first: the job reads files the same way, and disks are not what this measures.
        foreach (var path in sources)
        {
            _ = File.ReadAllBytes(path);
        }

        return Measure(sources.Length, () =>
        {
            foreach (var path in sources)
            {
                _ = SHA256.HashData(File.ReadAllBytes(path));
            }
        });
    }

    private static Measurement MeasureDecode(IImagePreparer preparer, string[] sources, int thumbnailSize)
    {
        var bytes = sources.Select(File.ReadAllBytes).ToArray();
        var options = new PrepareOptions(thumbnailSize);
        _ = preparer.Prepare(bytes[0], options, CancellationToken.None);
        return Measure(bytes.Length, () =>
        {
            foreach (var image in bytes)
            {
                _ = preparer.Prepare(image, options, CancellationToken.None);
            }
        });
    }

    private static Measurement MeasureBareSession(ServiceProvider services, string modelFolder, ModelDescriptor model, int batch, int runs)
    {
        // The same session settings the encoder gets (Inference:* options), without the encoder around it.
        var factory = new OnnxSessionFactory(
            services.GetRequiredService<OrtRuntimeHost>().Runtime, services.GetRequiredService<IOptions<InferenceOptions>>().Value, NullLogger.Instance);
        using var session = factory.Create(Path.Combine(modelFolder, ModelLayout.VisualModel), "bench-visual");
        var size = model.Preprocessing.Size;
        var random = new Random(5);
        var input = new float[batch * 3 * size * size];
        for (var i = 0; i < input.Length; i++)
        {
            input[i] = (float)(random.NextDouble() * 4 - 2);
        }

        var inputName = session.Inputs[0].Name;
        var outputName = session.Outputs[0].Name;
        TensorInput[] inputs = [TensorInput.Float(inputName, input, batch, 3, size, size)];
        _ = session.Run(inputs, outputName, CancellationToken.None).AsFloats();
        return Measure(runs * batch, () =>
        {
            for (var run = 0; run < runs; run++)
            {
                _ = session.Run(inputs, outputName, CancellationToken.None).AsFloats();
            }
        });
    }

    private static async Task<EndToEnd> RunPipelineAsync(ServiceProvider services, string[] files, int batch, int decodeWorkers)
    {
        var jobs = services.GetRequiredService<IIngestJobStore>();
        var catalog = services.GetRequiredService<IImageCatalog>();
        var vectors = services.GetRequiredService<IVectorStore>();
        var library = services.GetRequiredService<IImageLibrary>();
        var model = services.GetRequiredService<ModelDescriptor>();
        await vectors.EnsureCollectionAsync(new VectorCollection(model.CollectionName, model.EmbeddingDimensions), CancellationToken.None);
        var preparer = new TimedPreparer(services.GetRequiredService<IImagePreparer>());
        var clock = Stopwatch.StartNew();
        var encoder = new TimedEncoder(services.GetRequiredService<IImageEncoder>(), clock);

        var folder = Path.GetDirectoryName(files[0])!;
        var id = Guid.NewGuid();
        await jobs.CreateAsync(id, new IngestSource(IngestSourceKind.Folder, folder, false, []), enumerated: false, CancellationToken.None);
        await jobs.AddFilesAsync(id, files.Select(path => new IngestFileEntry(path, Path.GetFileName(path), new FileInfo(path).Length, File.GetLastWriteTimeUtc(path))).ToArray(), CancellationToken.None);
        await jobs.MarkEnumeratedAsync(id, CancellationToken.None);
        await jobs.SetStateAsync(id, IngestJobState.Running, null, CancellationToken.None);
        var job = (await jobs.GetAsync(id, CancellationToken.None))!;

        // The service's defaults (Ingest:*): one decode per core unless --decode says otherwise, one encoder run at a time, the chosen batch size.
        var options = new IngestPipelineOptions { BatchSize = batch, DecodeConcurrency = decodeWorkers };
        var pipeline = new IngestPipeline(jobs, new FileReader(), preparer, encoder, library, catalog, options, TimeProvider.System);
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        clock.Restart();
        var result = await pipeline.RunAsync(job, new IngestRunCounters(), CancellationToken.None, CancellationToken.None);
        var wall = clock.Elapsed.TotalSeconds;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
        if (result != IngestRunResult.Completed)
        {
            throw new InvalidOperationException($"The job ended {result}.");
        }

        await jobs.SetStateAsync(id, IngestJobState.Completed, null, CancellationToken.None);
        var totals = (await jobs.GetAsync(id, CancellationToken.None))!.Totals;
        if (totals.Done != files.Length)
        {
            throw new InvalidOperationException($"Expected every file stored, got {totals}.");
        }

        return new EndToEnd(files.Length, wall, cpu, encoder.BusySeconds, encoder.FirstStart, encoder.LastEnd, encoder.Batches, preparer.BusySeconds, totals);
    }

    private static async Task<ReferenceResult> RunReferenceAsync(string modelFolder, string[] files, int batch, int cores, string outFolder)
    {
        string[] arguments =
        [
            "--model", modelFolder, "--out", outFolder, "--batch", batch.ToString(CultureInfo.InvariantCulture),
            "--threads", cores.ToString(CultureInfo.InvariantCulture), .. files,
        ];
        var output = await PythonReference.RunAsync("torch_ingest.py", arguments, timeout: TimeSpan.FromMinutes(30));
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        return new ReferenceResult(
            root.GetProperty("images").GetInt32(),
            root.GetProperty("seconds").GetDouble(),
            root.GetProperty("images_per_second").GetDouble(),
            root.GetProperty("cpu_seconds").GetDouble(),
            root.GetProperty("stages").EnumerateObject().ToDictionary(stage => stage.Name, stage => stage.Value.GetDouble()),
            root.GetProperty("threads").GetInt32(),
            root.GetProperty("torch").GetString()!,
            root.GetProperty("blas").GetString()!);
    }

    /// <summary>Copies of the sources up to <paramref name="count"/>, each with a JPEG comment (COM segment) naming it: new bytes, same pixels.</summary>
    private static string[] WriteVariants(string[] sources, int count, string folder)
    {
        var files = new string[count];
        for (var i = 0; i < count; i++)
        {
            var original = File.ReadAllBytes(sources[i % sources.Length]);
            var comment = Encoding.ASCII.GetBytes(Invariant($"searchservice ingest benchmark copy {i}"));
            var length = comment.Length + 2;
            byte[] segment = [0xFF, 0xFE, (byte)(length >> 8), (byte)length, .. comment];
            files[i] = Path.Combine(folder, Invariant($"{i:D4}-{Path.GetFileName(sources[i % sources.Length])}"));
            File.WriteAllBytes(files[i], [.. original.AsSpan(0, 2), .. segment, .. original.AsSpan(2)]);
        }

        return files;
    }

    private static Measurement Measure(int items, Action work)
    {
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        work();
        var wall = clock.Elapsed.TotalSeconds;
        process.Refresh();
        var cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds;
        return new Measurement(cpu / items, wall / items);
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private sealed record Measurement(double CpuSeconds, double WallSeconds);

    private sealed record EndToEnd(
        int Images, double WallSeconds, double CpuSeconds, double EncoderBusySeconds, double FirstEncodeAt, double LastEncodeEnd, int Batches, double DecodeBusySeconds, IngestTotals Totals)
    {
        public double ImagesPerSecond => Images / WallSeconds;
    }

    private sealed record ReferenceResult(int Images, double Seconds, double ImagesPerSecond, double CpuSeconds, Dictionary<string, double> Stages, int Threads, string Torch, string Blas);

    private sealed class FileReader : IIngestFileReader
    {
        public Task<byte[]> ReadAsync(IngestJob job, IngestFile file, CancellationToken cancellationToken) =>
            File.ReadAllBytesAsync(file.Entry.Location, cancellationToken);
    }

    private sealed class TimedPreparer(IImagePreparer inner) : IImagePreparer
    {
        private long _ticks;

        public double BusySeconds => Interlocked.Read(ref _ticks) / (double)Stopwatch.Frequency;

        public ImageProbe Probe(ReadOnlySpan<byte> data) => inner.Probe(data);

        public PreparedImage Prepare(ReadOnlyMemory<byte> data, PrepareOptions options, CancellationToken cancellationToken)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                return inner.Prepare(data, options, cancellationToken);
            }
            finally
            {
                Interlocked.Add(ref _ticks, Stopwatch.GetTimestamp() - started);
            }
        }
    }

    private sealed class TimedEncoder(IImageEncoder inner, Stopwatch clock) : IImageEncoder
    {
        private readonly Lock _gate = new();

        public ModelDescriptor Model => inner.Model;

        public int PreferredBatchSize => inner.PreferredBatchSize;

        public double BusySeconds { get; private set; }

        public double FirstStart { get; private set; } = double.NaN;

        public double LastEnd { get; private set; }

        public int Batches { get; private set; }

        public async Task<float[][]> EncodeAsync(IReadOnlyList<ReadOnlyMemory<float>> tensors, CancellationToken cancellationToken)
        {
            var started = clock.Elapsed.TotalSeconds;
            var result = await inner.EncodeAsync(tensors, cancellationToken);
            var ended = clock.Elapsed.TotalSeconds;
            lock (_gate)
            {
                BusySeconds += ended - started;
                FirstStart = double.IsNaN(FirstStart) ? started : Math.Min(FirstStart, started);
                LastEnd = Math.Max(LastEnd, ended);
                Batches++;
            }

            return result;
        }
    }
}
