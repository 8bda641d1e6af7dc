using SearchService.Inference.Tokenization;
using Xunit;
using Xunit.Abstractions;

namespace SearchService.Inference.Tests.Tokenization;

/// <summary>
/// ClipTokenizer against OpenAI's original algorithm (openai_tokenize.py): equal everywhere except the
/// corner cases documented in Tokenization/README.md, which must differ exactly as documented.
/// </summary>
public sealed class OpenAiReferenceTests(ITestOutputHelper output)
{
    private const int ContextLength = 77;
    private const int OpenAiPadding = 0;

    private static readonly Lazy<ClipTokenizer> Shared = new(() => ClipTokenizer.Load(ReferenceRunner.ClipTokenizerJson, ContextLength));

    /// <summary>Each documented difference: a text, and the text that gives the library OpenAI's ids for it.</summary>
    public static TheoryData<string, string, string> DocumentedDifferences => new()
    {
        { "html entities are unescaped twice", "fish &amp; chips", "fish & chips" },
        { "html entities are unescaped twice", "&amp;amp;", "&" },
        { "html entities are unescaped twice", "&lt;b&gt;bold&lt;/b&gt;", "<b>bold</b>" },
        { "html entities are unescaped twice", "caf&eacute; &#39;quoted&#39;", "café 'quoted'" },
        { "final sigma lower-cases to ς", "ΟΔΟΣ ΣΑΣ", "οδος σας" },
        { "final sigma lower-cases to ς", "ΚΑΛΗΜΕΡΑ ΚΟΣΜΟΣ", "καλημερα κοσμος" },
        { "special-token text in any case is the special token", "<|ENDOFTEXT|>", "<|endoftext|>" },
        { "special-token text in any case is the special token", "a <|EndOfText|> b", "a <|endoftext|> b" },
        { "special-token text right after punctuation is plain text", "!<|endoftext|>", "!<|ENDOFTEXT|>" },
        { "special-token text right after punctuation is plain text", "a dog!<|endoftext|>cat", "a dog!<|ENDOFTEXT|>cat" },
        { "U+001C to U+001F are stripped at the ends", "\u001cfile separator", "file separator" },
        { "U+001C to U+001F are stripped at the ends", "unit\u001fseparator\u001e", "unit\u001fseparator" },
    };

    [Fact]
    public async Task Equals_the_openai_algorithm_apart_from_padding_on_every_string_without_a_documented_difference()
    {
        var texts = TokenizerCases.FromFile().Concat(TokenizerCases.Random(400, seed: 20261122)).ToList();

        var expected = await ReferenceRunner.OpenAiEncodeAsync(ContextLength, texts);

        var (compared, equal, skipped) = (0, 0, 0);
        for (var i = 0; i < texts.Count; i++)
        {
            if (MayHitDocumentedDifference(texts[i]))
            {
                skipped++;
                continue;
            }

            compared++;
            var actual = WithOpenAiPadding(texts[i]);
            if (actual.SequenceEqual(expected[i]))
            {
                equal++;
            }
            else
            {
                output.WriteLine($"{ReferenceRunner.ToJsonString(texts[i])}\n  ours:   {string.Join(',', actual)}\n  openai: {string.Join(',', expected[i])}");
            }
        }

        output.WriteLine($"{compared} strings compared, {equal} equal; {skipped} with a documented difference are checked separately.");
        Assert.Equal(compared, equal);
        Assert.True(compared > 500, $"only {compared} strings were compared");
    }

    [Theory]
    [MemberData(nameof(DocumentedDifferences))]
    public async Task Differs_from_the_openai_algorithm_only_as_documented(string difference, string text, string equivalentForLibrary)
    {
        var openAi = (await ReferenceRunner.OpenAiEncodeAsync(ContextLength, [text]))[0];
        var library = (await ReferenceRunner.HfEncodeAsync(ReferenceRunner.ClipTokenizerJson, ContextLength, [text]))[0];

        Assert.True(MayHitDocumentedDifference(text), difference);
        Assert.Equal(library, Shared.Value.Encode(text));
        Assert.NotEqual(openAi, WithOpenAiPadding(text));
        Assert.Equal(openAi, WithOpenAiPadding(equivalentForLibrary));
    }

    [Fact]
    public async Task Long_s_after_an_apostrophe_is_a_contraction_only_for_openai()
    {
        // OpenAI's pattern runs with IGNORECASE, so 's also matches "'ſ" (ſ folds to s) and "'ſ" stays one word;
        // the library splits "'" and "ſ", so its apostrophe ends a word ("'</w>", 262) where OpenAI's does not ("'", 6).
        var openAi = (await ReferenceRunner.OpenAiEncodeAsync(ContextLength, ["it'ſ"]))[0];
        var ours = WithOpenAiPadding("it'ſ");

        Assert.Equal([49406, 585, 262, 129, 379, 49407], ours[..6]);
        Assert.Equal([49406, 585, 6, 129, 379, 49407], openAi[..6]);
    }

    [Fact]
    public async Task Pads_with_the_configured_pad_token_where_openai_pads_with_zero()
    {
        var openAi = (await ReferenceRunner.OpenAiEncodeAsync(ContextLength, ["a dog"]))[0];
        var ours = Shared.Value.Encode("a dog");

        Assert.Equal(49407, Shared.Value.PadTokenId);
        Assert.Equal(openAi[..4], ours[..4]);
        Assert.All(openAi[4..], id => Assert.Equal(OpenAiPadding, id));
        Assert.All(ours[4..], id => Assert.Equal(49407, id));
    }

    [Fact]
    public void Keeps_what_ftfy_would_fix_as_the_library_does()
    {
        // OpenAI runs ftfy.fix_text first (curly quotes to straight, mojibake repaired, ligatures split);
        // Immich's library does not, so neither do we. The reference script cannot run ftfy, so this is by example.
        var tokenizer = Shared.Value;

        Assert.NotEqual(tokenizer.Encode("don't"), tokenizer.Encode("don\u2019t"));
        Assert.NotEqual(tokenizer.Encode("café"), tokenizer.Encode("cafÃ©"));
        Assert.NotEqual(tokenizer.Encode("fine"), tokenizer.Encode("\ufb01ne"));
    }

    // The characters behind the documented differences; strings with them are compared in the tests above.
    private static bool MayHitDocumentedDifference(string text) =>
        text.Contains('&') || text.Contains('Σ') || text.Contains('ſ')
        || text.AsSpan().IndexOfAnyInRange('\u001c', '\u001f') >= 0
        || text.Contains("startoftext|>", StringComparison.OrdinalIgnoreCase)
        || text.Contains("endoftext|>", StringComparison.OrdinalIgnoreCase);

    private static int[] WithOpenAiPadding(string text)
    {
        var ids = Shared.Value.Encode(text);
        var count = Shared.Value.EncodeText(text, new int[ContextLength - 2]);
        ids.AsSpan(count + 2).Fill(OpenAiPadding);
        return ids;
    }
}
