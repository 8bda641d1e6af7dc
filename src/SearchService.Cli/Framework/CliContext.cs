using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SearchService.Cli.Framework;

/// <summary>
/// What a command runs with: its output streams and the service's configuration (environment variables such as
/// <c>Inference__ExecutionProvider</c>, then every <c>--set Key=Value</c>), and a way to build the same services the
/// API uses. Logs (warnings, or everything with <c>--verbose</c>) go to the error stream, never to the output.
/// </summary>
public sealed class CliContext(TextWriter output, TextWriter error)
{
    public TextWriter Out { get; } = output;

    public TextWriter Error { get; } = error;

    /// <summary>
    /// The configuration for one run, with <paramref name="overrides"/> (from the command's own options) applied last,
    /// and a service provider holding logging plus what <paramref name="register"/> adds. Dispose it after the command.
    /// </summary>
    public ServiceProvider BuildServices(
        CliArguments arguments,
        IReadOnlyDictionary<string, string?> overrides,
        Action<IServiceCollection, IConfiguration> register)
    {
        var configuration = BuildConfiguration(arguments, overrides);
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging(logging => ConfigureLogging(logging, arguments));
        register(services, configuration);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    /// <summary>
    /// Like <see cref="BuildServices"/>, as a generic host, for commands that need what the adapters do at start-up
    /// (hosted services: model loading, store opening). Start it before use and dispose it after the command.
    /// </summary>
    public IHost BuildHost(
        CliArguments arguments,
        IReadOnlyDictionary<string, string?> overrides,
        Action<IServiceCollection, IConfiguration> register)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddConfiguration(BuildConfiguration(arguments, overrides));
        ConfigureLogging(builder.Logging, arguments);
        // A start-up failure is reported once, by the command runner, not also by the host's own logging.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);
        builder.Services.Configure<ConsoleLifetimeOptions>(options => options.SuppressStatusMessages = true);
        register(builder.Services, builder.Configuration);
        builder.ConfigureContainer(new DefaultServiceProviderFactory(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true }));
        return builder.Build();
    }

    private void ConfigureLogging(ILoggingBuilder logging, CliArguments arguments)
    {
        logging.Services.AddSingleton<ILoggerProvider>(_ => new TextWriterLoggerProvider(Error));
        logging.SetMinimumLevel(arguments.Flag("verbose") ? LogLevel.Information : LogLevel.Warning);
    }

    public static IConfigurationRoot BuildConfiguration(CliArguments arguments, IReadOnlyDictionary<string, string?> overrides)
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var setting in arguments.Values("set"))
        {
            var equals = setting.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new CliUsageException($"--set takes Key=Value (e.g. Inference:IntraOpThreads=4), got '{setting}'.");
            }

            settings[setting[..equals]] = setting[(equals + 1)..];
        }

        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }

        return new ConfigurationBuilder().AddEnvironmentVariables().AddInMemoryCollection(settings).Build();
    }
}
