using System.Text;

namespace SearchService.Inference.Tokenization;

/// <summary>
/// What Immich does to a query before its tokenizer sees it: <c>" ".join(text.split())</c>, which collapses
/// and trims Python's white space. That set is the tokenizer's white space plus U+001C–U+001F (the C0
/// information separators), so this changes ids only for text containing those four characters.
/// </summary>
public static class ImmichTextCleaner
{
    public static string Clean(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var builder = new StringBuilder(text.Length);
        foreach (var word in text.Split(IsPythonWhiteSpace))
        {
            if (builder.Length > 0)
            {
                builder.Append(' ');
            }

            builder.Append(word);
        }

        var cleaned = builder.ToString();
        return cleaned == text ? text : cleaned;
    }

    /// <summary>Python's <c>str.isspace</c>: Unicode White_Space and the separators U+001C–U+001F.</summary>
    public static bool IsPythonWhiteSpace(char c) => char.IsWhiteSpace(c) || c is >= '\u001c' and <= '\u001f';

    private static IEnumerable<string> Split(this string text, Func<char, bool> isSeparator)
    {
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var separator = i == text.Length || isSeparator(text[i]);
            if (!separator && start < 0)
            {
                start = i;
            }
            else if (separator && start >= 0)
            {
                yield return text[start..i];
                start = -1;
            }
        }
    }
}
