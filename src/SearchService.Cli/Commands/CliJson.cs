using System.Text.Encodings.Web;
using System.Text.Json;

namespace SearchService.Cli.Commands;

/// <summary>JSON as the commands print it: camelCase, readable non-ASCII text (this is not HTML).</summary>
internal static class CliJson
{
    public static JsonSerializerOptions Compact { get; } = new(JsonSerializerDefaults.Web) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static JsonSerializerOptions Indented { get; } = new(Compact) { WriteIndented = true };
}
