using System.Buffers;

namespace SearchService.Inference.Tokenization;

/// <summary>
/// Finds added tokens (such as <c>&lt;|endoftext|&gt;</c>) in text the way the library's Aho-Corasick
/// automaton does: leftmost match first, the longest token at that position, then on after it.
/// </summary>
internal sealed class AddedTokenMatcher
{
    private readonly (string Content, int Id)[] tokens;
    private readonly SearchValues<char> firstChars;

    public AddedTokenMatcher(IEnumerable<(string Content, int Id)> tokens)
    {
        this.tokens = [.. tokens.Where(t => t.Content.Length > 0).OrderByDescending(t => t.Content.Length)];
        firstChars = SearchValues.Create([.. this.tokens.Select(t => t.Content[0]).Distinct()]);
    }

    public bool IsEmpty => tokens.Length == 0;

    /// <summary>The next token at or after <paramref name="from"/>; false when there is none.</summary>
    public bool TryFindNext(ReadOnlySpan<char> text, int from, out int start, out int length, out int id)
    {
        var p = from;
        while (p < text.Length)
        {
            var offset = text[p..].IndexOfAny(firstChars);
            if (offset < 0)
            {
                break;
            }

            p += offset;
            var rest = text[p..];
            foreach (var (content, tokenId) in tokens)
            {
                if (rest.StartsWith(content, StringComparison.Ordinal))
                {
                    (start, length, id) = (p, content.Length, tokenId);
                    return true;
                }
            }

            p++;
        }

        (start, length, id) = (0, 0, -1);
        return false;
    }
}
