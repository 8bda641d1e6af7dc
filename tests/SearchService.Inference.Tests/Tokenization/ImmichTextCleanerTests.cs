using System.Text.Json;
using SearchService.Inference.Tokenization;
using SearchService.Testing;
using Xunit;

namespace SearchService.Inference.Tests.Tokenization;

public sealed class ImmichTextCleanerTests
{
    [Fact]
    public async Task Cleans_like_python_split_and_join_for_every_bmp_character()
    {
        var texts = Enumerable.Range(0, 0x10000).Where(c => c is < 0xD800 or > 0xDFFF)
            .Select(c => $" a{(char)c}b{(char)c}{(char)c}c {(char)c}").ToList()
            .Concat(TokenizerCases.FromFile().Where(t => !t.Any(char.IsSurrogate))).ToList();

        var output = await PythonReference.RunAsync("immich_clean_text.py", [], string.Concat(texts.Select(t => ReferenceRunner.ToJsonString(t) + "\n")));
        var expected = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonSerializer.Deserialize<string>(line)!).ToList();

        Assert.Equal(texts.Count, expected.Count);
        for (var i = 0; i < texts.Count; i++)
        {
            Assert.Equal(expected[i], ImmichTextCleaner.Clean(texts[i]));
        }
    }

    [Fact]
    public void Changes_ids_only_through_the_information_separators()
    {
        var tokenizer = ClipTokenizer.Load(ReferenceRunner.ClipTokenizerJson, 77);

        Assert.Equal(tokenizer.Encode("  a   dog\n\t "), tokenizer.Encode(ImmichTextCleaner.Clean("  a   dog\n\t ")));
        Assert.NotEqual(tokenizer.Encode("a\u001fdog"), tokenizer.Encode(ImmichTextCleaner.Clean("a\u001fdog")));
        Assert.Equal(tokenizer.Encode("a dog"), tokenizer.Encode(ImmichTextCleaner.Clean("a\u001fdog")));
    }
}
