using System.Globalization;
using SearchService.Cli.Framework;

namespace SearchService.Cli.Commands;

/// <summary><c>ingest PATH (--server URL | --data DIR --model DIR) [--recursive] [--tag T…]</c>: bulk ingestion with a progress bar.</summary>
internal sealed class IngestCommand : ICliCommand
{
    public string Name => "ingest";

    public string Summary => "Bulk-ingests a folder, an archive or an image into a running service or a local data folder, with a progress bar.";

    public string Details =>
        """
          Server mode (--server URL): PATH is uploaded from this machine in one streamed request: an archive
          (.zip, .tar, .tar.gz, .tgz) as it is, a folder's image files (.jpg .png .webp .gif .tif .heic .avif,
          subfolders with --recursive), or one image. With --server-path, PATH is instead a folder on the
          server's own disk, inside its Ingest:AllowedRoots: nothing is uploaded, and re-runs skip unchanged files.
          Progress comes from the job's event stream; the job goes on if this command is stopped.

          Local mode (--data DIR --model DIR): the service's ingest pipeline runs in this process on the data
          folder's embedded store (stop the service first). A re-run skips unchanged files; an interrupted run
          is resumed by the same command.

          The progress bar goes to the error stream, the summary line to the output. Exit code 0 when every
          file was stored, found to be a duplicate or skipped; 1 when a file failed or the job did not complete.
        """;

    public IReadOnlyList<CliOption> Options { get; } =
    [
        new("path", "PATH", "Folder, archive or image to ingest.", Required: true, Positional: true),
        .. ServerConnection.Options,
        new("server-path", null, "Server mode: PATH is a folder on the server (inside its Ingest:AllowedRoots), read there."),
        .. LocalLibrary.Options,
        new("recursive", null, "Include subfolders."),
        new("tag", "TAG", "Tag every stored image with TAG.", Repeatable: true),
    ];

    public async Task<int> RunAsync(CliArguments arguments, CliContext context, CancellationToken cancellationToken)
    {
        var path = arguments.Required("path");
        var tags = arguments.Values("tag").Select(tag => tag.Trim()).Where(tag => tag.Length > 0).Distinct(StringComparer.Ordinal).ToArray();
        var recursive = arguments.Flag("recursive");
        var progress = ProgressBar.For(context.Error, "ingest");
        IngestSummary summary;
        switch (ServerConnection.IsRequested(arguments), LocalLibrary.IsRequested(arguments))
        {
            case (true, false):
                using (var server = ServerConnection.Open(arguments))
                {
                    summary = await RemoteIngest.RunAsync(server, path, arguments.Flag("server-path"), recursive, tags, progress, context.Error, cancellationToken);
                }

                break;
            case (false, true):
                if (arguments.Flag("server-path"))
                {
                    throw new CliUsageException("--server-path needs --server.");
                }

                await using (var library = await LocalLibrary.OpenAsync(arguments, context, cancellationToken))
                {
                    summary = await LocalIngest.RunAsync(library, path, recursive, tags, progress, cancellationToken);
                }

                break;
            default:
                throw new CliUsageException("give either --server URL or --data DIR with --model DIR.");
        }

        foreach (var error in summary.FileErrors)
        {
            await context.Error.WriteLineAsync($"searchctl: failed: {error.Name}: {error.Reason}");
        }

        if (summary.Totals.Failed > summary.FileErrors.Count)
        {
            await context.Error.WriteLineAsync($"searchctl: … and {summary.Totals.Failed - summary.FileErrors.Count} more failed files (job {summary.JobId})");
        }

        if (summary.Error is { } jobError)
        {
            await context.Error.WriteLineAsync($"searchctl: error: the job {summary.State}: {jobError}");
        }

        await context.Out.WriteLineAsync(FormatSummary(summary));
        return summary.State == "completed" && summary.Totals.Failed == 0 ? SearchCtl.Success : SearchCtl.Failure;
    }

    internal static string FormatSummary(IngestSummary summary)
    {
        var totals = summary.Totals;
        var seconds = summary.Elapsed.TotalSeconds;
        return string.Create(
            CultureInfo.InvariantCulture,
            $"ingest {summary.State}: {totals.Total} files: {totals.Done} stored, {totals.Duplicates} duplicates, {totals.Skipped} skipped, {totals.Failed} failed, {totals.Pending} pending in {seconds:0.0} s (job {summary.JobId})");
    }
}
