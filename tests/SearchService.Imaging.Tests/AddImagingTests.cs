using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SearchService.Core.Images;
using SearchService.Core.Models;
using SearchService.Imaging.Tests.Support;
using SearchService.Inference.Imaging;
using SearchService.Testing;
using Xunit;

namespace SearchService.Imaging.Tests;

/// <summary>AddImaging in a real host: options bound and validated at start-up, the preparer built for the model.</summary>
public sealed class AddImagingTests : IDisposable
{
    private readonly CollectingLoggerProvider logs = new();

    public void Dispose() => logs.Dispose();

    [Fact]
    public async Task The_preparer_follows_the_model_and_the_configuration()
    {
        var model = Model(Preparers.Clip224 with { Size = 96 });
        using var host = Build(new() { ["Imaging:ThumbnailFormat"] = "jpeg", ["Imaging:MaxPixels"] = "1000000" }, model);
        await host.StartAsync();

        var preparer = host.Services.GetRequiredService<IImagePreparer>();
        Assert.Same(preparer, host.Services.GetRequiredService<IImagePreparer>());
        var prepared = preparer.Prepare(await File.ReadAllBytesAsync(Path.Combine(Preparers.Photos, "coffee.png")), new PrepareOptions(64), CancellationToken.None);
        Assert.Equal(3 * 96 * 96, prepared.Tensor.Length);
        Assert.Equal("image/jpeg", prepared.ThumbnailMimeType);
        Assert.Equal([0xFF, 0xD8, 0xFF], prepared.Thumbnail[..3]);
        var big = await File.ReadAllBytesAsync(Path.Combine(Preparers.Photos, "ng-32703.jpg"));
        Assert.Equal(ImageRejectionReason.TooLarge, Assert.Throws<ImageRejectedException>(() => preparer.Probe(big)).Reason);
        Assert.Contains(logs.Entries, entry => entry.EventId == 3100 && entry.Message.Contains("libvips 8.", StringComparison.Ordinal));

        // libvips's own warnings reach the host's logging instead of standard error.
        preparer.Prepare(await File.ReadAllBytesAsync(Path.Combine(Preparers.EdgeCases, "formats", "hopper.heif")), new PrepareOptions(0), CancellationToken.None);
        Assert.Contains(logs.Entries, entry => entry.EventId == 3101 && entry.Level == LogLevel.Warning && entry.Message.Contains("heifload", StringComparison.Ordinal));
        await host.StopAsync();
    }

    [Theory]
    [InlineData("Imaging:MaxPixels", "0", "Imaging:MaxPixels must be between")]
    [InlineData("Imaging:MaxSide", "-5", "Imaging:MaxSide must be between")]
    [InlineData("Imaging:ThumbnailQuality", "101", "Imaging:ThumbnailQuality must be between 1 and 100")]
    [InlineData("Imaging:VipsConcurrency", "0", "Imaging:VipsConcurrency must be between")]
    [InlineData("Imaging:LibraryPath", "/nonexistent/libvips.so.42", "is neither a file nor a folder")]
    public async Task Bad_configuration_fails_at_start_up_naming_the_key(string key, string value, string message)
    {
        using var host = Build(new() { [key] = value }, Model(Preparers.Clip224));
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_thumbnail_format_fails_at_start_up()
    {
        using var host = Build(new() { ["Imaging:ThumbnailFormat"] = "gif" }, Model(Preparers.Clip224));
        await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());
    }

    private IHost Build(Dictionary<string, string?> settings, ModelDescriptor model)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        builder.Logging.AddProvider(logs);
        builder.Services.AddSingleton(model);
        builder.Services.AddImaging(builder.Configuration);
        return builder.Build();
    }

    private static ModelDescriptor Model(ImagePreprocessing preprocessing) => new("test-model", 32, 77, preprocessing, 100, "cpu", IsDemo: false);
}
