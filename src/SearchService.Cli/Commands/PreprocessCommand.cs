using SearchService.Cli.Framework;

namespace SearchService.Cli.Commands;

/// <summary><c>preprocess --model DIR --image FILE --out OUT.npy</c>: the visual model's input tensor, [1,3,H,W] float32.</summary>
internal sealed class PreprocessCommand : ICliCommand
{
    public string Name => "preprocess";

    public string Summary => "The model's input tensor for one image, as a float32 [1,3,H,W] .npy file.";

    public IReadOnlyList<CliOption> Options { get; } =
    [
        .. ModelArguments.Options,
        new("image", "FILE", "The image to preprocess.", Required: true),
        new("out", "OUT.npy", "Where to write the tensor.", Required: true),
    ];

    public async Task<int> RunAsync(CliArguments arguments, CliContext context, CancellationToken cancellationToken)
    {
        var image = arguments.Required("image");
        var output = Path.GetFullPath(arguments.Required("out"));
        if (Path.GetDirectoryName(output) is { } folder && !Directory.Exists(folder))
        {
            throw new CliUsageException($"--out: the folder {folder} does not exist.");
        }

        await using var loaded = await ModelArguments.LoadAsync(arguments, context, cancellationToken, imaging: true);
        var (tensor, error) = await ImageFiles.PrepareAsync(loaded.ImagePreparer, image, cancellationToken);
        if (tensor is null)
        {
            await context.Error.WriteLineAsync($"searchctl: error: {error}");
            return SearchCtl.Failure;
        }

        await NpyFile.WriteAsync(output, tensor, ImageFiles.Shape(loaded.Model.Descriptor.Preprocessing), cancellationToken);
        return SearchCtl.Success;
    }
}
