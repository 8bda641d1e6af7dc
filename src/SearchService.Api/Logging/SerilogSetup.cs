using Serilog;

namespace SearchService.Api.Logging;

internal static class SerilogSetup
{
    /// <summary>
    /// Serilog as the only logging provider, configured from the <c>Serilog</c> section (sinks, levels,
    /// enrichers). Flushed and disposed with the host.
    /// </summary>
    public static WebApplicationBuilder AddSerilogLogging(this WebApplicationBuilder builder)
    {
        var configuration = new LoggerConfiguration()
            .ReadFrom.Configuration(builder.Configuration)
            .Enrich.FromLogContext();
        if (!builder.Configuration.GetSection("Serilog:WriteTo").Exists())
        {
            // No sinks configured (e.g. started outside its folder, so appsettings.json was not found): a silent service
            // would hide the demo-model and no-API-key warnings, so fall back to the console.
            configuration.WriteTo.Console();
        }

        var logger = configuration.CreateLogger();
        builder.Logging.ClearProviders();
        builder.Logging.AddSerilog(logger, dispose: true);
        return builder;
    }
}
