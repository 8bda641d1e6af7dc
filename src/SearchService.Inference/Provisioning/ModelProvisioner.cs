using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SearchService.Inference.Models;

namespace SearchService.Inference.Provisioning;

/// <summary>
/// Decides which model folder to run: <c>Model:Path</c>; else <c>Model:Root</c>/<c>Model:Name</c>, downloaded when
/// missing and allowed; else the bundled demo model with a warning that says what to do. Decided once per process.
/// </summary>
public sealed class ModelProvisioner(IOptions<ModelOptions> options, HuggingFaceModelDownloader downloader, ILogger<ModelProvisioner> logger) : IDisposable
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private ModelProvisioning? result;

    /// <summary>The decision, once made.</summary>
    public ModelProvisioning? Current => result;

    /// <exception cref="ModelUnavailableException">Nothing can run: the model is missing and the demo fallback is off or absent.</exception>
    public async Task<ModelProvisioning> ProvisionAsync(CancellationToken cancellationToken)
    {
        if (result is { } done)
        {
            return done;
        }

        await gate.WaitAsync(cancellationToken);
        try
        {
            if (result is null)
            {
                result = await DecideAsync(options.Value, cancellationToken);
                InferenceLog.ModelFolderChosen(logger, result.Folder, result.Source);
            }

            return result;
        }
        finally
        {
            gate.Release();
        }
    }

    public void Dispose() => gate.Dispose();

    private async Task<ModelProvisioning> DecideAsync(ModelOptions model, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(model.Path))
        {
            var configured = Path.GetFullPath(model.Path);
            return new ModelProvisioning(configured, ModelSource.Configured, new DirectoryInfo(configured).Name);
        }

        var folder = Path.Combine(model.ResolvedRoot, model.Name);
        if (Directory.Exists(folder))
        {
            return new ModelProvisioning(folder, ModelSource.Found, model.Name);
        }

        string reason;
        if (model.AllowDownload)
        {
            try
            {
                InferenceLog.DownloadStarting(logger, model.Name, folder, model.DownloadBaseUrl);
                await downloader.DownloadAsync(new Uri(model.DownloadBaseUrl), model.Name, folder, model.DownloadStallTimeout, cancellationToken);
                InferenceLog.DownloadCompleted(logger, model.Name, folder);
                return new ModelProvisioning(folder, ModelSource.Downloaded, model.Name);
            }
            catch (ModelDownloadException error)
            {
                InferenceLog.DownloadFailed(logger, model.Name, error.Message);
                reason = $"it is not in {folder} and the download failed: {error.Message}";
            }
        }
        else
        {
            reason = $"it is not in {folder} and Model:AllowDownload is false.";
        }

        var advice =
            $"To use {model.Name}: allow this machine to reach {model.DownloadBaseUrl.TrimEnd('/')}/{model.Name} (Model:AllowDownload=true), " +
            $"or copy the model's files ({string.Join(", ", ModelLayout.RequiredFiles)}) into {folder}, or set Model:Path to a model folder.";
        var demo = model.ResolvedDemoPath;
        if (model.FallbackToDemo && Directory.Exists(demo))
        {
            InferenceLog.DemoFallback(logger, demo, model.Name, reason, advice);
            return new ModelProvisioning(demo, ModelSource.DemoFallback, model.Name, $"Model {model.Name} is unavailable: {reason} {advice}");
        }

        var demoNote = model.FallbackToDemo ? $" (the demo model is not at {demo} either)" : " (Model:FallbackToDemo is false)";
        throw new ModelUnavailableException($"Model {model.Name} is unavailable{demoNote}: {reason} {advice}");
    }
}
