using System.Text;
using SearchService.Inference.Tokenization.Unicode;

namespace SearchService.Inference.Tokenization;

/// <summary>
/// The normalizer steps of a tokenizer.json, applied in the file's order, each as the Hugging Face library
/// applies it. Every step returns its input string itself when it has nothing to change, so an already
/// clean query allocates nothing here.
/// </summary>
internal sealed class TextNormalizer
{
    private readonly Func<string, string>[] steps;

    public TextNormalizer(IReadOnlyList<Func<string, string>> steps) => this.steps = [.. steps];

    public string Apply(string text)
    {
        foreach (var step in steps)
        {
            text = step(text);
        }

        return text;
    }

    public static string ToNfc(string text) => Nfc.Normalize(text);

    /// <summary>
    /// Lower-cases code point by code point, as Rust's <c>char::to_lowercase</c> does: no context (a Greek
    /// capital sigma always becomes σ, never the final ς), and U+0130 becomes "i" + U+0307 (its only
    /// unconditional multi-character lower case); everything else is the Unicode simple lower-case mapping.
    /// </summary>
    public static string ToLower(string text)
    {
        var span = text.AsSpan();
        var first = 0;
        while (first < span.Length && !MayChangeWhenLowered(span[first]))
        {
            first++;
        }

        if (first == span.Length)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length + 8);
        builder.Append(span[..first]);
        for (var i = first; i < span.Length; i++)
        {
            var c = span[i];
            if (char.IsHighSurrogate(c) && i + 1 < span.Length && char.IsLowSurrogate(span[i + 1]))
            {
                builder.Append(Rune.ToLowerInvariant(new Rune(c, span[i + 1])).ToString());
                i++;
            }
            else if (c == '\u0130')
            {
                builder.Append("i\u0307");
            }
            else
            {
                builder.Append(char.ToLowerInvariant(c));
            }
        }

        var lowered = builder.ToString();
        return lowered == text ? text : lowered;
    }

    /// <summary>
    /// Replaces every run of white space (the regular expression <c>\s+</c> of the Oniguruma engine the
    /// library uses: U+0009–U+000D, U+0085 and the Unicode separators Zs/Zl/Zp, which is exactly
    /// <see cref="char.IsWhiteSpace(char)"/>) with <paramref name="content"/>.
    /// </summary>
    public static string ReplaceWhiteSpaceRuns(string text, string content)
    {
        var span = text.AsSpan();
        var start = FirstWhiteSpaceRunToRewrite(span, content);
        if (start < 0)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length);
        builder.Append(span[..start]);
        for (var i = start; i < span.Length;)
        {
            if (char.IsWhiteSpace(span[i]))
            {
                while (i < span.Length && char.IsWhiteSpace(span[i]))
                {
                    i++;
                }

                builder.Append(content);
            }
            else
            {
                builder.Append(span[i++]);
            }
        }

        return builder.ToString();
    }

    /// <summary>Replaces each non-overlapping occurrence, left to right (a tokenizer.json <c>String</c> pattern).</summary>
    public static string ReplaceLiteral(string text, string pattern, string content) =>
        text.Contains(pattern, StringComparison.Ordinal) ? text.Replace(pattern, content, StringComparison.Ordinal) : text;

    /// <summary>Strips Unicode White_Space (Rust's <c>char::is_whitespace</c>, the same set as .NET's) from either end.</summary>
    public static string Strip(string text, bool left, bool right) =>
        (left, right) switch
        {
            (true, true) => text.Trim(),
            (true, false) => text.TrimStart(),
            (false, true) => text.TrimEnd(),
            _ => text,
        };

    private static bool MayChangeWhenLowered(char c) => c >= 0x80 || char.IsAsciiLetterUpper(c);

    // The first white-space run that is not already exactly one `content` (for a single-space content).
    private static int FirstWhiteSpaceRunToRewrite(ReadOnlySpan<char> span, string content)
    {
        for (var i = 0; i < span.Length; i++)
        {
            if (!char.IsWhiteSpace(span[i]))
            {
                continue;
            }

            var single = content.Length == 1 && span[i] == content[0]
                && (i + 1 == span.Length || !char.IsWhiteSpace(span[i + 1]));
            if (!single)
            {
                return i;
            }
        }

        return -1;
    }
}
