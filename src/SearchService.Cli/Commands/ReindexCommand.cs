using System.Globalization;
using SearchService.Cli.Framework;

namespace SearchService.Cli.Commands;

/// <summary><c>reindex --data DIR --model DIR</c>: embeds every stored original with the given model into that model's collection.</summary>
internal sealed class ReindexCommand : ICliCommand
{
    private const int ShownFailures = 20;

    public string Name => "reindex";

    public string Summary => "Embeds every stored original again with the given (new) model, into that model's collection; resumable.";

    public string Details =>
        """
          Each model has its own collection (name and dimension), so the old model's vectors stay usable until
          the service is started with the new model. Images that already have a vector in the new collection
          are skipped: an interrupted run continues, a repeated run changes nothing. Stop the service first.
          Exit code 1 when an original could not be read or decoded.
        """;

    public IReadOnlyList<CliOption> Options { get; } =
    [
        .. LocalLibrary.RequiredOptions,
        new("decode-threads", "N", "Originals decoded at once (default: one per core)."),
    ];

    public async Task<int> RunAsync(CliArguments arguments, CliContext context, CancellationToken cancellationToken)
    {
        var decode = arguments.Int("decode-threads", 1, 256) ?? Environment.ProcessorCount;
        var started = TimeProvider.System.GetTimestamp();
        await using var library = await LocalLibrary.OpenAsync(arguments, context, cancellationToken);
        var result = await new Reindexer(library, decode).RunAsync(ProgressBar.For(context.Error, "reindex"), cancellationToken);
        foreach (var failure in result.Failures.Take(ShownFailures))
        {
            await context.Error.WriteLineAsync($"searchctl: failed: {failure.ImageId} ({failure.FileName ?? "no name"}): {failure.Reason}");
        }

        await context.Out.WriteLineAsync(string.Create(
            CultureInfo.InvariantCulture,
            $"reindex {result.Collection.Name}: {result.Images} images: {result.Embedded} embedded, {result.AlreadyThere} already there, {result.Failures.Count} failed in {TimeProvider.System.GetElapsedTime(started).TotalSeconds:0.0} s"));
        return result.Failures.Count == 0 ? SearchCtl.Success : SearchCtl.Failure;
    }
}
