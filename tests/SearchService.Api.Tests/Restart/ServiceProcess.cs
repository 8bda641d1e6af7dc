using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using SearchService.Testing;

namespace SearchService.Api.Tests.Restart;

/// <summary>
/// The real service as a child process (<c>dotnet SearchService.Api.dll --urls http://127.0.0.1:PORT</c>) over a data
/// folder, configured through environment variables as a deployment would be: the demo model, no downloads, one
/// API key, an allowed root for folder jobs, no rate limits. <see cref="StartAsync"/> returns once
/// <c>/health/ready</c> answers 200 (model loaded, collection created, orphans reconciled). <see cref="Kill"/> is
/// SIGKILL: no shutdown code runs. Disposing always kills it.
/// </summary>
internal sealed class ServiceProcess : IAsyncDisposable
{
    public const string ApiKey = "restart-test-key-0123456789abcdef";

    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(90);
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output;

    private ServiceProcess(Process process, ConcurrentQueue<string> output, Uri address)
    {
        _process = process;
        _output = output;
        Address = address;
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
        Client.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
    }

    public Uri Address { get; }

    /// <summary>A client with the API key.</summary>
    public HttpClient Client { get; }

    /// <summary>Everything the process wrote to stdout and stderr so far.</summary>
    public string Output => string.Join('\n', _output);

    public bool HasExited => _process.HasExited;

    public static async Task<ServiceProcess> StartAsync(string dataPath, string allowedRoot, IReadOnlyDictionary<string, string>? settings = null)
    {
        var port = FreePort();
        var startInfo = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            // The content root: appsettings.json is read from here.
            WorkingDirectory = AppContext.BaseDirectory,
        };
        startInfo.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "SearchService.Api.dll"));
        startInfo.ArgumentList.Add("--urls");
        startInfo.ArgumentList.Add($"http://127.0.0.1:{port}");
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Testing",
            ["Storage__DataPath"] = dataPath,
            ["Model__Path"] = TestPaths.DemoModel,
            ["Model__AllowDownload"] = "false",
            ["Inference__LibraryPath"] = Path.Combine(TestPaths.NativeDirectory, "onnxruntime", "libonnxruntime.so.1"),
            ["Auth__ApiKeys__0"] = ApiKey,
            ["Ingest__AllowedRoots__0"] = allowedRoot,
            ["RateLimiting__Enabled"] = "false",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        foreach (var (key, value) in environment)
        {
            startInfo.Environment[key] = value;
        }

        var output = new ConcurrentQueue<string>();
        var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, line) => Keep(output, line.Data);
        process.ErrorDataReceived += (_, line) => Keep(output, line.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var service = new ServiceProcess(process, output, new Uri($"http://127.0.0.1:{port}/"));
        try
        {
            await service.WaitUntilReadyAsync();
            return service;
        }
        catch
        {
            await service.DisposeAsync();
            throw;
        }
    }

    /// <summary>SIGKILL, then waits until the process is gone.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        Client.Dispose();
        _process.Dispose();
        await Task.CompletedTask;
    }

    private async Task WaitUntilReadyAsync()
    {
        using var probe = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < ReadyTimeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The service exited with {_process.ExitCode} before it was ready:\n{Output}");
            }

            try
            {
                using var response = await probe.GetAsync("health/ready");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"The service was not ready after {ReadyTimeout}:\n{Output}");
    }

    private static void Keep(ConcurrentQueue<string> output, string? line)
    {
        if (line is null)
        {
            return;
        }

        output.Enqueue(line);
        while (output.Count > 2000 && output.TryDequeue(out _))
        {
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
