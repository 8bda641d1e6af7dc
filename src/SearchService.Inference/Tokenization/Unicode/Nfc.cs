using System.Buffers;
using System.Collections.Frozen;
using System.Text;

namespace SearchService.Inference.Tokenization.Unicode;

/// <summary>
/// Unicode Normalization Form C (canonical decomposition, canonical ordering, canonical composition, UAX #15)
/// over the tables in <see cref="NfcData"/>. The runtime's own string.Normalize does nothing under
/// InvariantGlobalization, which this service runs with.
/// </summary>
internal static class Nfc
{
    // Code points below U+0300 are all NFC-stable starters that nothing before U+0300 composes with.
    private const char FirstUnstable = '\u0300';

    private const int HangulSBase = 0xAC00, HangulLBase = 0x1100, HangulVBase = 0x1161, HangulTBase = 0x11A7;
    private const int HangulLCount = 19, HangulVCount = 21, HangulTCount = 28;
    private const int HangulNCount = HangulVCount * HangulTCount, HangulSCount = HangulLCount * HangulNCount;

    private static readonly FrozenDictionary<int, byte> CombiningClasses = BuildCombiningClasses();
    private static readonly FrozenDictionary<int, (int Start, int Length)> Decompositions = BuildDecompositions(out DecompositionData);
    private static readonly int[] DecompositionData;
    private static readonly FrozenDictionary<long, int> Compositions = BuildCompositions(out CompositionSeconds);
    private static readonly FrozenSet<int> CompositionSeconds;

    /// <summary>Returns <paramref name="text"/> itself when it is already in NFC by the quick check, else its NFC form.</summary>
    public static string Normalize(string text)
    {
        var first = text.AsSpan().IndexOfAnyInRange(FirstUnstable, char.MaxValue);
        if (first < 0 || IsStable(text.AsSpan(first)))
        {
            return text;
        }

        var buffer = ArrayPool<int>.Shared.Rent(text.Length * 4 + 4);
        try
        {
            var length = Decompose(text, buffer);
            length = Compose(buffer.AsSpan(0, length));
            return ToUtf16(buffer.AsSpan(0, length), text);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(buffer);
        }
    }

    // True when no character can change under NFC: none decomposes, none is a non-starter, none can combine
    // with the character before it. CJK, most scripts and emoji pass without any allocation.
    private static bool IsStable(ReadOnlySpan<char> text)
    {
        foreach (var rune in text.EnumerateRunes())
        {
            var codePoint = rune.Value;
            if (codePoint >= FirstUnstable
                && (codePoint - HangulVBase is >= 0 and < HangulVCount || codePoint - HangulTBase is > 0 and < HangulTCount
                    || CombiningClasses.ContainsKey(codePoint) || Decompositions.ContainsKey(codePoint) || CompositionSeconds.Contains(codePoint)))
            {
                return false;
            }
        }

        return true;
    }

    private static int Decompose(string text, int[] output)
    {
        var count = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            var codePoint = rune.Value;
            if (codePoint - HangulSBase is >= 0 and < HangulSCount)
            {
                var index = codePoint - HangulSBase;
                output[count++] = HangulLBase + index / HangulNCount;
                output[count++] = HangulVBase + index % HangulNCount / HangulTCount;
                if (index % HangulTCount != 0)
                {
                    output[count++] = HangulTBase + index % HangulTCount;
                }
            }
            else if (Decompositions.TryGetValue(codePoint, out var range))
            {
                foreach (var part in DecompositionData.AsSpan(range.Start, range.Length))
                {
                    count = AppendInCanonicalOrder(output, count, part);
                }
            }
            else
            {
                count = AppendInCanonicalOrder(output, count, codePoint);
            }
        }

        return count;
    }

    // Canonical ordering: a non-starter moves left past non-starters of a higher class (a stable insertion sort).
    private static int AppendInCanonicalOrder(int[] output, int count, int codePoint)
    {
        var combiningClass = CombiningClassOf(codePoint);
        var position = count;
        if (combiningClass != 0)
        {
            while (position > 0 && CombiningClassOf(output[position - 1]) > combiningClass)
            {
                output[position] = output[position - 1];
                position--;
            }
        }

        output[position] = codePoint;
        return count + 1;
    }

    private static int Compose(Span<int> codePoints)
    {
        var written = 0;
        var starter = -1;
        var lastClass = 0;
        foreach (var codePoint in codePoints)
        {
            var combiningClass = CombiningClassOf(codePoint);
            if (starter >= 0)
            {
                var adjacent = written - 1 == starter;
                var blocked = !adjacent && lastClass >= combiningClass;
                if (!blocked && TryCompose(codePoints[starter], codePoint, out var composite))
                {
                    codePoints[starter] = composite;
                    continue;
                }
            }

            if (combiningClass == 0)
            {
                starter = written;
            }

            lastClass = combiningClass;
            codePoints[written++] = codePoint;
        }

        return written;
    }

    private static bool TryCompose(int first, int second, out int composite)
    {
        var lIndex = first - HangulLBase;
        var vIndex = second - HangulVBase;
        if (lIndex is >= 0 and < HangulLCount && vIndex is >= 0 and < HangulVCount)
        {
            composite = HangulSBase + (lIndex * HangulVCount + vIndex) * HangulTCount;
            return true;
        }

        var sIndex = first - HangulSBase;
        var tIndex = second - HangulTBase;
        if (sIndex is >= 0 and < HangulSCount && sIndex % HangulTCount == 0 && tIndex is > 0 and < HangulTCount)
        {
            composite = first + tIndex;
            return true;
        }

        return Compositions.TryGetValue(PairKey(first, second), out composite);
    }

    private static string ToUtf16(ReadOnlySpan<int> codePoints, string original)
    {
        var builder = new StringBuilder(original.Length);
        foreach (var codePoint in codePoints)
        {
            builder.Append(new Rune(codePoint).ToString());
        }

        var result = builder.ToString();
        return result == original ? original : result;
    }

    private static byte CombiningClassOf(int codePoint) =>
        codePoint < FirstUnstable ? (byte)0 : CombiningClasses.GetValueOrDefault(codePoint);

    private static long PairKey(int first, int second) => ((long)first << 21) | (uint)second;

    private static FrozenDictionary<int, byte> BuildCombiningClasses()
    {
        var table = NfcData.CombiningClasses;
        var map = new Dictionary<int, byte>(table.Length / 2);
        for (var i = 0; i < table.Length; i += 2)
        {
            map[table[i]] = (byte)table[i + 1];
        }

        return map.ToFrozenDictionary();
    }

    private static FrozenDictionary<int, (int Start, int Length)> BuildDecompositions(out int[] data)
    {
        var table = NfcData.Decompositions;
        data = table.ToArray();
        var map = new Dictionary<int, (int, int)>();
        for (var i = 0; i < table.Length; i += 2 + table[i + 1])
        {
            map[table[i]] = (i + 2, table[i + 1]);
        }

        return map.ToFrozenDictionary();
    }

    private static FrozenDictionary<long, int> BuildCompositions(out FrozenSet<int> seconds)
    {
        var table = NfcData.Compositions;
        var map = new Dictionary<long, int>(table.Length / 3);
        var secondSet = new HashSet<int>();
        for (var i = 0; i < table.Length; i += 3)
        {
            map[PairKey(table[i], table[i + 1])] = table[i + 2];
            secondSet.Add(table[i + 1]);
        }

        seconds = secondSet.ToFrozenSet();
        return map.ToFrozenDictionary();
    }
}
