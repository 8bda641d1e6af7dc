using System.Text.Json;
using SearchService.Cli.Framework;

namespace SearchService.Cli.Commands;

/// <summary><c>embed --model DIR --text T [--text T…]</c> → one JSON object per line: <c>{"text": …, "embedding": […]}</c>.</summary>
internal sealed class EmbedCommand : ICliCommand
{
    public string Name => "embed";

    public string Summary => "L2-normalised embeddings, one JSON object per line.";

    public IReadOnlyList<CliOption> Options { get; } =
    [
        .. ModelArguments.Options,
        new("text", "TEXT", "A text to embed.", Repeatable: true),
    ];

    public async Task<int> RunAsync(CliArguments arguments, CliContext context, CancellationToken cancellationToken)
    {
        var texts = arguments.Values("text");
        if (texts.Count == 0)
        {
            throw new CliUsageException("embed: give at least one --text.");
        }

        await using var loaded = await ModelArguments.LoadAsync(arguments, context, cancellationToken);
        var embeddings = await loaded.Model.TextEncoder.EncodeAsync(texts, cancellationToken);
        for (var i = 0; i < texts.Count; i++)
        {
            await context.Out.WriteLineAsync(JsonSerializer.Serialize(new { text = texts[i], embedding = embeddings[i] }, CliJson.Compact));
        }

        return SearchCtl.Success;
    }
}
