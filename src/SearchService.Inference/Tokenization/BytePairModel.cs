using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Text;

namespace SearchService.Inference.Tokenization;

/// <summary>
/// The BPE model of a byte-level tokenizer.json: every pre-tokenized word becomes its UTF-8 bytes, each byte
/// one symbol (the GPT-2 byte-to-unicode character, plus <c>end_of_word_suffix</c> on the last and
/// <c>continuing_subword_prefix</c> on all but the first), then merges apply lowest rank first and, at equal
/// rank, leftmost first, exactly as the library's <c>Word::merge_all</c> does (stale queue entries included).
/// Results are cached per word; the cache is safe to share between threads.
/// </summary>
internal sealed class BytePairModel
{
    /// <summary>Words longer than this are not cached (the library's limit is 256 bytes).</summary>
    public const int MaxCachedWordLength = 256;

    private const int StackLimit = 128;

    private readonly Dictionary<string, int> vocabulary;
    private readonly FrozenDictionary<long, (int Rank, int NewId)> merges;
    // Symbol id of each byte by position in the word: [0] alone, [1] first, [2] middle, [3] last; -1 when absent.
    private readonly int[][] byteSymbols;
    private readonly int unknownId;
    private readonly bool fuseUnknown;
    private readonly bool byteFallback;
    private readonly bool ignoreMerges;
    private readonly string prefix;
    private readonly string suffix;
    private readonly int cacheCapacity;
    private readonly ConcurrentDictionary<string, int[]> cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> cacheLookup;
    // Counted here because ConcurrentDictionary.Count takes every lock of the dictionary.
    private int cachedWords;

    public BytePairModel(
        Dictionary<string, int> vocabulary,
        IReadOnlyList<(string Left, string Right)> mergeList,
        BytePairOptions options,
        Func<string, Exception> invalid)
    {
        this.vocabulary = vocabulary;
        prefix = options.ContinuingSubwordPrefix ?? string.Empty;
        suffix = options.EndOfWordSuffix ?? string.Empty;
        fuseUnknown = options.FuseUnknown;
        byteFallback = options.ByteFallback;
        ignoreMerges = options.IgnoreMerges;
        cacheCapacity = options.CacheCapacity;
        cacheLookup = cache.GetAlternateLookup<ReadOnlySpan<char>>();

        unknownId = -1;
        if (options.UnknownToken is { } unknown)
        {
            unknownId = vocabulary.TryGetValue(unknown, out var id)
                ? id
                : throw invalid($"model.unk_token {unknown} is not in model.vocab");
        }

        var mergeMap = new Dictionary<long, (int, int)>(mergeList.Count);
        for (var rank = 0; rank < mergeList.Count; rank++)
        {
            var (left, right) = mergeList[rank];
            if (!vocabulary.TryGetValue(left, out var leftId) || !vocabulary.TryGetValue(right, out var rightId))
            {
                throw invalid($"merge {rank + 1} ({left} {right}) uses a token that is not in model.vocab");
            }

            if (!right.StartsWith(prefix, StringComparison.Ordinal))
            {
                throw invalid($"merge {rank + 1} ({left} {right}) does not start with the continuing_subword_prefix");
            }

            var merged = string.Concat(left, right.AsSpan(prefix.Length));
            if (!vocabulary.TryGetValue(merged, out var mergedId))
            {
                throw invalid($"merge {rank + 1} ({left} {right}) makes {merged}, which is not in model.vocab");
            }

            // A later duplicate wins, as when the library collects the merges into its map.
            mergeMap[PairKey(leftId, rightId)] = (rank, mergedId);
        }

        merges = mergeMap.ToFrozenDictionary();

        byteSymbols = new int[4][];
        for (var kind = 0; kind < 4; kind++)
        {
            byteSymbols[kind] = new int[256];
            for (var b = 0; b < 256; b++)
            {
                byteSymbols[kind][b] = vocabulary.GetValueOrDefault(SymbolText((byte)b, kind), -1);
            }
        }
    }

    /// <summary>How many words are cached now.</summary>
    public int CachedWords => Volatile.Read(ref cachedWords);

    /// <summary>The ids of one pre-tokenized word (normalized text, before the byte-to-unicode mapping).</summary>
    public int[] Tokenize(ReadOnlySpan<char> word)
    {
        if (word.IsEmpty)
        {
            return [];
        }

        if (cacheLookup.TryGetValue(word, out var cached))
        {
            return cached;
        }

        var ids = TokenizeUncached(word);
        if (word.Length <= MaxCachedWordLength && Volatile.Read(ref cachedWords) < cacheCapacity && cacheLookup.TryAdd(word, ids))
        {
            Interlocked.Increment(ref cachedWords);
        }

        return ids;
    }

    /// <summary>The same ids without looking at or filling the cache (the benchmark's baseline).</summary>
    public int[] TokenizeUncached(ReadOnlySpan<char> word)
    {
        var byteCount = Encoding.UTF8.GetByteCount(word);
        byte[]? rentedBytes = null;
        var bytes = byteCount <= StackLimit ? stackalloc byte[StackLimit] : (rentedBytes = ArrayPool<byte>.Shared.Rent(byteCount));
        bytes = bytes[..Encoding.UTF8.GetBytes(word, bytes)];
        try
        {
            if (ignoreMerges && vocabulary.TryGetValue(ByteLevel.ToText(bytes), out var whole))
            {
                return [whole];
            }

            return MergeWord(bytes);
        }
        finally
        {
            if (rentedBytes is not null)
            {
                ArrayPool<byte>.Shared.Return(rentedBytes);
            }
        }
    }

    private int[] MergeWord(ReadOnlySpan<byte> bytes)
    {
        // Byte fallback can turn one byte into several symbols (the UTF-8 of its character plus affixes).
        var capacity = bytes.Length * (byteFallback ? 4 + Encoding.UTF8.GetByteCount(prefix + suffix) : 1);
        int[]? rented = null;
        // Symbols, prev and next links, then the queue: at most 3 entries of 3 ints per symbol are ever pushed.
        var size = capacity * 12;
        var scratch = size <= StackLimit * 8 ? stackalloc int[size] : (rented = ArrayPool<int>.Shared.Rent(size));
        try
        {
            var symbols = scratch[..capacity];
            var count = InitialSymbols(bytes, symbols);
            var prev = scratch.Slice(capacity, capacity);
            var next = scratch.Slice(capacity * 2, capacity);
            var queue = new MergeQueue(scratch.Slice(capacity * 3, capacity * 9));
            var remaining = MergeAll(symbols[..count], prev, next, ref queue);

            var result = new int[remaining];
            for (int i = 0, j = 0; j < remaining; i = next[i])
            {
                result[j++] = symbols[i];
            }

            return result;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<int>.Shared.Return(rented);
            }
        }
    }

    private int InitialSymbols(ReadOnlySpan<byte> bytes, Span<int> symbols)
    {
        var count = 0;
        var pendingUnknown = false;
        for (var i = 0; i < bytes.Length; i++)
        {
            var kind = bytes.Length == 1 ? 0 : i == 0 ? 1 : i == bytes.Length - 1 ? 3 : 2;
            var id = byteSymbols[kind][bytes[i]];
            if (id >= 0)
            {
                FlushUnknown(symbols, ref count, ref pendingUnknown);
                symbols[count++] = id;
                continue;
            }

            if (byteFallback && TryByteFallback(bytes[i], kind, symbols, ref count))
            {
                continue;
            }

            if (unknownId >= 0)
            {
                if (pendingUnknown && !fuseUnknown)
                {
                    symbols[count++] = unknownId;
                }

                pendingUnknown = true;
            }
        }

        FlushUnknown(symbols, ref count, ref pendingUnknown);
        return count;
    }

    private void FlushUnknown(Span<int> symbols, ref int count, ref bool pendingUnknown)
    {
        if (pendingUnknown)
        {
            symbols[count++] = unknownId;
            pendingUnknown = false;
        }
    }

    // The library looks up "<0xHH>" for every UTF-8 byte of the symbol's text and uses them only if all exist;
    // it appends them without first emitting a pending unknown token (which then follows them).
    private bool TryByteFallback(byte value, int kind, Span<int> symbols, ref int count)
    {
        var text = Encoding.UTF8.GetBytes(SymbolText(value, kind));
        Span<int> ids = stackalloc int[text.Length];
        for (var i = 0; i < text.Length; i++)
        {
            if (!vocabulary.TryGetValue($"<0x{text[i]:X2}>", out ids[i]))
            {
                return false;
            }
        }

        foreach (var id in ids)
        {
            symbols[count++] = id;
        }

        return true;
    }

    // Returns how many symbols are left; they are linked from index 0 through next.
    private int MergeAll(Span<int> symbols, Span<int> prev, Span<int> next, ref MergeQueue queue)
    {
        var remaining = symbols.Length;
        for (var i = 0; i < symbols.Length; i++)
        {
            prev[i] = i - 1;
            next[i] = i + 1 < symbols.Length ? i + 1 : -1;
            if (i + 1 < symbols.Length && merges.TryGetValue(PairKey(symbols[i], symbols[i + 1]), out var merge))
            {
                queue.Push(new MergeCandidate(merge.Rank, i, merge.NewId));
            }
        }

        // symbols[i] < 0 marks a symbol merged into its left neighbour.
        while (queue.TryPop(out var top))
        {
            var pos = top.Position;
            if (symbols[pos] < 0 || next[pos] < 0)
            {
                continue;
            }

            var right = next[pos];
            if (!merges.TryGetValue(PairKey(symbols[pos], symbols[right]), out var current) || current.NewId != top.NewId)
            {
                continue;
            }

            symbols[pos] = top.NewId;
            remaining--;
            next[pos] = next[right];
            symbols[right] = -1;
            if (next[right] >= 0)
            {
                prev[next[right]] = pos;
            }

            if (prev[pos] >= 0 && merges.TryGetValue(PairKey(symbols[prev[pos]], symbols[pos]), out var before))
            {
                queue.Push(new MergeCandidate(before.Rank, prev[pos], before.NewId));
            }

            if (next[pos] >= 0 && merges.TryGetValue(PairKey(symbols[pos], symbols[next[pos]]), out var after))
            {
                queue.Push(new MergeCandidate(after.Rank, pos, after.NewId));
            }
        }

        return remaining;
    }

    private string SymbolText(byte value, int kind)
    {
        var text = ByteLevel.CharOf(value).ToString();
        if (kind is 2 or 3)
        {
            text = prefix + text;
        }

        return kind is 0 or 3 ? text + suffix : text;
    }

    private static long PairKey(int left, int right) => ((long)left << 32) | (uint)right;
}

/// <summary>The options of a tokenizer.json BPE model that change ids.</summary>
internal sealed record BytePairOptions(
    string? UnknownToken,
    string? ContinuingSubwordPrefix,
    string? EndOfWordSuffix,
    bool FuseUnknown,
    bool ByteFallback,
    bool IgnoreMerges,
    int CacheCapacity);

internal readonly record struct MergeCandidate(int Rank, int Position, int NewId)
{
    public bool Before(MergeCandidate other) => Rank != other.Rank ? Rank < other.Rank : Position < other.Position;
}

/// <summary>A binary min-heap on (rank, position) over caller-provided memory.</summary>
internal ref struct MergeQueue(Span<int> storage)
{
    private readonly Span<int> storage = storage;
    private int count;

    public void Push(MergeCandidate item)
    {
        var i = count++;
        while (i > 0)
        {
            var parent = (i - 1) / 2;
            var parentItem = Get(parent);
            if (!item.Before(parentItem))
            {
                break;
            }

            Set(i, parentItem);
            i = parent;
        }

        Set(i, item);
    }

    public bool TryPop(out MergeCandidate top)
    {
        if (count == 0)
        {
            top = default;
            return false;
        }

        top = Get(0);
        var last = Get(--count);
        var i = 0;
        while (true)
        {
            var child = 2 * i + 1;
            if (child >= count)
            {
                break;
            }

            if (child + 1 < count && Get(child + 1).Before(Get(child)))
            {
                child++;
            }

            var childItem = Get(child);
            if (!childItem.Before(last))
            {
                break;
            }

            Set(i, childItem);
            i = child;
        }

        if (count > 0)
        {
            Set(i, last);
        }

        return true;
    }

    private readonly MergeCandidate Get(int index) => new(storage[index * 3], storage[index * 3 + 1], storage[index * 3 + 2]);

    private readonly void Set(int index, MergeCandidate item)
    {
        storage[index * 3] = item.Rank;
        storage[index * 3 + 1] = item.Position;
        storage[index * 3 + 2] = item.NewId;
    }
}

/// <summary>GPT-2's reversible map from bytes to printable characters, which byte-level vocabularies are written in.</summary>
internal static class ByteLevel
{
    private static readonly char[] Chars = BuildChars();

    public static char CharOf(byte value) => Chars[value];

    public static string ToText(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[bytes.Length];
        for (var i = 0; i < bytes.Length; i++)
        {
            chars[i] = Chars[bytes[i]];
        }

        return new string(chars);
    }

    // Printable Latin-1 bytes map to themselves; the other 68 bytes take U+0100 upward in byte order.
    private static char[] BuildChars()
    {
        var chars = new char[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            chars[b] = (char)(printable ? b : next++);
        }

        return chars;
    }
}
