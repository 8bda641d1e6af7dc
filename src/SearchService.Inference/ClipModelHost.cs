using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SearchService.Inference.Models;
using SearchService.Inference.Onnx;
using SearchService.Inference.Provisioning;

namespace SearchService.Inference;

/// <summary>
/// Holds the one <see cref="ClipModel"/> of the process: provisions its folder (maybe downloading), loads it once and
/// owns it. <see cref="InferenceStartup"/> does this while the host starts; anything resolved earlier loads it then.
/// </summary>
public sealed class ClipModelHost(
    ModelProvisioner provisioner,
    OrtRuntimeHost runtime,
    IOptions<InferenceOptions> options,
    ILogger<ClipModel> logger) : IDisposable
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private ClipModel? model;

    /// <summary>The loaded model; loads it (blocking) when start-up has not yet.</summary>
    public ClipModel Model => model ?? LoadAsync(CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>Which folder runs and why (e.g. the demo fallback and what to do about it); null before loading.</summary>
    public ModelProvisioning? Provisioning => provisioner.Current;

    public async Task<ClipModel> LoadAsync(CancellationToken cancellationToken)
    {
        if (model is { } loaded)
        {
            return loaded;
        }

        await gate.WaitAsync(cancellationToken);
        try
        {
            if (model is null)
            {
                var provisioning = await provisioner.ProvisionAsync(cancellationToken);
                var sessions = new OnnxSessionFactory(runtime.Runtime, options.Value, logger);
                model = ClipModel.Load(provisioning.Folder, sessions, options.Value, logger);
            }

            return model;
        }
        finally
        {
            gate.Release();
        }
    }

    public void Dispose()
    {
        model?.Dispose();
        gate.Dispose();
    }
}

/// <summary>Loads the model while the host starts, so a broken model stops start-up and the first request does not wait.</summary>
internal sealed class InferenceStartup(ClipModelHost host) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => host.LoadAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
