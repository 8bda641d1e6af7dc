using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SearchService.Core.Models;
using SearchService.Inference.Models;
using SearchService.Inference.Onnx;
using SearchService.Inference.Provisioning;

namespace SearchService.Inference;

public static class InferenceServiceCollectionExtensions
{
    /// <summary>
    /// Registers the CLIP model and its encoders: <see cref="ModelDescriptor"/>, <see cref="ITextEncoder"/>,
    /// <see cref="IImageEncoder"/>, <see cref="ClipModel"/> and <see cref="ClipModelHost"/> (singletons), bound from the
    /// <c>Inference</c> and <c>Model</c> sections and validated at start-up. A hosted service provisions and loads the
    /// model while the host starts. <c>Model:Root</c> defaults to <c>Storage:DataPath</c>/models.
    /// </summary>
    public static IServiceCollection AddInference(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<InferenceOptions>().Bind(configuration.GetSection(InferenceOptions.SectionName)).ValidateOnStart();
        services.AddOptions<ModelOptions>()
            .Bind(configuration.GetSection(ModelOptions.SectionName))
            .PostConfigure(model =>
            {
                if (string.IsNullOrWhiteSpace(model.Root) && configuration["Storage:DataPath"] is { Length: > 0 } dataPath)
                {
                    model.Root = Path.Combine(dataPath, "models");
                }
            })
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<InferenceOptions>, InferenceOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ModelOptions>, ModelOptionsValidator>());

        services.AddHttpClient<HuggingFaceModelDownloader>(client =>
            {
                client.Timeout = Timeout.InfiniteTimeSpan;
                client.DefaultRequestHeaders.UserAgent.ParseAdd("SearchService/1.0");
            })
            .ConfigurePrimaryHttpMessageHandler(HuggingFaceModelDownloader.CreateHandler);
        services.TryAddSingleton<OrtRuntimeHost>();
        services.TryAddSingleton<ModelProvisioner>();
        services.TryAddSingleton<ClipModelHost>();
        services.TryAddSingleton(provider => provider.GetRequiredService<ClipModelHost>().Model);
        services.TryAddSingleton(provider => provider.GetRequiredService<ClipModel>().Descriptor);
        services.TryAddSingleton<ITextEncoder>(provider => provider.GetRequiredService<ClipModel>().TextEncoder);
        services.TryAddSingleton<IImageEncoder>(provider => provider.GetRequiredService<ClipModel>().ImageEncoder);
        services.AddHostedService<InferenceStartup>();
        return services;
    }
}
