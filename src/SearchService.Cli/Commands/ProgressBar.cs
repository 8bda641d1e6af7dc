using System.Globalization;

namespace SearchService.Cli.Commands;

/// <summary>Where a bulk operation stands, as a progress bar shows it.</summary>
/// <param name="Processed">Files with a final state.</param>
/// <param name="Total">Files known so far (a folder still being scanned grows).</param>
/// <param name="Failed">Of the processed, how many failed.</param>
/// <param name="ImagesPerSecond">Recent rate, if known.</param>
internal readonly record struct ProgressSnapshot(long Processed, long Total, long Failed, double? ImagesPerSecond);

/// <summary>
/// A progress bar on the error stream (the output stream stays clean for the summary). On a terminal one line
/// is redrawn in place; when the stream is redirected (a log, a test) a plain line is written at each tenth.
/// </summary>
internal sealed class ProgressBar(TextWriter writer, string label, bool interactive)
{
    private const int Width = 30;
    private int _lastTenth = -1;
    private int _lastLength;

    /// <summary>A bar on <paramref name="writer"/>, redrawn in place only when that is the console's error stream on a terminal.</summary>
    public static ProgressBar For(TextWriter writer, string label) =>
        new(writer, label, ReferenceEquals(writer, Console.Error) && !Console.IsErrorRedirected);

    public void Report(ProgressSnapshot progress)
    {
        var fraction = progress.Total > 0 ? Math.Clamp((double)progress.Processed / progress.Total, 0, 1) : 0;
        var line = Format(progress, fraction);
        if (interactive)
        {
            writer.Write("\r" + line.PadRight(_lastLength));
            _lastLength = line.Length;
            writer.Flush();
            return;
        }

        var tenth = (int)Math.Floor(fraction * 10);
        if (tenth != _lastTenth && progress.Total > 0)
        {
            _lastTenth = tenth;
            writer.WriteLine(line);
        }
    }

    /// <summary>Ends the bar's line so what follows starts on its own.</summary>
    public void Complete(ProgressSnapshot progress)
    {
        _lastTenth = -1;
        Report(progress);
        if (interactive)
        {
            writer.WriteLine();
        }
    }

    private string Format(ProgressSnapshot progress, double fraction)
    {
        var filled = (int)Math.Round(fraction * Width);
        var text = string.Create(
            CultureInfo.InvariantCulture,
            $"{label} [{new string('#', filled)}{new string('-', Width - filled)}] {progress.Processed}/{progress.Total} {fraction * 100,3:0}%");
        if (progress.ImagesPerSecond is { } rate and > 0)
        {
            text += string.Create(CultureInfo.InvariantCulture, $"  {rate:0.0} img/s");
            var remaining = progress.Total - progress.Processed;
            if (remaining > 0)
            {
                text += "  ETA " + FormatDuration(TimeSpan.FromSeconds(remaining / rate));
            }
        }

        if (progress.Failed > 0)
        {
            text += string.Create(CultureInfo.InvariantCulture, $"  {progress.Failed} failed");
        }

        return text;
    }

    private static string FormatDuration(TimeSpan span) =>
        span.TotalHours >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalHours}:{span.Minutes:00}:{span.Seconds:00}")
            : string.Create(CultureInfo.InvariantCulture, $"{span.Minutes}:{span.Seconds:00}");
}
