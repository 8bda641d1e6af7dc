using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SearchService.Core.Models;
using SearchService.Inference.Provisioning;
using SearchService.Inference.Tests.Support;
using SearchService.Testing;
using Xunit;

namespace SearchService.Inference.Tests.Provisioning;

/// <summary>AddInference in a real host: options validated at start-up, the model chosen, loaded and shared.</summary>
public sealed class AddInferenceTests : IDisposable
{
    private readonly CollectingLoggerProvider logs = new();
    private readonly TempFolder temp = new();

    public void Dispose()
    {
        temp.Dispose();
        logs.Dispose();
    }

    [Fact]
    public async Task A_configured_model_folder_is_loaded_at_start_up_and_shared()
    {
        using var host = Build(new() { ["Model:Path"] = TestModels.TinyDynamic, ["Inference:MaxBatchSize"] = "8" });

        await host.StartAsync();

        var descriptor = host.Services.GetRequiredService<ModelDescriptor>();
        var text = host.Services.GetRequiredService<ITextEncoder>();
        var image = host.Services.GetRequiredService<IImageEncoder>();
        Assert.Same(descriptor, text.Model);
        Assert.Same(descriptor, image.Model);
        Assert.Equal(8, image.PreferredBatchSize);
        Assert.Equal("tiny-random-clip", descriptor.Name);
        Assert.Equal(ModelSource.Configured, host.Services.GetRequiredService<ClipModelHost>().Provisioning!.Source);
        Assert.Contains(logs.Entries, entry => entry.EventId == 3003 && entry.Message.StartsWith("Model tiny-random-clip loaded", StringComparison.Ordinal));
        Assert.Contains(logs.Entries, entry => entry.EventId == 3000);
        Assert.Equal(32, (await text.EncodeAsync(["hello"], CancellationToken.None))[0].Length);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_model_already_in_the_root_is_found_by_name()
    {
        temp.CopyModel(TestModels.TinyFixedBatch, "Some-Model__x");
        using var host = Build(new() { ["Model:Root"] = temp.Path, ["Model:Name"] = "Some-Model__x", ["Model:AllowDownload"] = "false" });

        await host.StartAsync();

        Assert.Equal("Some-Model__x", host.Services.GetRequiredService<ModelDescriptor>().Name);
        Assert.Equal(ModelSource.Found, host.Services.GetRequiredService<ClipModelHost>().Provisioning!.Source);
        await host.StopAsync();
    }

    [Fact]
    public async Task The_model_root_defaults_to_the_storage_data_path()
    {
        temp.CopyModel(TestModels.TinyDynamic, Path.Combine("models", ModelOptions.DefaultName));
        using var host = Build(new() { ["Storage:DataPath"] = temp.Path, ["Model:AllowDownload"] = "false" });

        await host.StartAsync();

        Assert.Equal(Path.Combine(temp.Path, "models"), host.Services.GetRequiredService<IOptions<ModelOptions>>().Value.Root);
        Assert.Equal(ModelOptions.DefaultName, host.Services.GetRequiredService<ModelDescriptor>().Name);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_missing_model_is_downloaded_at_start_up()
    {
        await using var server = await FakeHuggingFace.StartAsync();
        server.Publish("Downloadable__model", TestModels.TinyDynamic);
        using var host = Build(new() { ["Model:Root"] = temp.Path, ["Model:Name"] = "Downloadable__model", ["Model:DownloadBaseUrl"] = server.BaseUrl.AbsoluteUri });

        await host.StartAsync();

        Assert.Equal(ModelSource.Downloaded, host.Services.GetRequiredService<ClipModelHost>().Provisioning!.Source);
        Assert.True(File.Exists(Path.Combine(temp.Path, "Downloadable__model", "visual", "model.onnx")));
        await host.StopAsync();
    }

    [Fact]
    public async Task When_the_model_cannot_be_had_the_bundled_demo_model_runs_and_the_warning_says_what_to_do()
    {
        await using var server = await FakeHuggingFace.StartAsync();
        using var host = Build(new() { ["Model:Root"] = temp.Path, ["Model:DownloadBaseUrl"] = server.BaseUrl.AbsoluteUri });

        await host.StartAsync();

        var descriptor = host.Services.GetRequiredService<ModelDescriptor>();
        Assert.True(descriptor.IsDemo);
        Assert.Equal("demo-shapes-clip", descriptor.Name);
        var provisioning = host.Services.GetRequiredService<ClipModelHost>().Provisioning!;
        Assert.Equal(ModelSource.DemoFallback, provisioning.Source);
        Assert.Equal(ModelOptions.DefaultName, provisioning.RequestedName);
        Assert.Contains("answered 404", provisioning.Problem, StringComparison.Ordinal);
        var warning = Assert.Single(logs.Entries, entry => entry.EventId == 3016);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains($"copy the model's files (config.json, textual/model.onnx", warning.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(temp.Path, ModelOptions.DefaultName), warning.Message, StringComparison.Ordinal);
        Assert.Contains("Model:Path", warning.Message, StringComparison.Ordinal);
        await host.StopAsync();
    }

    [Fact]
    public async Task Without_the_demo_fallback_start_up_fails_saying_what_to_do()
    {
        using var host = Build(new() { ["Model:Root"] = temp.Path, ["Model:AllowDownload"] = "false", ["Model:FallbackToDemo"] = "false" });

        var error = await Assert.ThrowsAsync<ModelUnavailableException>(() => host.StartAsync());

        Assert.Contains("Model:AllowDownload is false", error.Message, StringComparison.Ordinal);
        Assert.Contains("Model:FallbackToDemo is false", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_options_fail_start_up_with_every_problem_named()
    {
        using var host = Build(new()
        {
            ["Model:Path"] = TestModels.TinyDynamic,
            ["Inference:MaxBatchSize"] = "0",
            ["Inference:RequireCuda"] = "true",
            ["Inference:IntraOpThreads"] = "-2",
            ["Inference:LibraryPath"] = "/no/such/libonnxruntime.so.1",
        });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Inference:MaxBatchSize must be between 1 and 4096, got 0.", error.Failures);
        Assert.Contains("Inference:RequireCuda is true but Inference:ExecutionProvider is not 'cuda'.", error.Failures);
        Assert.Contains(error.Failures, failure => failure.StartsWith("Inference:IntraOpThreads", StringComparison.Ordinal));
        Assert.Contains("Inference:LibraryPath '/no/such/libonnxruntime.so.1' is neither a file nor a folder.", error.Failures);
    }

    [Theory]
    [InlineData("../../etc")]
    [InlineData("a/b")]
    [InlineData("")]
    public async Task A_model_name_that_is_not_a_plain_folder_name_is_rejected(string name)
    {
        using var host = Build(new() { ["Model:Name"] = name, ["Model:Root"] = temp.Path });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(error.Failures, failure => failure.StartsWith("Model:Name", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_execution_provider_name_that_is_not_known_fails_start_up()
    {
        using var host = Build(new() { ["Model:Path"] = TestModels.TinyDynamic, ["Inference:ExecutionProvider"] = "tpu" });

        var error = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.Contains("Inference:ExecutionProvider", error.Message, StringComparison.Ordinal);
    }

    private IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders().AddProvider(logs).SetMinimumLevel(LogLevel.Debug);
        builder.Services.AddInference(builder.Configuration);
        return builder.Build();
    }
}
