using SearchService.Inference.Tokenization;
using Xunit;
using Xunit.Abstractions;

namespace SearchService.Inference.Tests.Tokenization;

/// <summary>
/// The normalizer and the pre-tokenizer against the library for every code point of the planes in use
/// (BMP, SMP, SIP, TIP and the tag plane), each in contexts that exercise composition, case, white space
/// and the three character classes of the patterns.
/// </summary>
public sealed class UnicodeWideTests(ITestOutputHelper output)
{
    private static readonly Lazy<ClipTokenizer> Shared = new(() => ClipTokenizer.Load(ReferenceRunner.ClipTokenizerJson, 77));

    private static readonly List<int> CodePoints =
        [.. Enumerable.Range(0, 0x40000).Concat(Enumerable.Range(0xE0000, 0x1000)).Where(cp => cp is < 0xD800 or > 0xDFFF)];

    /// <summary>
    /// The code points where the library's Unicode data is newer than ours (documented in Tokenization/README.md):
    /// capitals first encoded in Unicode 17.0 (2025), which Rust's lower-casing knows and .NET 10's (Unicode 16.0)
    /// does not, and U+1DF6, whose combining class the library's normalization tables give differently.
    /// A difference anywhere else fails; one of these that stops differing (a newer runtime) is fine.
    /// </summary>
    private static readonly HashSet<int> NewerUnicodeInLibrary =
        [0xA7CE, 0xA7D2, 0xA7D4, .. Enumerable.Range(0x16EA0, 0x16EB9 - 0x16EA0), 0x1DF6];

    [Fact]
    public async Task Normalizes_every_code_point_as_the_library_does()
    {
        // The code point alone, after a base letter (as a combining mark), before a combining mark (as a base).
        var texts = CodePoints.Select(cp => { var c = char.ConvertFromUtf32(cp); return $"{c}|e{c}|{c}\u0301|{c}{c}"; }).ToList();

        var expected = await ReferenceRunner.HfNormalizeAsync(ReferenceRunner.ClipTokenizerJson, texts);

        AssertEqualOutsideNewerUnicode(texts, expected, Shared.Value.Normalize);
    }

    [Fact]
    public async Task Pre_tokenizes_every_code_point_as_the_library_does()
    {
        // Beside letters, digits, punctuation and spaces, so each code point's class decides the pieces.
        var texts = CodePoints.Select(cp => { var c = char.ConvertFromUtf32(cp); return $"a{c}b 1{c}2 .{c}, {c} '{c}"; }).ToList();
        var normalized = texts.Select(Shared.Value.Normalize).ToList();

        var expected = await ReferenceRunner.HfPreTokenizeAsync(ReferenceRunner.ClipTokenizerJson, normalized);

        AssertEqualOutsideNewerUnicode(normalized, expected.Select(pieces => string.Join(" | ", pieces)).ToArray(), text => string.Join(" | ", Shared.Value.PreTokenize(text)));
    }

    private void AssertEqualOutsideNewerUnicode(IReadOnlyList<string> texts, string[] expected, Func<string, string> actual)
    {
        var mismatches = new List<string>();
        var allowed = 0;
        for (var i = 0; i < texts.Count; i++)
        {
            var ours = actual(texts[i]);
            if (ours == expected[i])
            {
                continue;
            }

            if (NewerUnicodeInLibrary.Contains(CodePoints[i]))
            {
                allowed++;
            }
            else
            {
                mismatches.Add($"{ReferenceRunner.ToJsonString(texts[i])}: ours {ReferenceRunner.ToJsonString(ours)}, library {ReferenceRunner.ToJsonString(expected[i])}");
            }
        }

        output.WriteLine($"{texts.Count} code points compared: {texts.Count - allowed - mismatches.Count} equal, {allowed} differ by the library's newer Unicode data, {mismatches.Count} differ otherwise.");
        foreach (var line in mismatches.Take(200))
        {
            output.WriteLine(line);
        }

        Assert.Empty(mismatches);
    }
}
