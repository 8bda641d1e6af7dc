using System.Diagnostics;
using System.Runtime.InteropServices;

namespace SearchService.Testing;

/// <summary>
/// Runs the independent Python references (PyTorch, PIL, OpenAI's tokenizer algorithm) on Debian's
/// /usr/bin/python3, with torch pointed at OpenBLAS instead of the slow reference BLAS.
/// </summary>
public static class PythonReference
{
    public const string Interpreter = "/usr/bin/python3";

    /// <summary>Runs a script from tests/fixtures/reference with arguments; returns stdout, throws with stderr on failure.</summary>
    public static async Task<string> RunAsync(string script, IEnumerable<string> arguments, string? standardInput = null, TimeSpan? timeout = null)
    {
        var startInfo = new ProcessStartInfo(Interpreter)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = standardInput is not null,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add(Path.Combine(TestPaths.Fixtures, "reference", script));
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment["LD_LIBRARY_PATH"] = OpenBlasDirectory;
        startInfo.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        startInfo.Environment["PYTHONHASHSEED"] = "0";

        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException("python3 did not start");
        // Read while writing: a script that answers line by line would otherwise fill the stdout pipe and
        // block while we still block writing a large stdin.
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput);
            process.StandardInput.Close();
        }
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{script} did not finish in time");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{script} exited {process.ExitCode}: {await stderr}");
        }

        return await stdout;
    }

    private static string OpenBlasDirectory =>
        RuntimeInformation.ProcessArchitecture == Architecture.Arm64
            ? "/usr/lib/aarch64-linux-gnu/openblas-pthread"
            : "/usr/lib/x86_64-linux-gnu/openblas-pthread";
}
