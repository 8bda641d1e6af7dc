using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SearchService.Cli.Framework;
using SearchService.Core.Ingest;

namespace SearchService.Cli.Commands;

/// <summary>How an ingest ended, in either mode.</summary>
/// <param name="JobId">The job.</param>
/// <param name="State">Its final state (completed, failed, cancelled).</param>
/// <param name="Totals">Counts over its files.</param>
/// <param name="Elapsed">Time this command spent.</param>
/// <param name="Error">Why the job as a whole failed.</param>
/// <param name="FileErrors">The first per-file errors.</param>
internal sealed record IngestSummary(Guid JobId, string State, IngestTotals Totals, TimeSpan Elapsed, string? Error, IReadOnlyList<IngestFileError> FileErrors);

/// <summary>
/// <c>ingest PATH --data DIR --model DIR</c>: the Core <see cref="IngestPipeline"/> in this process over the
/// local store, with the job recorded in the data folder's job store like a service folder job. So a re-run
/// skips files unchanged since they were ingested, and an interrupted run (Ctrl+C, a crash) is resumed by
/// running the same command again.
/// </summary>
internal static class LocalIngest
{
    public const int ErrorsShown = 20;

    private const int EnumerationBatch = 1000;

    public static async Task<IngestSummary> RunAsync(
        LocalLibrary library, string path, bool recursive, IReadOnlyList<string> tags, ProgressBar progress, CancellationToken cancellationToken)
    {
        var started = TimeProvider.System.GetTimestamp();
        var source = new IngestSource(IngestSourceKind.Folder, Path.GetFullPath(path), recursive, tags);
        if (File.Exists(source.Path) && LocalFiles.IsArchive(source.Path))
        {
            throw new CliUsageException("local mode reads folders and image files; unpack the archive first, or send it to a service with --server.");
        }

        var jobs = library.Jobs;
        var job = await FindInterruptedAsync(jobs, source, cancellationToken);
        if (job is null)
        {
            var id = Guid.NewGuid();
            await jobs.CreateAsync(id, source, enumerated: false, cancellationToken);
            job = await jobs.GetAsync(id, cancellationToken);
        }

        var jobId = job!.Id;
        if (!job.Enumerated)
        {
            // Re-adding what an interrupted scan already recorded is harmless: the store ignores known locations.
            foreach (var chunk in LocalFiles.Scan(source.Path, recursive).Chunk(EnumerationBatch))
            {
                await jobs.AddFilesAsync(jobId, chunk, cancellationToken);
            }

            await jobs.MarkEnumeratedAsync(jobId, cancellationToken);
        }

        await jobs.SetStateAsync(jobId, IngestJobState.Running, null, cancellationToken);
        job = await jobs.GetAsync(jobId, cancellationToken) ?? throw new InvalidOperationException($"Job {jobId} vanished.");

        var configuration = library.Services.GetRequiredService<IConfiguration>().GetSection("Ingest");
        var options = PipelineOptions(configuration);
        var reader = new LocalFileReader(configuration.GetValue("MaxFileBytes", 100L * 1024 * 1024));
        var pipeline = new IngestPipeline(jobs, reader, library.Preparer, library.ImageEncoder, library.Library, library.Catalog, options, TimeProvider.System);
        var counters = new IngestRunCounters();
        var before = job.Totals;
        using var stopProgress = new CancellationTokenSource();
        var reporting = ReportAsync(progress, before, counters, started, stopProgress.Token);
        try
        {
            await pipeline.RunAsync(job, counters, CancellationToken.None, cancellationToken);
            await jobs.SetStateAsync(jobId, IngestJobState.Completed, null, CancellationToken.None);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            await jobs.SetStateAsync(jobId, IngestJobState.Failed, exception.Message, CancellationToken.None);
            throw;
        }
        finally
        {
            await stopProgress.CancelAsync();
            await reporting;
        }

        var final = await jobs.GetAsync(jobId, CancellationToken.None) ?? throw new InvalidOperationException($"Job {jobId} vanished.");
        progress.Complete(Snapshot(final.Totals, final.Totals.Processed - before.Processed, started));
        var errors = await jobs.ListErrorsAsync(jobId, 0, ErrorsShown, CancellationToken.None);
        return new IngestSummary(jobId, final.State.ToString().ToLowerInvariant(), final.Totals, TimeProvider.System.GetElapsedTime(started), final.Error, errors);
    }

    // An earlier run of the same command that did not finish (Ctrl+C, a crash) is continued rather than redone.
    private static async Task<IngestJob?> FindInterruptedAsync(IIngestJobStore jobs, IngestSource source, CancellationToken cancellationToken) =>
        (await jobs.ListUnfinishedAsync(cancellationToken)).FirstOrDefault(job =>
            job.Source.Kind == IngestSourceKind.Folder
            && job.Source.Path == source.Path
            && job.Source.Recursive == source.Recursive
            && job.Source.Tags.SequenceEqual(source.Tags, StringComparer.Ordinal));

    /// <summary>The pipeline's settings from the service's own keys (<c>Ingest:BatchSize</c>, <c>Ingest:DecodeConcurrency</c>, …).</summary>
    private static IngestPipelineOptions PipelineOptions(IConfiguration section)
    {
        var options = new IngestPipelineOptions();
        section.Bind(options);
        options.BatchLinger = TimeSpan.FromMilliseconds(section.GetValue("BatchLingerMilliseconds", options.BatchLinger.TotalMilliseconds));

        if (options.ReadConcurrency < 1 || options.DecodeConcurrency < 0 || options.EncodeConcurrency < 1 || options.BatchSize < 0
            || options.MaxBytesInFlight < 1 || options.ThumbnailSize < 0 || options.BatchLinger < TimeSpan.Zero)
        {
            throw new CliUsageException("Ingest:ReadConcurrency, EncodeConcurrency and MaxBytesInFlight must be at least 1; DecodeConcurrency, BatchSize, BatchLingerMilliseconds and ThumbnailSize must not be negative.");
        }

        return options;
    }

    private static async Task ReportAsync(ProgressBar progress, IngestTotals before, IngestRunCounters counters, long started, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        try
        {
            do
            {
                var processed = before.Processed + counters.Processed;
                progress.Report(new ProgressSnapshot(processed, before.Total, before.Failed + counters.Failed, Rate(counters.Processed, started)));
            }
            while (await timer.WaitForNextTickAsync(stop));
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private static ProgressSnapshot Snapshot(IngestTotals totals, long processedThisRun, long started) =>
        new(totals.Processed, totals.Total, totals.Failed, Rate(processedThisRun, started));

    private static double? Rate(long processed, long started)
    {
        var seconds = TimeProvider.System.GetElapsedTime(started).TotalSeconds;
        return seconds > 0.5 && processed > 0 ? processed / seconds : null;
    }
}

/// <summary>Reads a local job's files straight from their paths (local mode trusts the user's own disk; no allowed roots).</summary>
internal sealed class LocalFileReader(long maxFileBytes) : IIngestFileReader
{
    public async Task<byte[]> ReadAsync(IngestJob job, IngestFile file, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        try
        {
            var stream = new FileStream(file.Entry.Location, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
            await using (stream)
            {
                if (stream.Length > maxFileBytes)
                {
                    throw new IngestFileException($"the file has {stream.Length} bytes, more than Ingest:MaxFileBytes ({maxFileBytes})");
                }

                var bytes = new byte[stream.Length];
                await stream.ReadExactlyAsync(bytes, cancellationToken);
                return bytes;
            }
        }
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new IngestFileException("the file no longer exists", exception);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new IngestFileException($"the file cannot be read: {exception.Message}", exception);
        }
    }
}
