using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SearchService.Core.Images;
using SearchService.Core.Models;
using SearchService.Interop.Vips;

namespace SearchService.Inference.Imaging;

public static class ImagingServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="ImagingOptions"/> (section <c>Imaging</c>, validated at start-up) and
    /// <see cref="IImagePreparer"/> as a singleton <see cref="VipsImagePreparer"/> built for the registered
    /// <see cref="ModelDescriptor"/>'s preprocessing (AddInference registers it). libvips's own warnings are logged
    /// under <see cref="VipsImagePreparer"/>'s category.
    /// </summary>
    public static IServiceCollection AddImaging(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<ImagingOptions>().Bind(configuration.GetSection(ImagingOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ImagingOptions>, ImagingOptionsValidator>());
        services.TryAddSingleton<VipsLogBridge>();
        services.TryAddSingleton<IImagePreparer>(provider =>
        {
            var options = provider.GetRequiredService<IOptions<ImagingOptions>>().Value;
            var preparer = new VipsImagePreparer(provider.GetRequiredService<ModelDescriptor>().Preprocessing, options);
            provider.GetRequiredService<VipsLogBridge>().Announce(preparer);
            return preparer;
        });
        return services;
    }
}

/// <summary>Forwards libvips's GLib messages to the host's logging for as long as the container lives.</summary>
internal sealed class VipsLogBridge : IDisposable
{
    private readonly ILogger logger;
    private readonly IDisposable sink;

    public VipsLogBridge(ILogger<VipsImagePreparer> logger)
    {
        this.logger = logger;
        sink = VipsRuntime.AddLogSink(message => ImagingLog.VipsMessage(logger, ToLogLevel(message.Level), message.Domain, message.Message));
    }

    internal void Announce(VipsImagePreparer preparer) =>
        ImagingLog.VipsLoaded(logger, VipsRuntime.Version, VipsRuntime.LibraryPath ?? "the system library path", preparer.SupportsHeif ? "available" : "not available");

    public void Dispose() => sink.Dispose();

    private static LogLevel ToLogLevel(VipsLogLevel level) => level switch
    {
        VipsLogLevel.Error => LogLevel.Error,
        VipsLogLevel.Warning => LogLevel.Warning,
        VipsLogLevel.Information => LogLevel.Information,
        _ => LogLevel.Debug,
    };
}
