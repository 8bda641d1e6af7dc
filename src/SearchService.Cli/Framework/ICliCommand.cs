namespace SearchService.Cli.Framework;

/// <summary>One <c>searchctl</c> command. Each lives in its own file and is listed once in <see cref="CommandTable"/>.</summary>
public interface ICliCommand
{
    /// <summary>The word after <c>searchctl</c>.</summary>
    string Name { get; }

    /// <summary>One line for <c>searchctl --help</c>.</summary>
    string Summary { get; }

    /// <summary>Further paragraphs for <c>searchctl COMMAND --help</c> (modes, exit codes); null for none.</summary>
    string? Details => null;

    /// <summary>The options the command takes (the common ones, <c>--set</c>, <c>--verbose</c>, <c>--help</c>, are added for it).</summary>
    IReadOnlyList<CliOption> Options { get; }

    /// <summary>Runs with parsed arguments; returns the exit code. Throw <see cref="CliUsageException"/> for bad input.</summary>
    Task<int> RunAsync(CliArguments arguments, CliContext context, CancellationToken cancellationToken);
}

/// <summary>A <c>--name</c> option: a flag when <paramref name="ValueName"/> is null, else it takes one value.</summary>
/// <param name="Name">Without the dashes.</param>
/// <param name="ValueName">Shown in help (e.g. DIR); null for a flag.</param>
/// <param name="Help">One line.</param>
/// <param name="Required">Must be given.</param>
/// <param name="Repeatable">May be given more than once (values collect in order).</param>
/// <param name="Positional">Given without its name (<c>searchctl ingest PATH</c>): bare arguments fill positional options in order.</param>
public sealed record CliOption(string Name, string? ValueName, string Help, bool Required = false, bool Repeatable = false, bool Positional = false)
{
    public bool IsFlag => ValueName is null;
}

/// <summary>Bad command-line input: exit code 2 with this one-line message.</summary>
public sealed class CliUsageException(string message) : Exception(message);
