using System.Text.Json.Nodes;
using SearchService.Inference.Tokenization;
using Xunit;

namespace SearchService.Inference.Tests.Tokenization;

/// <summary>Loading: the pad-token rule, and one clear error naming the file for anything wrong with it.</summary>
public sealed class TokenizerFileTests : IDisposable
{
    private readonly TemporaryDirectory directory = new();

    public void Dispose() => directory.Dispose();

    [Fact]
    public void Pads_with_the_id_of_tokenizer_config_pad_token()
    {
        var path = WriteTokenizer(config: """{ "pad_token": "!" }""");

        var tokenizer = ClipTokenizer.Load(path, 77);

        Assert.Equal(0, tokenizer.PadTokenId);
        Assert.Equal([49406, 320, 1929, 49407, 0, 0], tokenizer.Encode("a dog")[..6]);
    }

    [Fact]
    public void Reads_a_pad_token_written_as_an_added_token_object()
    {
        var path = WriteTokenizer(config: """{ "pad_token": { "content": "<|endoftext|>", "__type": "AddedToken" } }""");

        Assert.Equal(49407, ClipTokenizer.Load(path, 77).PadTokenId);
    }

    [Fact]
    public void Falls_back_to_the_tokenizer_json_padding_then_to_the_end_token()
    {
        var withPadding = WriteTokenizer(edit: root => root["padding"] = JsonNode.Parse("""{ "pad_id": 7, "pad_token": "(" }"""), config: null);
        Assert.Equal(7, ClipTokenizer.Load(withPadding, 77).PadTokenId);

        var bare = WriteTokenizer(config: null, name: "bare");
        Assert.Equal(49407, ClipTokenizer.Load(bare, 77).PadTokenId);
    }

    [Fact]
    public void A_missing_file_names_the_file()
    {
        var path = Path.Combine(directory.Path, "nowhere", "tokenizer.json");

        var error = Assert.Throws<TokenizerFileException>(() => ClipTokenizer.Load(path, 77));

        Assert.Equal(path, error.FilePath);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("cannot be read", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{ \"model\": ", "is not valid JSON")]
    [InlineData("[1, 2]", "the top level is not a JSON object")]
    [InlineData("{}", "model is missing")]
    public void Malformed_json_names_the_file_and_the_problem(string content, string problem)
    {
        var path = Path.Combine(directory.Path, "tokenizer.json");
        File.WriteAllText(path, content);

        var error = Assert.Throws<TokenizerFileException>(() => ClipTokenizer.Load(path, 77));

        Assert.Equal(path, error.FilePath);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> BrokenEdits => new()
    {
        { "model.type=Unigram", "only BPE" },
        { "model.dropout=0.1", "dropout" },
        { "model.merges.0=i", "model.merges entry 1" },
        { "model.merges.0=zz9 qq9", "not in model.vocab" },
        { "model.vocab=[]", "model.vocab is missing" },
        { "normalizer.type=NFKC", "supported: Sequence, NFC" },
        { "pre_tokenizer.type=Whitespace", "pre_tokenizer is not supported" },
        { "post_processor=null", "there is no post_processor" },
        { "added_tokens.0.lstrip=true", "lstrip" },
    };

    [Theory]
    [MemberData(nameof(BrokenEdits))]
    public void Unsupported_or_broken_content_names_the_file_and_the_problem(string edit, string problem)
    {
        var path = WriteTokenizer(edit: root => Apply(root, edit));

        var error = Assert.Throws<TokenizerFileException>(() => ClipTokenizer.Load(path, 77));

        Assert.Equal(path, error.FilePath);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_pad_token_names_tokenizer_config()
    {
        var path = WriteTokenizer(config: """{ "pad_token": "<pad>" }""");

        var error = Assert.Throws<TokenizerFileException>(() => ClipTokenizer.Load(path, 77));

        Assert.EndsWith("tokenizer_config.json", error.FilePath, StringComparison.Ordinal);
        Assert.Contains("<pad>", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_context_length_below_two_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ClipTokenizer.Load(ReferenceRunner.ClipTokenizerJson, 1));
    }

    [Fact]
    public void A_destination_of_the_wrong_length_is_refused()
    {
        var tokenizer = ClipTokenizer.Load(ReferenceRunner.ClipTokenizerJson, 77);

        Assert.Throws<ArgumentException>(() => tokenizer.Encode("a dog", new int[76]));
    }

    private string WriteTokenizer(Action<JsonNode>? edit = null, string? config = """{ "pad_token": "<|endoftext|>" }""", string name = "model")
    {
        var folder = Path.Combine(directory.Path, name);
        Directory.CreateDirectory(folder);
        var root = JsonNode.Parse(File.ReadAllText(ReferenceRunner.ClipTokenizerJson))!;
        edit?.Invoke(root);
        var path = Path.Combine(folder, "tokenizer.json");
        File.WriteAllText(path, root.ToJsonString());
        if (config is not null)
        {
            File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), config);
        }

        return path;
    }

    // "a.b.0=value": sets a JSON path (array indexes as numbers) to a JSON value, or to a string when not JSON.
    private static void Apply(JsonNode root, string edit)
    {
        var (path, value) = (edit[..edit.IndexOf('=')], edit[(edit.IndexOf('=') + 1)..]);
        var keys = path.Split('.');
        var parent = keys[..^1].Aggregate(root, (node, key) => int.TryParse(key, out var i) ? node[i]! : node[key]!);
        JsonNode? parsed;
        try
        {
            parsed = JsonNode.Parse(value);
        }
        catch (System.Text.Json.JsonException)
        {
            parsed = JsonValue.Create(value);
        }

        if (int.TryParse(keys[^1], out var index))
        {
            parent[index] = parsed;
        }
        else
        {
            parent[keys[^1]] = parsed;
        }
    }
}
