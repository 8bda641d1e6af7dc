extern alias searchctl;

using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using SearchService.Api.Tests.Http;
using SearchService.Api.Tests.Ingest;
using Xunit;
using SearchCtl = searchctl::SearchService.Cli.Framework.SearchCtl;

namespace SearchService.Api.Tests.Cli;

/// <summary>
/// <c>searchctl ingest</c> and <c>search</c> against a running service over real HTTP (Kestrel on a free port; the
/// service of <see cref="IngestServiceFactory"/>), in-process and as a process.
/// </summary>
public sealed class CliServerModeTests : IDisposable
{
    private readonly IngestServiceFactory _factory = new();
    private readonly string _url;
    private readonly string _local = Directory.CreateTempSubdirectory("cli-local-").FullName;

    public CliServerModeTests()
    {
        _factory.UseKestrel(0);
        _factory.StartServer();
        _url = _factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    public void Dispose()
    {
        _factory.Dispose();
        Directory.Delete(_local, recursive: true);
    }

    [Fact]
    public async Task Ingest_uploads_a_local_folder_and_prints_exact_counts()
    {
        WriteImages(_local, 0, 5);
        File.WriteAllBytes(Path.Combine(_local, "copy-of-0.png"), TestImages.Png(0));
        WriteImages(Directory.CreateDirectory(Path.Combine(_local, "sub")).FullName, 10, 2);
        File.WriteAllText(Path.Combine(_local, "notes.txt"), "not an image, not picked up");

        var flat = await RunAsync("ingest", _local, "--server", _url, "--api-key", ApiFactory.WriterKey, "--tag", "holiday");
        var deep = await RunAsync("ingest", _local, "--server", _url, "--api-key", ApiFactory.WriterKey, "--recursive");

        Assert.Equal(0, flat.Code);
        Assert.Matches(@"^ingest completed: 6 files: 5 stored, 1 duplicates, 0 skipped, 0 failed, 0 pending in [0-9.]+ s \(job [0-9a-f-]{36}\)$", flat.Output.Trim());
        Assert.Contains("uploading 6 file(s)", flat.Error, StringComparison.Ordinal);
        Assert.Contains("6/6 100%", flat.Error, StringComparison.Ordinal);
        Assert.Equal(0, deep.Code);
        Assert.StartsWith("ingest completed: 8 files: 2 stored, 6 duplicates, 0 skipped, 0 failed", deep.Output, StringComparison.Ordinal);
        var records = await _factory.RecordsAsync();
        Assert.Equal(7, records.Count);
        Assert.Equal(5, records.Count(record => record.Tags.SequenceEqual(["holiday"])));
        Assert.Equal(7, await _factory.VectorCountAsync());
    }

    [Fact]
    public async Task Ingest_of_a_server_folder_lets_the_service_read_it_and_a_rerun_skips_everything()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_factory.AllowedRoot, "photos")).FullName;
        WriteImages(folder, 30, 4);

        var first = await RunAsync("ingest", folder, "--server-path", "--server", _url, "--api-key", ApiFactory.WriterKey);
        var again = await RunAsync("ingest", folder, "--server-path", "--server", _url, "--api-key", ApiFactory.WriterKey);

        Assert.Equal(0, first.Code);
        Assert.StartsWith("ingest completed: 4 files: 4 stored, 0 duplicates, 0 skipped, 0 failed", first.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("uploading", first.Error, StringComparison.Ordinal);
        Assert.Equal(0, again.Code);
        Assert.StartsWith("ingest completed: 4 files: 0 stored, 0 duplicates, 4 skipped, 0 failed", again.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Failed_files_are_listed_with_reasons_and_give_exit_code_1()
    {
        WriteImages(_local, 40, 2);
        File.WriteAllBytes(Path.Combine(_local, "broken.png"), TestImages.TruncatedPng(41));
        File.WriteAllText(Path.Combine(_local, "text.jpg"), "plain text named like a photo");

        var result = await RunAsync("ingest", _local, "--server", _url, "--api-key", ApiFactory.WriterKey);

        Assert.Equal(1, result.Code);
        Assert.StartsWith("ingest completed: 4 files: 2 stored, 0 duplicates, 0 skipped, 2 failed", result.Output, StringComparison.Ordinal);
        Assert.Contains("searchctl: failed: broken.png: ", result.Error, StringComparison.Ordinal);
        Assert.Contains("searchctl: failed: text.jpg: ", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_archive_is_uploaded_as_it_is_and_expanded_by_the_service()
    {
        var archive = Path.Combine(_local, "album.zip");
        File.WriteAllBytes(archive, TestImages.Zip(Enumerable.Range(50, 3).Select(i => ($"album/{i}.png", TestImages.Png(i)))));

        var result = await RunAsync("ingest", archive, "--server", _url, "--api-key", ApiFactory.WriterKey);

        Assert.Equal(0, result.Code);
        Assert.StartsWith("ingest completed: 3 files: 3 stored", result.Output, StringComparison.Ordinal);
        Assert.Contains(await _factory.RecordsAsync(), record => record.FileName == "album/51.png");
    }

    public static TheoryData<string[], int, string> Refusals => new()
    {
        { ["ingest", "LOCAL", "--server", "URL"], 1, "the server answered 401 Unauthorized" },
        { ["ingest", "photos", "--server", "URL", "--api-key", "KEY", "--server-path"], 2, "PATH must be an absolute folder on the server" },
        { ["ingest", "OUTSIDE", "--server", "URL", "--api-key", "KEY", "--server-path"], 1, "the server answered 400 Bad Request: Folder not allowed" },
        { ["ingest", "EMPTY", "--server", "URL", "--api-key", "KEY"], 2, "holds no image files (add --recursive for subfolders)" },
        { ["ingest", "LOCAL"], 2, "give either --server URL or --data DIR with --model DIR" },
        { ["ingest", "LOCAL", "--server", "URL", "--data", "LOCAL"], 2, "give either --server URL or --data DIR with --model DIR" },
        { ["ingest", "--server", "URL"], 2, "ingest: PATH is required" },
        { ["ingest", "LOCAL", "extra", "--server", "URL"], 2, "unexpected argument 'extra'" },
        { ["ingest", "LOCAL", "--server", "ftp://host"], 2, "--server must be an http or https URL" },
        { ["search", "--server", "URL"], 2, "search: TEXT is required" },
        { ["search", "cat", "--server", "URL", "--limit", "0"], 2, "--limit must be a whole number from 1 to 100" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task Refused_requests_and_bad_command_lines_end_with_one_error_line(string[] arguments, int expectedCode, string words)
    {
        var outside = Directory.CreateDirectory(Path.Combine(_factory.Outside, "photos")).FullName;
        var empty = Directory.CreateDirectory(Path.Combine(_local, "empty")).FullName;
        WriteImages(_local, 80, 1);
        string[] resolved = [.. arguments.Select(argument => argument switch
        {
            "LOCAL" => _local,
            "EMPTY" => empty,
            "OUTSIDE" => outside,
            "URL" => _url,
            "KEY" => ApiFactory.WriterKey,
            _ => argument,
        })];

        var result = await RunAsync(resolved);

        Assert.Equal(expectedCode, result.Code);
        Assert.Empty(result.Output);
        var error = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries), line => line.StartsWith("searchctl: error:", StringComparison.Ordinal));
        Assert.Contains(words, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Search_prints_the_services_ranking_as_a_table()
    {
        WriteImages(_local, 60, 6);
        Assert.Equal(0, (await RunAsync("ingest", _local, "--server", _url, "--api-key", ApiFactory.WriterKey)).Code);
        using var client = _factory.CreateAuthorizedClient();
        using var expected = JsonDocument.Parse(await client.GetStringAsync(new Uri($"{_url}/api/search?q=a%20red%20circle&limit=4")));

        var result = await RunAsync("search", "a red circle", "--server", _url, "--api-key", ApiFactory.WriterKey, "--limit", "4");

        Assert.Equal(0, result.Code);
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("rank    score  id                                    file", lines[0]);
        var hits = expected.RootElement.GetProperty("items").EnumerateArray().ToArray();
        Assert.Equal(4, hits.Length);
        Assert.Equal(hits.Length, lines.Length - 1);
        for (var i = 0; i < hits.Length; i++)
        {
            var columns = lines[i + 1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal((i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), columns[0]);
            Assert.Equal(hits[i].GetProperty("score").GetSingle(), float.Parse(columns[1], System.Globalization.CultureInfo.InvariantCulture), 4);
            Assert.Equal(hits[i].GetProperty("image").GetProperty("id").GetString(), columns[2]);
            Assert.Equal(hits[i].GetProperty("image").GetProperty("fileName").GetString(), columns[3]);
        }
    }

    [Fact]
    public async Task The_searchctl_process_ingests_against_the_service_with_the_key_from_the_environment()
    {
        WriteImages(_local, 70, 3);

        var result = await RunProcessAsync(
            new Dictionary<string, string> { ["SEARCHCTL_API_KEY"] = ApiFactory.WriterKey },
            "ingest", _local, "--server", _url);
        var refused = await RunProcessAsync(new Dictionary<string, string>(), "ingest", _local, "--server", _url, "--api-key", "wrong-key");

        Assert.Equal(0, result.Code);
        Assert.StartsWith("ingest completed: 3 files: 3 stored", result.Output, StringComparison.Ordinal);
        Assert.Equal(3, (await _factory.RecordsAsync()).Count);
        Assert.Equal(1, refused.Code);
        Assert.Contains("searchctl: error: the server answered 401 Unauthorized", refused.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_documents_both_modes_of_ingest()
    {
        var help = await RunAsync("ingest", "--help");

        Assert.Equal(0, help.Code);
        Assert.StartsWith("usage: searchctl ingest PATH [options]", help.Output, StringComparison.Ordinal);
        Assert.Contains("Server mode (--server URL)", help.Output, StringComparison.Ordinal);
        Assert.Contains("Local mode (--data DIR --model DIR)", help.Output, StringComparison.Ordinal);
        Assert.Contains("--server-path", help.Output, StringComparison.Ordinal);
    }

    private static void WriteImages(string folder, int firstSeed, int count)
    {
        for (var seed = firstSeed; seed < firstSeed + count; seed++)
        {
            File.WriteAllBytes(Path.Combine(folder, $"{seed}.png"), TestImages.Png(seed));
        }
    }

    internal static async Task<(int Code, string Output, string Error)> RunAsync(params string[] arguments)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await SearchCtl.RunAsync(arguments, output, error, CancellationToken.None);
        return (code, output.ToString(), error.ToString());
    }

    internal static async Task<(int Code, string Output, string Error)> RunProcessAsync(IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var startInfo = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        startInfo.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "searchctl.dll"));
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            startInfo.Environment[key] = value;
        }

        using var process = Process.Start(startInfo)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"searchctl {string.Join(' ', arguments)} did not finish");
        }

        return (process.ExitCode, await output, await error);
    }
}
