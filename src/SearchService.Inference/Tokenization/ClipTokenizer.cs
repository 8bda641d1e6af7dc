using System.Text;

namespace SearchService.Inference.Tokenization;

/// <summary>
/// CLIP's byte-level BPE tokenizer, reading a Hugging Face <c>tokenizer.json</c> and producing the ids the
/// Hugging Face <c>tokenizers</c> library produces with that file when it is set up as Immich sets it up
/// (truncation and fixed padding to the model's context length). See Tokenization/README.md for the
/// pipeline, the padding rule and where this differs from OpenAI's original <c>simple_tokenizer</c>.
/// One instance is safe to share between threads.
/// </summary>
public sealed partial class ClipTokenizer
{
    /// <summary>Words the BPE cache keeps at most (beyond that, new words are tokenized but not cached).</summary>
    public const int DefaultCacheCapacity = 65_536;

    private readonly TextNormalizer normalizer;
    private readonly AddedTokenMatcher rawAddedTokens;
    private readonly AddedTokenMatcher normalizedAddedTokens;
    private readonly PreTokenizer preTokenizer;
    private readonly BytePairModel model;

    private ClipTokenizer(
        string tokenizerPath,
        int contextLength,
        TextNormalizer normalizer,
        AddedTokenMatcher rawAddedTokens,
        AddedTokenMatcher normalizedAddedTokens,
        PreTokenizer preTokenizer,
        BytePairModel model,
        (int Start, int End, int Pad) specialIds)
    {
        TokenizerPath = tokenizerPath;
        ContextLength = contextLength;
        this.normalizer = normalizer;
        this.rawAddedTokens = rawAddedTokens;
        this.normalizedAddedTokens = normalizedAddedTokens;
        this.preTokenizer = preTokenizer;
        this.model = model;
        (StartTokenId, EndTokenId, PadTokenId) = specialIds;
    }

    /// <summary>The tokenizer.json this instance was loaded from.</summary>
    public string TokenizerPath { get; }

    /// <summary>How many ids every encoding has (the text encoder's sequence length).</summary>
    public int ContextLength { get; }

    /// <summary>The id the post-processor puts first (<c>&lt;|startoftext|&gt;</c>).</summary>
    public int StartTokenId { get; }

    /// <summary>The id the post-processor puts after the text (<c>&lt;|endoftext|&gt;</c>), kept even when the text is cut.</summary>
    public int EndTokenId { get; }

    /// <summary>The id that fills the encoding after the end token.</summary>
    public int PadTokenId { get; }

    /// <summary>How many distinct words the BPE cache holds now.</summary>
    public int CachedWordCount => model.CachedWords;

    /// <summary>
    /// Writes exactly <see cref="ContextLength"/> ids: the start token, the text's tokens (cut after
    /// <see cref="ContextLength"/> − 2 so the end token stays), the end token, then padding.
    /// Any string is accepted; unpaired surrogates are read as U+FFFD, as the library receives them.
    /// </summary>
    public void Encode(string text, Span<int> ids)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (ids.Length != ContextLength)
        {
            throw new ArgumentException($"The destination holds {ids.Length} ids; the context length is {ContextLength}.", nameof(ids));
        }

        ids[0] = StartTokenId;
        var count = EncodeText(text, ids[1..^1]);
        ids[1 + count] = EndTokenId;
        ids[(2 + count)..].Fill(PadTokenId);
    }

    /// <summary>The same as <see cref="Encode(string, Span{int})"/> into a new array.</summary>
    public int[] Encode(string text)
    {
        var ids = new int[ContextLength];
        Encode(text, ids);
        return ids;
    }

    /// <summary>The text's tokens without start, end or padding, at most <paramref name="tokens"/>.Length of them.</summary>
    internal int EncodeText(string text, Span<int> tokens)
    {
        text = ReplaceLoneSurrogates(text);
        var count = 0;
        var position = 0;
        while (count < tokens.Length)
        {
            var found = rawAddedTokens.TryFindNext(text, position, out var start, out var length, out var id);
            var end = found ? start : text.Length;
            if (end > position)
            {
                var segment = position == 0 && end == text.Length ? text : text[position..end];
                count = EncodeNormalized(normalizer.Apply(segment), tokens, count);
            }

            if (!found)
            {
                break;
            }

            if (count < tokens.Length)
            {
                tokens[count++] = id;
            }

            position = start + length;
        }

        return count;
    }

    private int EncodeNormalized(string text, Span<int> tokens, int count)
    {
        var position = 0;
        while (count < tokens.Length)
        {
            var found = normalizedAddedTokens.TryFindNext(text, position, out var start, out var length, out var id);
            var end = found ? start : text.Length;
            if (end > position)
            {
                count = EncodeSplit(text.AsSpan(position, end - position), tokens, count);
            }

            if (!found)
            {
                break;
            }

            if (count < tokens.Length)
            {
                tokens[count++] = id;
            }

            position = start + length;
        }

        return count;
    }

    private int EncodeSplit(ReadOnlySpan<char> text, Span<int> tokens, int count)
    {
        if (!preTokenizer.HasClipSplit)
        {
            return EncodeByteLevel(text, tokens, count);
        }

        var position = 0;
        while (count < tokens.Length && preTokenizer.NextClipPiece(text, ref position, out var start, out var length))
        {
            count = EncodeByteLevel(text.Slice(start, length), tokens, count);
        }

        return count;
    }

    private int EncodeByteLevel(ReadOnlySpan<char> piece, Span<int> tokens, int count)
    {
        if (preTokenizer.AddPrefixSpace && piece[0] != ' ')
        {
            piece = string.Concat(" ", piece);
        }

        if (!preTokenizer.ByteLevelRegex)
        {
            return EncodeWord(piece, tokens, count);
        }

        var position = 0;
        while (count < tokens.Length && PreTokenizer.NextByteLevelPiece(piece, ref position, out var start, out var length))
        {
            count = EncodeWord(piece.Slice(start, length), tokens, count);
        }

        return count;
    }

    private int EncodeWord(ReadOnlySpan<char> word, Span<int> tokens, int count)
    {
        var ids = model.Tokenize(word);
        var take = Math.Min(ids.Length, tokens.Length - count);
        ids.AsSpan(0, take).CopyTo(tokens[count..]);
        return count + take;
    }

    // JavaScript, Python and Rust hand the library UTF-8, in which an unpaired surrogate becomes U+FFFD.
    private static string ReplaceLoneSurrogates(string text)
    {
        var span = text.AsSpan();
        var first = span.IndexOfAnyInRange('\uD800', '\uDFFF');
        if (first < 0 || IsValidUtf16(span[first..]))
        {
            return text;
        }

        var builder = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            builder.Append(rune.ToString());
        }

        return builder.ToString();
    }

    private static bool IsValidUtf16(ReadOnlySpan<char> span)
    {
        for (var i = 0; i < span.Length; i++)
        {
            if (char.IsHighSurrogate(span[i]) && i + 1 < span.Length && char.IsLowSurrogate(span[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(span[i]))
            {
                return false;
            }
        }

        return true;
    }
}
