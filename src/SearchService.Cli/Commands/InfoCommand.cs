using System.Text.Json;
using SearchService.Cli.Framework;

namespace SearchService.Cli.Commands;

/// <summary><c>info --model DIR</c> → what the model is and how it runs here, as JSON.</summary>
internal sealed class InfoCommand : ICliCommand
{
    public string Name => "info";

    public string Summary => "Model facts (dimensions, context length, image size, batch modes, demo flag) and execution providers, as JSON.";

    public IReadOnlyList<CliOption> Options => ModelArguments.Options;

    public async Task<int> RunAsync(CliArguments arguments, CliContext context, CancellationToken cancellationToken)
    {
        await using var loaded = await ModelArguments.LoadAsync(arguments, context, cancellationToken);
        var model = loaded.Model;
        var descriptor = model.Descriptor;
        var info = new
        {
            name = descriptor.Name,
            folder = model.Folder,
            demo = descriptor.IsDemo,
            description = model.Description,
            embeddingDimensions = descriptor.EmbeddingDimensions,
            contextLength = descriptor.ContextLength,
            imageSize = descriptor.Preprocessing.Size,
            preprocessing = new
            {
                resizeMode = descriptor.Preprocessing.ResizeMode.ToString().ToLowerInvariant(),
                interpolation = descriptor.Preprocessing.Interpolation.ToString().ToLowerInvariant(),
                mean = descriptor.Preprocessing.Mean,
                std = descriptor.Preprocessing.Std,
            },
            logitScale = descriptor.LogitScale,
            collection = descriptor.CollectionName,
            batch = new { text = model.TextBatchMode, image = model.ImageBatchMode },
            graphs = new { text = model.TextSignature, image = model.ImageSignature },
            providers = new { available = model.AvailableProviders, used = descriptor.ExecutionProvider },
            onnxRuntime = new { version = loaded.Runtime.Runtime.Version, library = loaded.Runtime.Runtime.LibraryPath },
        };
        await context.Out.WriteLineAsync(JsonSerializer.Serialize(info, CliJson.Indented));
        return SearchCtl.Success;
    }
}
