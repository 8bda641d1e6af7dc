using System.Text.Json;
using System.Text.Json.Nodes;
using SearchService.Inference.Tokenization;
using Xunit;
using Xunit.Abstractions;

namespace SearchService.Inference.Tests.Tokenization;

/// <summary>ClipTokenizer against the real Hugging Face tokenizers library (Rust, via its Node binding).</summary>
public sealed class HfReferenceTests(ITestOutputHelper output)
{
    private const int ContextLength = 77;

    private static readonly Lazy<ClipTokenizer> Shared = new(() => ClipTokenizer.Load(ReferenceRunner.ClipTokenizerJson, ContextLength));

    [Fact]
    public void Hello_World_gives_the_published_ids_then_padding()
    {
        var ids = Shared.Value.Encode("Hello World!");

        Assert.Equal([49406, 3306, 1002, 256, 49407], ids[..5]);
        Assert.All(ids[5..], id => Assert.Equal(49407, id));
        Assert.Equal(ContextLength, ids.Length);
    }

    [Fact]
    public async Task Equals_the_library_on_every_case_and_random_string()
    {
        var texts = TokenizerCases.FromFile().Concat(TokenizerCases.Random(400, seed: 20261122)).ToList();

        var expected = await ReferenceRunner.HfEncodeAsync(ReferenceRunner.ClipTokenizerJson, ContextLength, texts);

        AssertSameIds(Shared.Value, texts, expected);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(8)]
    [InlineData(16)]
    public async Task Truncates_like_the_library_keeping_the_end_token_last(int contextLength)
    {
        var tokenizer = ClipTokenizer.Load(ReferenceRunner.ClipTokenizerJson, contextLength);
        var texts = TokenizerCases.FromFile();

        var expected = await ReferenceRunner.HfEncodeAsync(ReferenceRunner.ClipTokenizerJson, contextLength, texts);

        AssertSameIds(tokenizer, texts, expected);
    }

    /// <summary>Variants of the file seen in the wild or allowed by the format, each compared with the library.</summary>
    public static TheoryData<string> FileVariants =>
    [
        "merges written as [left, right] pairs (newer files)",
        "Split pattern without the special-token literals (newer files)",
        "TemplateProcessing post-processor",
        "ignore_merges on",
        "ByteLevel without its regex",
        "ByteLevel adding a prefix space",
        "added tokens with the normalized flags swapped",
        "normalizer with Strip and a literal Replace",
    ];

    [Theory]
    [MemberData(nameof(FileVariants))]
    public async Task Equals_the_library_on_variants_of_the_file(string variant)
    {
        using var directory = new TemporaryDirectory();
        var root = JsonNode.Parse(File.ReadAllText(ReferenceRunner.ClipTokenizerJson))!;
        Rewrite(root, variant);
        var rewritten = Path.Combine(directory.Path, "tokenizer.json");
        File.WriteAllText(rewritten, root.ToJsonString());
        File.Copy(Path.Combine(ReferenceRunner.ClipTokenizerDirectory, "tokenizer_config.json"), Path.Combine(directory.Path, "tokenizer_config.json"));
        var texts = TokenizerCases.FromFile();

        var tokenizer = ClipTokenizer.Load(rewritten, ContextLength);
        var expected = await ReferenceRunner.HfEncodeAsync(rewritten, ContextLength, texts);

        AssertSameIds(tokenizer, texts, expected);
    }

    [Fact]
    public void Merges_as_pairs_give_the_same_ids_as_merges_as_strings()
    {
        using var directory = new TemporaryDirectory();
        var root = JsonNode.Parse(File.ReadAllText(ReferenceRunner.ClipTokenizerJson))!;
        Assert.Equal(JsonValueKind.String, root["model"]!["merges"]![0]!.GetValueKind());
        Rewrite(root, "merges written as [left, right] pairs (newer files)");
        var rewritten = Path.Combine(directory.Path, "tokenizer.json");
        File.WriteAllText(rewritten, root.ToJsonString());

        var fromPairs = ClipTokenizer.Load(rewritten, ContextLength);

        Assert.All(TokenizerCases.FromFile(), text => Assert.Equal(Shared.Value.Encode(text), fromPairs.Encode(text)));
    }

    private static void Rewrite(JsonNode root, string variant)
    {
        var model = root["model"]!;
        var preTokenizers = root["pre_tokenizer"]!["pretokenizers"]!;
        switch (variant)
        {
            case "merges written as [left, right] pairs (newer files)":
                model["merges"] = new JsonArray([.. model["merges"]!.AsArray()
                    .Select(m => (JsonNode)new JsonArray([.. m!.GetValue<string>().Split(' ').Select(p => (JsonNode)JsonValue.Create(p)!)]))]);
                break;
            case "Split pattern without the special-token literals (newer files)":
                preTokenizers[0]!["pattern"]!["Regex"] = PreTokenizer.ClipPatternCore;
                break;
            case "TemplateProcessing post-processor":
                root["post_processor"] = JsonNode.Parse("""
                    { "type": "TemplateProcessing",
                      "single": [ { "SpecialToken": { "id": "<|startoftext|>", "type_id": 0 } }, { "Sequence": { "id": "A", "type_id": 0 } },
                                  { "SpecialToken": { "id": "<|endoftext|>", "type_id": 0 } } ],
                      "pair": [ { "Sequence": { "id": "A", "type_id": 0 } }, { "Sequence": { "id": "B", "type_id": 1 } } ],
                      "special_tokens": { "<|startoftext|>": { "id": "<|startoftext|>", "ids": [49406], "tokens": ["<|startoftext|>"] },
                                          "<|endoftext|>": { "id": "<|endoftext|>", "ids": [49407], "tokens": ["<|endoftext|>"] } } }
                    """);
                break;
            case "ignore_merges on":
                model["ignore_merges"] = true;
                break;
            case "ByteLevel without its regex":
                preTokenizers[1]!["use_regex"] = false;
                break;
            case "ByteLevel adding a prefix space":
                preTokenizers[1]!["add_prefix_space"] = true;
                break;
            case "added tokens with the normalized flags swapped":
                foreach (var token in root["added_tokens"]!.AsArray())
                {
                    token!["normalized"] = !token["normalized"]!.GetValue<bool>();
                }

                break;
            case "normalizer with Strip and a literal Replace":
                var steps = root["normalizer"]!["normalizers"]!.AsArray();
                steps.Insert(0, JsonNode.Parse("""{ "type": "Strip", "strip_left": true, "strip_right": false }"""));
                steps.Add(JsonNode.Parse("""{ "type": "Replace", "pattern": { "String": "o" }, "content": "0" }"""));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(variant), variant, "no such variant");
        }
    }

    private void AssertSameIds(ClipTokenizer tokenizer, IReadOnlyList<string> texts, int[][] expected)
    {
        var mismatches = 0;
        for (var i = 0; i < texts.Count; i++)
        {
            var actual = tokenizer.Encode(texts[i]);
            if (!actual.SequenceEqual(expected[i]))
            {
                mismatches++;
                output.WriteLine($"{ReferenceRunner.ToJsonString(texts[i])}\n  ours: {string.Join(',', actual)}\n  hf:   {string.Join(',', expected[i])}");
            }
        }

        output.WriteLine($"{texts.Count} strings compared, {texts.Count - mismatches} equal.");
        Assert.Equal(0, mismatches);
    }
}
