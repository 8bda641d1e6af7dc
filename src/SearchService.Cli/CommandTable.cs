using SearchService.Cli.Commands;
using SearchService.Cli.Framework;

namespace SearchService.Cli;

/// <summary>Every searchctl command, in the order help lists them. A new command: one file in Commands/, one line here.</summary>
public static class CommandTable
{
    public static IReadOnlyList<ICliCommand> Commands { get; } =
    [
        new TokenizeCommand(),
        new EmbedCommand(),
        new PreprocessCommand(),
        new InfoCommand(),
        new IngestCommand(),
        new SearchCommand(),
        new MigrateCommand(),
        new ReindexCommand(),
    ];
}
