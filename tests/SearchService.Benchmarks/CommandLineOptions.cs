using System.Globalization;

namespace SearchService.Benchmarks;

/// <summary>The <c>--name value</c> options of the benchmarks that have their own commands.</summary>
internal static class CommandLineOptions
{
    /// <summary>The value after <paramref name="name"/>, or <paramref name="fallback"/> when the option or its value is missing.</summary>
    public static string Value(string[] args, string name, string fallback) => Find(args, name) ?? fallback;

    /// <summary>The positive integer after <paramref name="name"/>; <paramref name="fallback"/> when it is missing, not a number or not positive.</summary>
    public static int PositiveInt(string[] args, string name, int fallback) =>
        int.TryParse(Find(args, name), CultureInfo.InvariantCulture, out var value) && value > 0 ? value : fallback;

    private static string? Find(string[] args, string name)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
    }
}
