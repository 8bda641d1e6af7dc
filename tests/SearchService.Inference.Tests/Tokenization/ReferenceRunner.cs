using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using SearchService.Testing;

namespace SearchService.Inference.Tests.Tokenization;

/// <summary>
/// Runs the two independent tokenizer references over many strings in one process each: the real Hugging Face
/// library under Node (hf_tokenize.js) and our Python reimplementation of OpenAI's algorithm (openai_tokenize.py).
/// Strings travel as JSON lines with every non-ASCII character escaped, so invalid UTF-16 arrives unchanged.
/// </summary>
internal static class ReferenceRunner
{
    public static string ClipTokenizerDirectory => Path.Combine(TestPaths.SharedData, "clip-tokenizer", "hf-openai-clip-vit-base-patch32");

    public static string ClipTokenizerJson => Path.Combine(ClipTokenizerDirectory, "tokenizer.json");

    public static string OpenAiBpeVocabulary => Path.Combine(TestPaths.SharedData, "clip-tokenizer", "bpe_simple_vocab_16e6.txt.gz");

    /// <summary>The Hugging Face library's ids (truncated and padded as Immich sets it up).</summary>
    public static async Task<int[][]> HfEncodeAsync(string tokenizerJson, int contextLength, IReadOnlyList<string> texts) =>
        ParseIds(await RunNodeAsync("encode", tokenizerJson, contextLength, texts), texts.Count);

    /// <summary>The Hugging Face normalizer's output for each text.</summary>
    public static async Task<string[]> HfNormalizeAsync(string tokenizerJson, IReadOnlyList<string> texts) =>
        ParseLines(await RunNodeAsync("normalize", tokenizerJson, 77, texts), texts.Count, line => JsonSerializer.Deserialize<string>(line)!);

    /// <summary>The Hugging Face pre-tokenizer's pieces (byte-level text) for each already-normalized text.</summary>
    public static async Task<string[][]> HfPreTokenizeAsync(string tokenizerJson, IReadOnlyList<string> texts) =>
        ParseLines(await RunNodeAsync("pretokenize", tokenizerJson, 77, texts), texts.Count, line => JsonSerializer.Deserialize<string[]>(line)!);

    /// <summary>OpenAI's simple_tokenizer algorithm (without ftfy) with clip.tokenize's truncation and zero padding.</summary>
    public static async Task<int[][]> OpenAiEncodeAsync(int contextLength, IReadOnlyList<string> texts)
    {
        var output = await PythonReference.RunAsync(
            "openai_tokenize.py",
            [OpenAiBpeVocabulary, contextLength.ToString(CultureInfo.InvariantCulture)],
            ToJsonLines(texts),
            TimeSpan.FromMinutes(2));
        return ParseIds(output, texts.Count);
    }

    /// <summary>A JSON string literal with everything outside printable ASCII escaped (lone surrogates included).</summary>
    public static string ToJsonString(string text)
    {
        var builder = new StringBuilder(text.Length + 2).Append('"');
        foreach (var c in text)
        {
            if (c is >= ' ' and <= '~' and not '"' and not '\\')
            {
                builder.Append(c);
            }
            else
            {
                builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
        }

        return builder.Append('"').ToString();
    }

    /// <summary>Reads a JSON string literal, keeping escaped lone surrogates (which System.Text.Json rejects).</summary>
    public static string FromJsonString(string literal)
    {
        var text = literal.Trim();
        if (text.Length < 2 || text[0] != '"' || text[^1] != '"')
        {
            throw new FormatException($"Not a JSON string: {literal}");
        }

        var builder = new StringBuilder(text.Length);
        for (var i = 1; i < text.Length - 1; i++)
        {
            if (text[i] != '\\')
            {
                builder.Append(text[i]);
                continue;
            }

            var escape = text[++i];
            builder.Append(escape switch
            {
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                'b' => '\b',
                'f' => '\f',
                'u' => (char)int.Parse(text.AsSpan(i + 1, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                _ => escape,
            });
            if (escape == 'u')
            {
                i += 4;
            }
        }

        return builder.ToString();
    }

    private static string ToJsonLines(IEnumerable<string> texts) => string.Concat(texts.Select(t => ToJsonString(t) + "\n"));

    private static async Task<string> RunNodeAsync(string mode, string tokenizerJson, int contextLength, IReadOnlyList<string> texts)
    {
        var nodeModules = Path.Combine(TestPaths.NativeDirectory, "node", "node_modules");
        if (!Directory.Exists(Path.Combine(nodeModules, "tokenizers")))
        {
            throw new InvalidOperationException($"The Hugging Face tokenizers package is not installed in {nodeModules}; run ./build.sh bootstrap.");
        }

        var startInfo = new ProcessStartInfo("node")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(false),
            StandardOutputEncoding = Encoding.UTF8,
        };
        startInfo.ArgumentList.Add(Path.Combine(TestPaths.Fixtures, "reference", "hf_tokenize.js"));
        startInfo.ArgumentList.Add(mode);
        startInfo.ArgumentList.Add(tokenizerJson);
        startInfo.ArgumentList.Add(contextLength.ToString(CultureInfo.InvariantCulture));
        startInfo.Environment["NODE_PATH"] = nodeModules;

        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException("node did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(ToJsonLines(texts));
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("hf_tokenize.js did not finish in time");
        }

        return process.ExitCode == 0
            ? await stdout
            : throw new InvalidOperationException($"hf_tokenize.js exited {process.ExitCode}: {await stderr}");
    }

    private static int[][] ParseIds(string output, int expected) =>
        ParseLines(output, expected, line => JsonSerializer.Deserialize<int[]>(line)!);

    private static T[] ParseLines<T>(string output, int expected, Func<string, T> parse)
    {
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return lines.Length == expected
            ? [.. lines.Select(parse)]
            : throw new InvalidOperationException($"The reference printed {lines.Length} lines for {expected} strings.");
    }
}
