using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using SearchService.Core.Storage;

namespace SearchService.Core.Search;

/// <summary>
/// Opaque continuation of a ranking: the next offset plus a fingerprint of the query it belongs to, so a
/// cursor replayed against another query is refused instead of returning a silently wrong page.
/// </summary>
internal static class SearchCursor
{
    private const int FingerprintBytes = 8;

    public static string Encode(int offset, ulong fingerprint)
    {
        Span<byte> bytes = stackalloc byte[4 + FingerprintBytes];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, offset);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes[4..], fingerprint);
        return Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    public static int Decode(string cursor, ulong fingerprint)
    {
        var base64 = cursor.Replace('-', '+').Replace('_', '/');
        base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
        Span<byte> bytes = stackalloc byte[16];
        if (!Convert.TryFromBase64String(base64, bytes, out var written) || written != 4 + FingerprintBytes)
        {
            throw new InvalidQueryException("cursor", "The cursor is not one this service issued.");
        }

        var offset = BinaryPrimitives.ReadInt32LittleEndian(bytes);
        if (offset < 0 || BinaryPrimitives.ReadUInt64LittleEndian(bytes[4..]) != fingerprint)
        {
            throw new InvalidQueryException("cursor", "The cursor belongs to a different query; repeat the query that issued it.");
        }

        return offset;
    }

    /// <summary>Identifies a query by its vector, score floor, filter and exclusions.</summary>
    public static ulong Fingerprint(ReadOnlySpan<float> vector, float? minScore, ImageFilter filter, IReadOnlyCollection<Guid>? exclude)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(vector));
        var text = new StringBuilder();
        text.Append(minScore?.ToString("R", System.Globalization.CultureInfo.InvariantCulture)).Append('|');
        AppendList(text, filter.TagsAny);
        AppendList(text, filter.TagsAll);
        foreach (var (key, value) in (filter.Metadata ?? new Dictionary<string, string>()).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            text.Append(key).Append('=').Append(value).Append('\u001f');
        }

        text.Append('|');
        foreach (var instant in new[] { filter.UploadedFrom, filter.UploadedTo, filter.TakenFrom, filter.TakenTo })
        {
            text.Append(instant?.UtcTicks).Append('|');
        }

        foreach (var id in (exclude ?? []).Order())
        {
            text.Append(id.ToString("N")).Append(',');
        }

        hash.AppendData(Encoding.UTF8.GetBytes(text.ToString()));
        Span<byte> digest = stackalloc byte[32];
        hash.GetHashAndReset(digest);
        return BinaryPrimitives.ReadUInt64LittleEndian(digest);
    }

    private static void AppendList(StringBuilder text, IReadOnlyList<string>? items)
    {
        foreach (var item in (items ?? []).Order(StringComparer.Ordinal))
        {
            text.Append(item).Append('\u001f');
        }

        text.Append('|');
    }
}
