using System.Text;
using SearchService.Testing;

namespace SearchService.Inference.Tests.Tokenization;

/// <summary>The strings the tokenizer is compared on: the committed cases file plus seeded random strings.</summary>
internal static class TokenizerCases
{
    // Pools for random text: everyday letters, marks, digits, punctuation, symbols, scripts, emoji, spaces.
    private static readonly string[] Pools =
    [
        "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789", "     ", "\t\n\r\u00a0\u2003\u3000\u2028",
        ".,;:!?'\"-_()[]{}<>/\\|@#$%^*+=~`", "àáâãäåçèéêëìíîïñòóôõöùúûüýÿæœß", "ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝŒ",
        "\u0300\u0301\u0302\u0303\u0308\u0323\u0327\u030a", "αβγδεζηθικλμνξοπρστυφχψω", "АБВГДЕЖЗИЙКЛМНОПабвгдежзийклмноп",
        "東京大阪猫犬山川日本語中文字", "ひらがなカタカナ", "한국어텍스트", "०१२३४५६७८९١٢٣", "½¾²³ⅷ①", "€£¥©®™°±×÷§¶",
        "\u200b\u200d\ufeff\u00ad", "🐶🐱🎉❤️👍🏽🇯🇵😀🌍", "𝐀𝐁𝐂𝟙𝟚𝐚𝐛", "'s 't 're 've 'm 'll 'd",
    ];

    public static IReadOnlyList<string> FromFile()
    {
        var path = Path.Combine(TestPaths.Fixtures, "reference", "tokenizer_cases.txt");
        return [.. File.ReadLines(path, Encoding.UTF8)
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(ReferenceRunner.FromJsonString)];
    }

    /// <summary>
    /// Random strings from a fixed seed, avoiding the characters behind the documented OpenAI differences
    /// (Greek capital sigma, '&amp;', U+001C–U+001F, 'ſ') so they can be compared with both references.
    /// </summary>
    public static IReadOnlyList<string> Random(int count, int seed)
    {
        var random = new Random(seed);
        var result = new List<string>(count);
        for (var n = 0; n < count; n++)
        {
            var builder = new StringBuilder();
            var length = random.Next(1, n % 10 == 0 ? 400 : 40);
            while (builder.Length < length)
            {
                var pool = Pools[random.Next(Pools.Length)];
                var runs = random.Next(1, 6);
                for (var i = 0; i < runs; i++)
                {
                    var start = random.Next(pool.Length);
                    // Keep surrogate pairs whole.
                    if (char.IsLowSurrogate(pool[start]))
                    {
                        start--;
                    }

                    builder.Append(pool, start, char.IsHighSurrogate(pool[start]) ? 2 : 1);
                }
            }

            result.Add(builder.ToString());
        }

        return result;
    }
}
