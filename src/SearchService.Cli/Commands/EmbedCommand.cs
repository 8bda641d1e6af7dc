using System.Text.Json;
using SearchService.Cli.Framework;

namespace SearchService.Cli.Commands;

/// <summary>
/// <c>embed --model DIR [--text T…] [--image FILE…]</c> → one JSON object per line: <c>{"text": …, "embedding": […]}</c>
/// for each text, then <c>{"image": …, "embedding": […]}</c> for each image that could be read. An image that
/// cannot gets one error line and makes the exit code 1; the others are still embedded.
/// </summary>
internal sealed class EmbedCommand : ICliCommand
{
    public string Name => "embed";

    public string Summary => "L2-normalised embeddings of texts and images, one JSON object per line.";

    public IReadOnlyList<CliOption> Options { get; } =
    [
        .. ModelArguments.Options,
        new("text", "TEXT", "A text to embed.", Repeatable: true),
        new("image", "FILE", "An image file to embed.", Repeatable: true),
    ];

    public async Task<int> RunAsync(CliArguments arguments, CliContext context, CancellationToken cancellationToken)
    {
        var texts = arguments.Values("text");
        var images = arguments.Values("image");
        if (texts.Count == 0 && images.Count == 0)
        {
            throw new CliUsageException("embed: give at least one --text or --image.");
        }

        await using var loaded = await ModelArguments.LoadAsync(arguments, context, cancellationToken, imaging: images.Count > 0);
        if (texts.Count > 0)
        {
            var embeddings = await loaded.Model.TextEncoder.EncodeAsync(texts, cancellationToken);
            for (var i = 0; i < texts.Count; i++)
            {
                await context.Out.WriteLineAsync(JsonSerializer.Serialize(new { text = texts[i], embedding = embeddings[i] }, CliJson.Compact));
            }
        }

        return images.Count == 0 ? SearchCtl.Success : await EmbedImagesAsync(images, loaded, context, cancellationToken);
    }

    private static async Task<int> EmbedImagesAsync(IReadOnlyList<string> images, LoadedModel loaded, CliContext context, CancellationToken cancellationToken)
    {
        var prepared = new List<(string Image, float[] Tensor)>();
        var failed = false;
        foreach (var image in images)
        {
            var (tensor, error) = await ImageFiles.PrepareAsync(loaded.ImagePreparer, image, cancellationToken);
            if (tensor is null)
            {
                await context.Error.WriteLineAsync($"searchctl: error: {error}");
                failed = true;
                continue;
            }

            prepared.Add((image, tensor));
        }

        if (prepared.Count > 0)
        {
            var embeddings = await loaded.Model.ImageEncoder.EncodeAsync([.. prepared.Select(item => new ReadOnlyMemory<float>(item.Tensor))], cancellationToken);
            for (var i = 0; i < prepared.Count; i++)
            {
                await context.Out.WriteLineAsync(JsonSerializer.Serialize(new { image = prepared[i].Image, embedding = embeddings[i] }, CliJson.Compact));
            }
        }

        return failed ? SearchCtl.Failure : SearchCtl.Success;
    }
}
