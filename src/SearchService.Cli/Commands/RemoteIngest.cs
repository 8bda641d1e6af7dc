using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json;
using SearchService.Cli.Framework;
using SearchService.Core.Ingest;

namespace SearchService.Cli.Commands;

/// <summary>
/// <c>ingest PATH --server URL</c>: starts a job on a running service (<c>POST /api/ingest/jobs</c>) and follows it
/// through its Server-Sent Events (<c>/events</c>), falling back to polling the job when the stream breaks.
/// With <c>--server-path</c> the service reads PATH from its own disk (a folder inside its
/// <c>Ingest:AllowedRoots</c>); otherwise the files are uploaded from here, one streamed multipart request:
/// an archive as it is, a folder's image files, or one image.
/// </summary>
internal static class RemoteIngest
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    public static async Task<IngestSummary> RunAsync(
        ServerConnection server,
        string path,
        bool serverPath,
        bool recursive,
        IReadOnlyList<string> tags,
        ProgressBar progress,
        TextWriter error,
        CancellationToken cancellationToken)
    {
        var started = TimeProvider.System.GetTimestamp();
        using HttpContent content = serverPath ? FolderRequest(path, recursive, tags) : await UploadAsync(path, recursive, tags, error, cancellationToken);
        // Expect: 100-continue: a refusal (wrong key, a folder over the limits) arrives before gigabytes are sent.
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/ingest/jobs") { Content = content };
        request.Headers.ExpectContinue = !serverPath;
        using var response = await server.Http.SendAsync(request, cancellationToken);
        var job = await ServerConnection.ReadAsync<RemoteJob>(response, cancellationToken);

        job = await FollowAsync(server, job, progress, cancellationToken);
        progress.Complete(job.Snapshot);
        var errors = await ErrorsAsync(server, job.Id, cancellationToken);
        return new IngestSummary(job.Id, job.State, job.Totals.ToTotals(), TimeProvider.System.GetElapsedTime(started), job.Error, errors);
    }

    private static JsonContent FolderRequest(string path, bool recursive, IReadOnlyList<string> tags)
    {
        // The server resolves and checks the path itself; a relative one means nothing there.
        if (!path.StartsWith('/'))
        {
            throw new CliUsageException($"--server-path: PATH must be an absolute folder on the server, got '{path}'.");
        }

        return JsonContent.Create(new { path, recursive, tags }, options: JsonSerializerOptions.Web);
    }

    private static async Task<MultipartFormDataContent> UploadAsync(string path, bool recursive, IReadOnlyList<string> tags, TextWriter error, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(path);
        var files = File.Exists(full) && LocalFiles.IsArchive(full)
            ? [new IngestFileEntry(full, Path.GetFileName(full), new FileInfo(full).Length, null)]
            : LocalFiles.Scan(full, recursive).ToArray();
        if (files.Length == 0)
        {
            throw new CliUsageException($"{full} holds no image files{(recursive ? string.Empty : " (add --recursive for subfolders)")}.");
        }

        var bytes = files.Sum(file => file.SizeBytes);
        await error.WriteLineAsync(string.Create(
            CultureInfo.InvariantCulture,
            $"searchctl: uploading {files.Length} file(s), {(bytes < 1024 * 1024 ? $"{bytes / 1024.0:0.#} KiB" : $"{bytes / (1024.0 * 1024):0.#} MiB")}"));
        cancellationToken.ThrowIfCancellationRequested();
        var form = new MultipartFormDataContent();
#pragma warning disable CA2000 // The form owns its parts and disposes them with itself.
        foreach (var tag in tags)
        {
            form.Add(new StringContent(tag), "tags");
        }

        foreach (var file in files)
        {
            form.Add(new FileUploadContent(file.Location), "files", file.DisplayName);
        }
#pragma warning restore CA2000

        return form;
    }

    private static async Task<RemoteJob> FollowAsync(ServerConnection server, RemoteJob job, ProgressBar progress, CancellationToken cancellationToken)
    {
        progress.Report(job.Snapshot);
        try
        {
            using var events = await server.Http.GetAsync($"api/ingest/jobs/{job.Id}/events", HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            await ServerConnection.EnsureSuccessAsync(events, cancellationToken);
            var stream = await events.Content.ReadAsStreamAsync(cancellationToken);
            await foreach (var item in SseParser.Create(stream).EnumerateAsync(cancellationToken))
            {
                job = JsonSerializer.Deserialize<RemoteJob>(item.Data, JsonSerializerOptions.Web) ?? job;
                progress.Report(job.Snapshot);
                if (item.EventType == "end")
                {
                    return job;
                }
            }
        }
        catch (Exception exception) when (exception is HttpRequestException or IOException && !cancellationToken.IsCancellationRequested)
        {
            // A proxy that cuts long responses, a restart of the service: the job goes on, keep watching it.
        }

        while (!job.IsFinal)
        {
            await Task.Delay(PollInterval, cancellationToken);
            using var response = await server.Http.GetAsync($"api/ingest/jobs/{job.Id}?errorsLimit=1", cancellationToken);
            if (response.StatusCode is HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout)
            {
                continue;
            }

            job = await ServerConnection.ReadAsync<RemoteJob>(response, cancellationToken);
            progress.Report(job.Snapshot);
        }

        return job;
    }

    private static async Task<IReadOnlyList<IngestFileError>> ErrorsAsync(ServerConnection server, Guid jobId, CancellationToken cancellationToken)
    {
        using var response = await server.Http.GetAsync($"api/ingest/jobs/{jobId}?errorsLimit={LocalIngest.ErrorsShown}", cancellationToken);
        var job = await ServerConnection.ReadAsync<RemoteJob>(response, cancellationToken);
        return job.Errors?.Items.Select(item => new IngestFileError(item.FileId, item.Name, item.Reason)).ToArray() ?? [];
    }

    /// <summary>A file streamed into the request body, opened only when its turn comes (a folder may hold more files than may be open).</summary>
    private sealed class FileUploadContent : HttpContent
    {
        private readonly string _path;

        public FileUploadContent(string path)
        {
            _path = path;
            Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            var file = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous | FileOptions.SequentialScan);
            await using (file)
            {
                await file.CopyToAsync(stream, cancellationToken);
            }
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        // Unknown: the file may change before it is sent; the request is chunked then.
        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}

/// <summary>The parts of the service's job resource this command reads.</summary>
internal sealed record RemoteJob(Guid Id, string State, RemoteTotals Totals, double? ImagesPerSecond, string? Error, RemoteErrorPage? Errors)
{
    public bool IsFinal => State is "completed" or "failed" or "cancelled";

    public ProgressSnapshot Snapshot => new(Totals.Total - Totals.Queued, Totals.Total, Totals.Failed, ImagesPerSecond);
}

internal sealed record RemoteTotals(long Total, long Queued, long Done, long Duplicates, long Skipped, long Failed)
{
    public IngestTotals ToTotals() => new(Queued, Done, Duplicates, Skipped, Failed);
}

internal sealed record RemoteErrorPage(IReadOnlyList<RemoteFileError> Items);

internal sealed record RemoteFileError(long FileId, string Name, string Reason);
