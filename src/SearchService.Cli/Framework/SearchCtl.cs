using Microsoft.Extensions.Options;

namespace SearchService.Cli.Framework;

/// <summary>
/// The command runner: <c>searchctl COMMAND [--option value]...</c>. Exit codes: 0 done, 1 the work failed, 2 bad
/// command line or configuration, 130 cancelled. Every failure is one line on the error stream.
/// </summary>
public static class SearchCtl
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int Usage = 2;
    public const int Cancelled = 130;

    /// <summary>Options every command takes.</summary>
    public static IReadOnlyList<CliOption> CommonOptions { get; } =
    [
        new("set", "KEY=VALUE", "Override a configuration key (as in appsettings.json, ':' between sections).", Repeatable: true),
        new("verbose", null, "Log progress to the error stream, not only warnings."),
        new("help", null, "Show this command's options."),
    ];

    public static async Task<int> RunAsync(IReadOnlyList<string> arguments, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (arguments.Count == 0 || arguments[0] is "--help" or "-h" or "help")
        {
            WriteOverview(arguments.Count == 0 ? error : output);
            return arguments.Count == 0 ? Usage : Success;
        }

        var command = CommandTable.Commands.FirstOrDefault(candidate => candidate.Name == arguments[0]);
        if (command is null)
        {
            await error.WriteLineAsync($"searchctl: error: unknown command '{arguments[0]}'; commands: {string.Join(", ", CommandTable.Commands.Select(c => c.Name))}.");
            return Usage;
        }

        var options = command.Options.Concat(CommonOptions).ToList();
        try
        {
            var parsed = CliArguments.Parse([.. arguments.Skip(1)], options, command.Name);
            if (parsed.Flag("help"))
            {
                WriteCommandHelp(output, command, options);
                return Success;
            }

            return await command.RunAsync(parsed, new CliContext(output, error), cancellationToken);
        }
        catch (CliUsageException usage)
        {
            await error.WriteLineAsync($"searchctl: error: {OneLine(usage.Message)} (see 'searchctl {command.Name} --help')");
            return Usage;
        }
        catch (OptionsValidationException invalid)
        {
            await error.WriteLineAsync($"searchctl: error: invalid configuration: {OneLine(string.Join(" ", invalid.Failures))}");
            return Usage;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await error.WriteLineAsync("searchctl: cancelled");
            return Cancelled;
        }
        catch (Exception failure) when (failure is not OutOfMemoryException)
        {
            await error.WriteLineAsync($"searchctl: error: {OneLine(failure.Message)}");
            return Failure;
        }
    }

    private static string OneLine(string message) => string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private static void WriteOverview(TextWriter writer)
    {
        writer.WriteLine("usage: searchctl COMMAND [options]   (searchctl COMMAND --help for its options)");
        writer.WriteLine();
        var width = CommandTable.Commands.Max(command => command.Name.Length);
        foreach (var command in CommandTable.Commands)
        {
            writer.WriteLine($"  {command.Name.PadRight(width)}  {command.Summary}");
        }
    }

    private static void WriteCommandHelp(TextWriter writer, ICliCommand command, IReadOnlyList<CliOption> options)
    {
        var positionals = string.Concat(options.Where(option => option.Positional).Select(option => option.Required ? $" {option.ValueName}" : $" [{option.ValueName}]"));
        writer.WriteLine($"usage: searchctl {command.Name}{positionals} [options]");
        writer.WriteLine($"  {command.Summary}");
        if (command.Details is { } details)
        {
            writer.WriteLine();
            writer.WriteLine(details);
        }

        writer.WriteLine();
        var labels = options.Select(option => option.Positional ? option.ValueName! : option.IsFlag ? $"--{option.Name}" : $"--{option.Name} {option.ValueName}").ToList();
        var width = labels.Max(label => label.Length);
        for (var i = 0; i < options.Count; i++)
        {
            var notes = (options[i].Required ? " (required)" : string.Empty) + (options[i].Repeatable ? " (repeatable)" : string.Empty);
            writer.WriteLine($"  {labels[i].PadRight(width)}  {options[i].Help}{notes}");
        }
    }
}
