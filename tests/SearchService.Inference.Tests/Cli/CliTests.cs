using System.Diagnostics;
using System.Text.Json;
using SearchService.Cli.Framework;
using SearchService.Inference.Tests.Support;
using SearchService.Testing;
using Xunit;

namespace SearchService.Inference.Tests.Cli;

/// <summary>searchctl tokenize / embed / info, in-process and as a real process, with their exit codes.</summary>
public sealed class CliTests
{
    [Fact]
    public async Task Tokenize_prints_one_JSON_array_of_id_arrays()
    {
        var (code, output, error) = await RunAsync("tokenize", "--model", TestModels.TinyFixedBatch, "--text", "a dog", "--text", "naïve café");

        Assert.Equal(0, code);
        Assert.Empty(error);
        var ids = JsonSerializer.Deserialize<int[][]>(output)!;
        using var model = ModelLoading.Load(TestModels.TinyFixedBatch);
        Assert.Equal([model.Tokenizer.Encode("a dog"), model.Tokenizer.Encode("naïve café")], ids);
        Assert.All(ids, row => Assert.Equal(32, row.Length));
    }

    [Fact]
    public async Task Embed_prints_one_JSON_object_per_text_with_its_unit_embedding()
    {
        string[] texts = ["a photo of a dog", "ein Foto", "\"quoted\" text"];

        var (code, output, error) = await RunAsync(
            "embed", "--model", TestModels.TinyDynamic, "--threads", "1", "--text", texts[0], "--text", texts[1], "--text", texts[2]);

        Assert.Equal(0, code);
        Assert.Empty(error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        using var model = ModelLoading.Load(TestModels.TinyDynamic);
        var expected = await model.TextEncoder.EncodeAsync(texts, CancellationToken.None);
        for (var i = 0; i < texts.Length; i++)
        {
            using var line = JsonDocument.Parse(lines[i]);
            Assert.Equal(texts[i], line.RootElement.GetProperty("text").GetString());
            var embedding = line.RootElement.GetProperty("embedding").Deserialize<float[]>()!;
            Assert.Equal(expected[i], embedding);
            Assert.Equal(1.0, Vectors.Norm(embedding), 1e-5);
        }
    }

    [Fact]
    public async Task Info_describes_a_fixed_batch_model_and_the_providers()
    {
        var (code, output, _) = await RunAsync("info", "--model", TestModels.TinyFixedBatch);

        Assert.Equal(0, code);
        using var info = JsonDocument.Parse(output);
        var root = info.RootElement;
        Assert.Equal("tiny-random-clip-b1", root.GetProperty("name").GetString());
        Assert.Equal(24, root.GetProperty("embeddingDimensions").GetInt32());
        Assert.Equal(32, root.GetProperty("contextLength").GetInt32());
        Assert.Equal(32, root.GetProperty("imageSize").GetInt32());
        Assert.False(root.GetProperty("demo").GetBoolean());
        Assert.Equal("fixed 1", root.GetProperty("batch").GetProperty("text").GetString());
        Assert.Equal("fixed 1", root.GetProperty("batch").GetProperty("image").GetString());
        Assert.Equal("text: Int64 [1, 32] → embedding: Float [1, 24]", root.GetProperty("graphs").GetProperty("text").GetString());
        Assert.Equal("cpu", root.GetProperty("providers").GetProperty("used").GetString());
        Assert.Contains("CPUExecutionProvider", root.GetProperty("providers").GetProperty("available").EnumerateArray().Select(p => p.GetString()));
    }

    [Fact]
    public async Task Info_flags_the_demo_model()
    {
        var (code, output, _) = await RunAsync("info", "--model", TestPaths.DemoModel);

        Assert.Equal(0, code);
        using var info = JsonDocument.Parse(output);
        Assert.True(info.RootElement.GetProperty("demo").GetBoolean());
        Assert.Equal("dynamic", info.RootElement.GetProperty("batch").GetProperty("text").GetString());
    }

    [Fact]
    public async Task Asking_for_CUDA_falls_back_with_a_warning_on_the_error_stream_only()
    {
        var (code, output, error) = await RunAsync("info", "--model", TestModels.TinyDynamic, "--provider", "cuda");

        Assert.Equal(0, code);
        Assert.StartsWith("searchctl: warning: CUDA device 0 cannot be used, running on CPU instead:", error, StringComparison.Ordinal);
        using var info = JsonDocument.Parse(output);
        Assert.Equal("cpu", info.RootElement.GetProperty("providers").GetProperty("used").GetString());
    }

    public static TheoryData<string[], int, string> BadInput => new()
    {
        { [], 2, "usage: searchctl COMMAND" },
        { ["frobnicate"], 2, "unknown command 'frobnicate'" },
        { ["embed", "--text", "x"], 2, "--model DIR is required" },
        { ["embed", "--model", "/no/such/model", "--text", "x"], 2, "--model /no/such/model is not a folder" },
        { ["embed", "--model", "MODEL"], 2, "give at least one --text" },
        { ["embed", "--model", "MODEL", "--text"], 2, "--text needs a TEXT" },
        { ["embed", "--model", "MODEL", "--txet", "x"], 2, "unknown option --txet" },
        { ["embed", "--model", "MODEL", "--text", "x", "stray"], 2, "unexpected argument 'stray'" },
        { ["embed", "--model", "MODEL", "--model", "MODEL", "--text", "x"], 2, "--model may be given only once" },
        { ["info", "--model", "MODEL", "--provider", "tpu"], 2, "--provider must be cpu or cuda" },
        { ["info", "--model", "MODEL", "--threads", "many"], 2, "--threads must be a whole number" },
        { ["info", "--model", "MODEL", "--set", "Inference:MaxBatchSize=0"], 2, "invalid configuration: Inference:MaxBatchSize must be between 1 and 4096" },
        { ["info", "--model", "MODEL", "--set", "nonsense"], 2, "--set takes Key=Value" },
        { ["info", "--model", "MODEL", "--provider", "cuda", "--require-cuda"], 1, "Inference:RequireCuda is set but CUDA device 0 cannot be used" },
    };

    [Theory]
    [MemberData(nameof(BadInput))]
    public async Task Bad_input_gives_a_non_zero_exit_and_one_line_on_the_error_stream(string[] arguments, int expectedCode, string words)
    {
        var (code, output, error) = await RunAsync([.. arguments.Select(a => a == "MODEL" ? TestModels.TinyDynamic : a)]);

        Assert.Equal(expectedCode, code);
        Assert.Contains(words, error, StringComparison.Ordinal);
        if (arguments.Length > 0)
        {
            Assert.Empty(output);
            Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries), line => line.StartsWith("searchctl: error:", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_broken_model_folder_fails_with_the_file_named()
    {
        using var folder = new TempFolder();
        var copy = folder.CopyModel(TestModels.TinyDynamic);
        File.Delete(Path.Combine(copy, "visual", "preprocess_cfg.json"));

        var (code, _, error) = await RunAsync("embed", "--model", copy, "--text", "x");

        Assert.Equal(1, code);
        Assert.Equal($"searchctl: error: {Path.Combine(copy, "visual", "preprocess_cfg.json")}: the file is missing.", error.Trim());
    }

    [Fact]
    public async Task Help_lists_the_commands_and_their_options()
    {
        var (code, output, _) = await RunAsync("--help");
        var (commandCode, commandHelp, _) = await RunAsync("embed", "--help");

        Assert.Equal(0, code);
        Assert.Contains("tokenize", output, StringComparison.Ordinal);
        Assert.Contains("info", output, StringComparison.Ordinal);
        Assert.Equal(0, commandCode);
        Assert.Contains("--model DIR", commandHelp, StringComparison.Ordinal);
        Assert.Contains("(repeatable)", commandHelp, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_searchctl_program_runs_as_a_process_with_its_exit_codes()
    {
        var good = await RunProcessAsync("embed", "--model", TestModels.TinyFixedBatch, "--text", "a cat");
        var bad = await RunProcessAsync("embed", "--model", TestModels.TinyFixedBatch);

        Assert.Equal(0, good.Code);
        using var line = JsonDocument.Parse(good.Output);
        Assert.Equal(24, line.RootElement.GetProperty("embedding").GetArrayLength());
        Assert.Equal(2, bad.Code);
        Assert.Equal("searchctl: error: embed: give at least one --text or --image. (see 'searchctl embed --help')", bad.Error.Trim());
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(params string[] arguments)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await SearchCtl.RunAsync(arguments, output, error, CancellationToken.None);
        return (code, output.ToString(), error.ToString());
    }

    private static async Task<(int Code, string Output, string Error)> RunProcessAsync(params string[] arguments)
    {
        var startInfo = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        startInfo.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "searchctl.dll"));
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output, await error);
    }
}
