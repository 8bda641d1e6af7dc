using Microsoft.Extensions.DependencyInjection;
using SearchService.Cli.Framework;
using SearchService.Core.Images;
using SearchService.Inference;
using SearchService.Inference.Imaging;
using SearchService.Inference.Models;
using SearchService.Inference.Onnx;

namespace SearchService.Cli.Commands;

/// <summary>The options of commands that run a model folder, mapped onto the service's configuration keys.</summary>
internal static class ModelArguments
{
    public static IReadOnlyList<CliOption> Options { get; } =
    [
        new("model", "DIR", "Model folder in the Immich layout (config.json, textual/, visual/).", Required: true),
        new("provider", "cpu|cuda", "Execution provider (Inference:ExecutionProvider; default cpu)."),
        new("device", "N", "CUDA device id (Inference:DeviceId)."),
        new("require-cuda", null, "Fail instead of running on CPU when CUDA cannot be used."),
        new("threads", "N", "Threads per operator; 0 lets ONNX Runtime choose (Inference:IntraOpThreads)."),
    ];

    /// <summary>The model folder, which must exist.</summary>
    public static string Folder(CliArguments arguments)
    {
        var folder = Path.GetFullPath(arguments.Required("model"));
        return Directory.Exists(folder) ? folder : throw new CliUsageException($"--model {folder} is not a folder.");
    }

    /// <summary>
    /// Loads the model through the same registrations the API uses (<c>AddInference</c>, and <c>AddImaging</c> when
    /// <paramref name="imaging"/> is set, so <c>Imaging:*</c> keys apply).
    /// </summary>
    public static async Task<LoadedModel> LoadAsync(CliArguments arguments, CliContext context, CancellationToken cancellationToken, bool imaging = false)
    {
        var services = context.BuildServices(arguments, Overrides(arguments), (collection, configuration) =>
        {
            collection.AddInference(configuration);
            if (imaging)
            {
                collection.AddImaging(configuration);
            }
        });
        try
        {
            var host = services.GetRequiredService<ClipModelHost>();
            var model = await host.LoadAsync(cancellationToken);
            return new LoadedModel(services, model, services.GetRequiredService<OrtRuntimeHost>());
        }
        catch
        {
            await services.DisposeAsync();
            throw;
        }
    }

    /// <summary>The configuration keys these options set (<c>Model:Path</c>, <c>Inference:*</c>).</summary>
    public static Dictionary<string, string?> Overrides(CliArguments arguments)
    {
        var overrides = new Dictionary<string, string?> { ["Model:Path"] = Folder(arguments) };
        switch (arguments.Value("provider"))
        {
            case null:
                break;
            case "cpu":
            case "cuda":
                overrides["Inference:ExecutionProvider"] = arguments.Value("provider");
                break;
            case var other:
                throw new CliUsageException($"--provider must be cpu or cuda, got '{other}'.");
        }

        if (arguments.Int("device", 0, 64) is { } device)
        {
            overrides["Inference:DeviceId"] = device.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (arguments.Flag("require-cuda"))
        {
            overrides["Inference:RequireCuda"] = "true";
        }

        if (arguments.Int("threads", 0, 1024) is { } threads)
        {
            overrides["Inference:IntraOpThreads"] = threads.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return overrides;
    }
}

/// <summary>A loaded model and the services that own it; dispose after the command.</summary>
internal sealed class LoadedModel(ServiceProvider services, ClipModel model, OrtRuntimeHost runtime) : IAsyncDisposable
{
    public ClipModel Model => model;

    public OrtRuntimeHost Runtime => runtime;

    /// <summary>The image preparer for this model (only when loaded with imaging).</summary>
    public IImagePreparer ImagePreparer => services.GetRequiredService<IImagePreparer>();

    public ValueTask DisposeAsync() => services.DisposeAsync();
}
