using System.Globalization;

namespace SearchService.Cli.Framework;

/// <summary>A command's parsed options. Everything was checked against the command's option list while parsing.</summary>
public sealed class CliArguments
{
    private readonly Dictionary<string, List<string>> values;
    private readonly HashSet<string> flags;

    private CliArguments(Dictionary<string, List<string>> values, HashSet<string> flags)
    {
        this.values = values;
        this.flags = flags;
    }

    public bool Flag(string name) => flags.Contains(name);

    public string? Value(string name) => values.TryGetValue(name, out var list) ? list[^1] : null;

    public IReadOnlyList<string> Values(string name) => values.TryGetValue(name, out var list) ? list : [];

    public string Required(string name) => Value(name) ?? throw new CliUsageException($"--{name} is required.");

    public int? Int(string name, int minimum, int maximum)
    {
        var text = Value(name);
        if (text is null)
        {
            return null;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) && number >= minimum && number <= maximum
            ? number
            : throw new CliUsageException($"--{name} must be a whole number from {minimum} to {maximum}, got '{text}'.");
    }

    /// <summary>Parses <c>--name value</c>, <c>--name=value</c> and flags; rejects unknown, missing and repeated options.</summary>
    public static CliArguments Parse(IReadOnlyList<string> arguments, IReadOnlyList<CliOption> options, string command)
    {
        var byName = options.Where(option => !option.Positional).ToDictionary(option => option.Name, StringComparer.Ordinal);
        var positionals = new Queue<CliOption>(options.Where(option => option.Positional));
        var values = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var flags = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < arguments.Count; i++)
        {
            var argument = arguments[i];
            if (!argument.StartsWith("--", StringComparison.Ordinal) || argument.Length == 2)
            {
                if (argument == "--" || !positionals.TryDequeue(out var positional))
                {
                    throw new CliUsageException($"{command}: unexpected argument '{argument}'.");
                }

                values[positional.Name] = [argument];
                continue;
            }

            var name = argument[2..];
            string? inlineValue = null;
            var equals = name.IndexOf('=', StringComparison.Ordinal);
            if (equals >= 0)
            {
                inlineValue = name[(equals + 1)..];
                name = name[..equals];
            }

            if (!byName.TryGetValue(name, out var option))
            {
                throw new CliUsageException($"{command}: unknown option --{name}.");
            }

            if (option.IsFlag)
            {
                if (inlineValue is not null)
                {
                    throw new CliUsageException($"{command}: --{name} takes no value.");
                }

                flags.Add(name);
                continue;
            }

            var value = inlineValue ?? (i + 1 < arguments.Count ? arguments[++i] : throw new CliUsageException($"{command}: --{name} needs a {option.ValueName}."));
            if (!values.TryGetValue(name, out var list))
            {
                values[name] = list = [];
            }
            else if (!option.Repeatable)
            {
                throw new CliUsageException($"{command}: --{name} may be given only once.");
            }

            list.Add(value);
        }

        if (!flags.Contains("help"))
        {
            foreach (var option in options.Where(option => option.Required && !values.ContainsKey(option.Name)))
            {
                throw new CliUsageException(option.Positional
                    ? $"{command}: {option.ValueName} is required."
                    : $"{command}: --{option.Name} {option.ValueName} is required.");
            }
        }

        return new CliArguments(values, flags);
    }
}
