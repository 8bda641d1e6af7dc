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
        var logger = new LoggerConfiguration()
            .ReadFrom.Configuration(builder.Configuration)
            .Enrich.FromLogContext()
            .CreateLogger();
        builder.Logging.ClearProviders();
        builder.Logging.AddSerilog(logger, dispose: true);
        return builder;
    }
}
