using System.Globalization;
using System.Text;

namespace SearchService.Inference.Tokenization;

/// <summary>
/// Hand-written scanners equivalent to the two regular expressions a CLIP tokenizer.json pre-tokenizes with,
/// matching leftmost-first as the library's Oniguruma engine does but on whole code points (so letters and
/// digits outside the BMP are classified right) and without allocating.
/// <list type="number">
/// <item>CLIP's Split pattern, matches kept and the rest (white space) removed:
/// <c>&lt;literal&gt;|…|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+</c>, where the literal
/// alternatives (older files list <c>&lt;|startoftext|&gt;</c> and <c>&lt;|endoftext|&gt;</c>) come first.</item>
/// <item>The ByteLevel pre-tokenizer's GPT-2 pattern (its <c>use_regex</c>, on unless the file says false), every
/// match kept: <c>'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+</c>.</item>
/// </list>
/// </summary>
internal sealed class PreTokenizer
{
    /// <summary>What follows the literal alternatives in every CLIP Split pattern seen in the wild.</summary>
    public const string ClipPatternCore = @"'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+";

    private const string RegexMetaCharacters = @"\.^$|?*+()[]{}";

    private static readonly CharClass[] AsciiClasses = BuildAsciiClasses();

    private readonly string[]? clipLiterals;

    private PreTokenizer(string[]? clipLiterals, bool addPrefixSpace, bool byteLevelRegex)
    {
        this.clipLiterals = clipLiterals;
        AddPrefixSpace = addPrefixSpace;
        ByteLevelRegex = byteLevelRegex;
    }

    internal enum CharClass : byte
    {
        Other,
        Letter,
        Number,
        Space,
    }

    /// <summary>Whether the CLIP Split step runs before the byte-level step.</summary>
    public bool HasClipSplit => clipLiterals is not null;

    public bool AddPrefixSpace { get; }

    public bool ByteLevelRegex { get; }

    /// <summary>A ByteLevel step, optionally after a Split with a CLIP pattern (null when the file has no Split).</summary>
    public static PreTokenizer Create(string? clipSplitPattern, bool addPrefixSpace, bool byteLevelRegex, Func<string, Exception> invalid)
    {
        string[]? literals = null;
        if (clipSplitPattern is not null)
        {
            if (!clipSplitPattern.EndsWith(ClipPatternCore, StringComparison.Ordinal))
            {
                throw invalid($"the Split pre-tokenizer pattern {clipSplitPattern} is not CLIP's (expected it to end with {ClipPatternCore})");
            }

            var prefix = clipSplitPattern[..^ClipPatternCore.Length];
            literals = prefix.Length == 0 ? [] : ParseLiteralAlternatives(prefix, clipSplitPattern, invalid);
        }

        return new PreTokenizer(literals, addPrefixSpace, byteLevelRegex);
    }

    /// <summary>The next piece the CLIP Split keeps, from <paramref name="position"/>; false at the end.</summary>
    public bool NextClipPiece(ReadOnlySpan<char> text, ref int position, out int start, out int length)
    {
        var literals = clipLiterals!;
        var p = position;
        while (p < text.Length)
        {
            var rest = text[p..];
            foreach (var literal in literals)
            {
                if (rest.StartsWith(literal, StringComparison.Ordinal))
                {
                    return Found(ref position, p, literal.Length, out start, out length);
                }
            }

            var contraction = ContractionLength(rest);
            if (contraction > 0)
            {
                return Found(ref position, p, contraction, out start, out length);
            }

            var cls = ClassAt(text, p, out var width);
            switch (cls)
            {
                case CharClass.Letter:
                    return Found(ref position, p, RunLength(text, p, CharClass.Letter), out start, out length);
                case CharClass.Number:
                    return Found(ref position, p, width, out start, out length);
                case CharClass.Other:
                    return Found(ref position, p, RunLength(text, p, CharClass.Other), out start, out length);
                default:
                    p += width;
                    break;
            }
        }

        position = p;
        start = length = 0;
        return false;
    }

    /// <summary>The next match of the GPT-2 pattern from <paramref name="position"/>; every character belongs to one.</summary>
    public static bool NextByteLevelPiece(ReadOnlySpan<char> text, ref int position, out int start, out int length)
    {
        var p = position;
        if (p >= text.Length)
        {
            start = length = 0;
            return false;
        }

        var rest = text[p..];
        var contraction = ContractionLength(rest);
        if (contraction > 0)
        {
            return Found(ref position, p, contraction, out start, out length);
        }

        var cls = ClassAt(text, p, out var width);
        if (text[p] == ' ' && p + 1 < text.Length)
        {
            var next = ClassAt(text, p + 1, out _);
            if (next != CharClass.Space)
            {
                return Found(ref position, p, 1 + RunLength(text, p + 1, next), out start, out length);
            }
        }

        if (cls != CharClass.Space)
        {
            return Found(ref position, p, RunLength(text, p, cls), out start, out length);
        }

        // \s+(?!\S) backs off one character so that the last space can start the next word; a single space
        // before a word falls through to the plain \s+.
        var run = RunLength(text, p, CharClass.Space);
        if (p + run < text.Length && run > 1)
        {
            run--;
        }

        return Found(ref position, p, run, out start, out length);
    }

    /// <summary>The class of a code point as the patterns see it (\p{L}, \p{N}, \s, anything else).</summary>
    public static CharClass Classify(Rune rune)
    {
        if (rune.IsAscii)
        {
            return AsciiClasses[rune.Value];
        }

        if (rune.IsBmp && char.IsWhiteSpace((char)rune.Value))
        {
            return CharClass.Space;
        }

        return Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => CharClass.Letter,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => CharClass.Number,
            _ => CharClass.Other,
        };
    }

    private static bool Found(ref int position, int start, int length, out int foundStart, out int foundLength)
    {
        foundStart = start;
        foundLength = length;
        position = start + length;
        return true;
    }

    private static int ContractionLength(ReadOnlySpan<char> rest)
    {
        if (rest.Length < 2 || rest[0] != '\'')
        {
            return 0;
        }

        switch (rest[1])
        {
            case 's' or 't' or 'm' or 'd':
                return 2;
            case 'r' or 'v' when rest.Length > 2 && rest[2] == 'e':
                return 3;
            case 'l' when rest.Length > 2 && rest[2] == 'l':
                return 3;
            default:
                return 0;
        }
    }

    private static CharClass ClassAt(ReadOnlySpan<char> text, int index, out int width)
    {
        var c = text[index];
        if (c < 0x80)
        {
            width = 1;
            return AsciiClasses[c];
        }

        // The pipeline replaces lone surrogates before pre-tokenizing, so decoding cannot fail here.
        Rune.DecodeFromUtf16(text[index..], out var rune, out width);
        return Classify(rune);
    }

    private static int RunLength(ReadOnlySpan<char> text, int start, CharClass cls)
    {
        var p = start;
        while (p < text.Length && ClassAt(text, p, out var width) == cls)
        {
            p += width;
        }

        return p - start;
    }

    private static string[] ParseLiteralAlternatives(string prefix, string pattern, Func<string, Exception> invalid)
    {
        var literals = new List<string>();
        var current = new StringBuilder();
        for (var i = 0; i < prefix.Length; i++)
        {
            var c = prefix[i];
            if (c == '\\' && i + 1 < prefix.Length && RegexMetaCharacters.Contains(prefix[i + 1], StringComparison.Ordinal))
            {
                current.Append(prefix[++i]);
            }
            else if (c == '|')
            {
                if (current.Length == 0)
                {
                    throw invalid($"the Split pre-tokenizer pattern {pattern} has an empty alternative");
                }

                literals.Add(current.ToString());
                current.Clear();
            }
            else if (RegexMetaCharacters.Contains(c, StringComparison.Ordinal))
            {
                throw invalid($"the Split pre-tokenizer pattern {pattern} has a non-literal alternative before CLIP's pattern");
            }
            else
            {
                current.Append(c);
            }
        }

        if (current.Length != 0)
        {
            throw invalid($"the Split pre-tokenizer pattern {pattern} is not CLIP's");
        }

        return [.. literals];
    }

    private static CharClass[] BuildAsciiClasses()
    {
        var classes = new CharClass[128];
        for (var c = 0; c < 128; c++)
        {
            classes[c] = char.IsAsciiLetter((char)c) ? CharClass.Letter
                : char.IsAsciiDigit((char)c) ? CharClass.Number
                : char.IsWhiteSpace((char)c) ? CharClass.Space
                : CharClass.Other;
        }

        return classes;
    }
}
