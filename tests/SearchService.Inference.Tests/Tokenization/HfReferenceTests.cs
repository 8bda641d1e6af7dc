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

    [Fact]
    public async Task Reads_merges_written_as_pairs_the_same_as_merges_written_as_strings()
    {
        using var directory = new TemporaryDirectory();
        var original = JsonNode.Parse(File.ReadAllText(ReferenceRunner.ClipTokenizerJson))!;
        var merges = original["model"]!["merges"]!.AsArray();
        Assert.Equal(JsonValueKind.String, merges[0]!.GetValueKind());
        var pairs = new JsonArray([.. merges.Select(m => (JsonNode)new JsonArray([.. m!.GetValue<string>().Split(' ').Select(p => (JsonNode)JsonValue.Create(p)!)]))]);
        original["model"]!["merges"] = pairs;
        var rewritten = Path.Combine(directory.Path, "tokenizer.json");
        File.WriteAllText(rewritten, original.ToJsonString());
        File.Copy(Path.Combine(ReferenceRunner.ClipTokenizerDirectory, "tokenizer_config.json"), Path.Combine(directory.Path, "tokenizer_config.json"));
        var texts = TokenizerCases.FromFile();

        var fromPairs = ClipTokenizer.Load(rewritten, ContextLength);
        var expected = await ReferenceRunner.HfEncodeAsync(rewritten, ContextLength, texts);

        AssertSameIds(fromPairs, texts, expected);
        Assert.All(texts, text => Assert.Equal(Shared.Value.Encode(text), fromPairs.Encode(text)));
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
