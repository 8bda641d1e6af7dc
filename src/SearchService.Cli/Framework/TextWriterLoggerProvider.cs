using Microsoft.Extensions.Logging;

namespace SearchService.Cli.Framework;

/// <summary>One line per log entry on the error stream: <c>searchctl: warning: message</c>.</summary>
internal sealed class TextWriterLoggerProvider(TextWriter writer) : ILoggerProvider
{
    private readonly Lock gate = new();

    public ILogger CreateLogger(string categoryName) => new WriterLogger(this);

    public void Dispose()
    {
    }

    private void Write(LogLevel level, string message, Exception? exception)
    {
        var label = level switch
        {
            LogLevel.Trace or LogLevel.Debug => "debug",
            LogLevel.Information => "info",
            LogLevel.Warning => "warning",
            _ => "error",
        };
        lock (gate)
        {
            writer.WriteLine($"searchctl: {label}: {message}{(exception is null ? string.Empty : $" ({exception.Message})")}");
        }
    }

    private sealed class WriterLogger(TextWriterLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Write(logLevel, formatter(state, exception), exception);
    }
}
