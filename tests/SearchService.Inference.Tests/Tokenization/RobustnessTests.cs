using SearchService.Inference.Tokenization;
using Xunit;

namespace SearchService.Inference.Tests.Tokenization;

/// <summary>Anything a user can type gives a full-length encoding; sharing the tokenizer between threads is safe.</summary>
public sealed class RobustnessTests
{
    private const int ContextLength = 77;

    private static readonly Lazy<ClipTokenizer> Shared = new(() => ClipTokenizer.Load(ReferenceRunner.ClipTokenizerJson, ContextLength));

    [Theory]
    [InlineData("")]
    [InlineData("   \t\n ")]
    public void Empty_or_blank_text_is_start_end_then_padding(string text)
    {
        var ids = Shared.Value.Encode(text);

        Assert.Equal([49406, 49407], ids[..2]);
        Assert.All(ids[2..], id => Assert.Equal(Shared.Value.PadTokenId, id));
    }

    [Fact]
    public void Very_long_text_keeps_the_end_token_last_and_stops_early()
    {
        var text = string.Concat(Enumerable.Repeat("the quick brown fox jumps over the lazy dog ", 200_000));

        var ids = Shared.Value.Encode(text);

        Assert.Equal(ContextLength, ids.Length);
        Assert.Equal(49406, ids[0]);
        Assert.Equal(49407, ids[^1]);
        Assert.DoesNotContain(49407, ids[1..^1]);
    }

    [Fact]
    public void Unpaired_surrogates_read_as_the_replacement_character()
    {
        Assert.Equal(Shared.Value.Encode("a \uFFFD b"), Shared.Value.Encode("a \uD800 b"));
        Assert.Equal(Shared.Value.Encode("\uFFFD\uFFFD"), Shared.Value.Encode("\uDC00\uD83D"));
        Assert.NotEqual(Shared.Value.Encode("\uFFFD"), Shared.Value.Encode("\uD83D\uDE00"));
    }

    [Fact]
    public void Concurrent_encoding_gives_the_same_ids_as_sequential_encoding()
    {
        var tokenizer = ClipTokenizer.Load(ReferenceRunner.ClipTokenizerJson, ContextLength);
        var texts = TokenizerCases.FromFile().Concat(TokenizerCases.Random(300, seed: 7)).ToList();
        var sequential = ClipTokenizer.Load(ReferenceRunner.ClipTokenizerJson, ContextLength);
        var expected = texts.Select(sequential.Encode).ToList();

        var results = new int[texts.Count * 8][];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => results[i] = tokenizer.Encode(texts[i % texts.Count]));

        for (var i = 0; i < results.Length; i++)
        {
            Assert.Equal(expected[i % texts.Count], results[i]);
        }

        Assert.True(tokenizer.CachedWordCount > 0);
    }

    [Fact]
    public void A_full_cache_still_tokenizes_new_words()
    {
        var tokenizer = ClipTokenizer.Load(ReferenceRunner.ClipTokenizerJson, ContextLength, cacheCapacity: 2);

        var first = tokenizer.Encode("alpha beta gamma delta");
        var second = tokenizer.Encode("alpha beta gamma delta");

        Assert.Equal(Shared.Value.Encode("alpha beta gamma delta"), first);
        Assert.Equal(first, second);
        Assert.Equal(2, tokenizer.CachedWordCount);
    }
}
