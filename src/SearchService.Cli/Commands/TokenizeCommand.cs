using System.Text.Json;
using SearchService.Cli.Framework;
using SearchService.Inference.Models;

namespace SearchService.Cli.Commands;

/// <summary><c>tokenize --model DIR --text T [--text T…]</c> → one JSON array of id arrays (context length each).</summary>
internal sealed class TokenizeCommand : ICliCommand
{
    public string Name => "tokenize";

    public string Summary => "Token ids of texts, as the text encoder receives them (JSON array of arrays).";

    public IReadOnlyList<CliOption> Options { get; } =
    [
        new("model", "DIR", "Model folder in the Immich layout (its config.json and textual/tokenizer.json are read).", Required: true),
        new("text", "TEXT", "A text to tokenise.", Required: true, Repeatable: true),
    ];

    public async Task<int> RunAsync(CliArguments arguments, CliContext context, CancellationToken cancellationToken)
    {
        var tokenizer = ClipModel.LoadTokenizer(ModelArguments.Folder(arguments));
        var ids = arguments.Values("text").Select(tokenizer.Encode).ToArray();
        await context.Out.WriteLineAsync(JsonSerializer.Serialize(ids, CliJson.Compact));
        return SearchCtl.Success;
    }
}
