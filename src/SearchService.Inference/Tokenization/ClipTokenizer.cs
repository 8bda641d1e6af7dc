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
        var sink = new IdSink(model, tokens);
        Tokenize(ReplaceLoneSurrogates(text), ref sink);
        return sink.Count;
    }

    /// <summary>The normalizer's output, as the library's normalizer alone gives it (for the Unicode-wide tests).</summary>
    internal string Normalize(string text) => normalizer.Apply(ReplaceLoneSurrogates(text));

    /// <summary>The pre-tokenizer's words of normalized text in byte-level characters, as the library prints them.</summary>
    internal List<string> PreTokenize(string normalized)
    {
        var sink = new WordListSink();
        SplitWords(ReplaceLoneSurrogates(normalized), ref sink);
        return sink.Words;
    }

    // Added tokens are found in the raw text, the rest is normalized, then normalized added tokens are found,
    // and what remains is pre-tokenized into words for the model, stopping once the sink is full.
    private void Tokenize<TSink>(string text, ref TSink sink)
        where TSink : IWordSink, allows ref struct
    {
        var position = 0;
        while (!sink.IsFull)
        {
            var found = rawAddedTokens.TryFindNext(text, position, out var start, out var length, out var id);
            var end = found ? start : text.Length;
            if (end > position)
            {
                var segment = position == 0 && end == text.Length ? text : text[position..end];
                TokenizeNormalized(normalizer.Apply(segment), ref sink);
            }

            if (!found)
            {
                break;
            }

            sink.AddToken(id);
            position = start + length;
        }
    }

    private void TokenizeNormalized<TSink>(string text, ref TSink sink)
        where TSink : IWordSink, allows ref struct
    {
        var position = 0;
        while (!sink.IsFull)
        {
            var found = normalizedAddedTokens.TryFindNext(text, position, out var start, out var length, out var id);
            var end = found ? start : text.Length;
            if (end > position)
            {
                SplitWords(text.AsSpan(position, end - position), ref sink);
            }

            if (!found)
            {
                break;
            }

            sink.AddToken(id);
            position = start + length;
        }
    }

    private void SplitWords<TSink>(ReadOnlySpan<char> text, ref TSink sink)
        where TSink : IWordSink, allows ref struct
    {
        if (!preTokenizer.HasClipSplit)
        {
            SplitByteLevel(text, ref sink);
            return;
        }

        var position = 0;
        while (!sink.IsFull && preTokenizer.NextClipPiece(text, ref position, out var start, out var length))
        {
            SplitByteLevel(text.Slice(start, length), ref sink);
        }
    }

    private void SplitByteLevel<TSink>(ReadOnlySpan<char> piece, ref TSink sink)
        where TSink : IWordSink, allows ref struct
    {
        if (piece.IsEmpty)
        {
            return;
        }

        if (preTokenizer.AddPrefixSpace && piece[0] != ' ')
        {
            piece = string.Concat(" ", piece);
        }

        if (!preTokenizer.ByteLevelRegex)
        {
            sink.AddWord(piece);
            return;
        }

        var position = 0;
        while (!sink.IsFull && PreTokenizer.NextByteLevelPiece(piece, ref position, out var start, out var length))
        {
            sink.AddWord(piece.Slice(start, length));
        }
    }

    private interface IWordSink
    {
        bool IsFull { get; }

        void AddToken(int id);

        void AddWord(ReadOnlySpan<char> word);
    }

    private ref struct IdSink(BytePairModel model, Span<int> tokens) : IWordSink
    {
        private readonly Span<int> tokens = tokens;

        public int Count { get; private set; }

        public readonly bool IsFull => Count >= tokens.Length;

        public void AddToken(int id)
        {
            if (!IsFull)
            {
                tokens[Count++] = id;
            }
        }

        public void AddWord(ReadOnlySpan<char> word)
        {
            var ids = model.Tokenize(word);
            var take = Math.Min(ids.Length, tokens.Length - Count);
            ids.AsSpan(0, take).CopyTo(tokens[Count..]);
            Count += take;
        }
    }

    private struct WordListSink() : IWordSink
    {
        public List<string> Words { get; } = [];

        public readonly bool IsFull => false;

        public readonly void AddToken(int id) => throw new InvalidOperationException("Pre-tokenized text has no added tokens.");

        public readonly void AddWord(ReadOnlySpan<char> word) => Words.Add(ByteLevel.ToText(Encoding.UTF8.GetBytes(word.ToArray())));
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
