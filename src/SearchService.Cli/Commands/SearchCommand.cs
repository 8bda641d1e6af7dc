using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SearchService.Cli.Framework;
using SearchService.Core.Search;

namespace SearchService.Cli.Commands;

/// <summary><c>search "text" (--server URL | --data DIR --model DIR) [--limit N]</c> → a ranked table: rank, score, id, file name.</summary>
internal sealed class SearchCommand : ICliCommand
{
    private const int DefaultLimit = 10;

    public string Name => "search";

    public string Summary => "Images matching a text, best first: rank, cosine score, id and file name.";

    public IReadOnlyList<CliOption> Options { get; } =
    [
        new("text", "TEXT", "What to look for, in words.", Required: true, Positional: true),
        .. ServerConnection.Options,
        .. LocalLibrary.Options,
        new("limit", "N", $"How many results (1-100, default {DefaultLimit})."),
    ];

    public async Task<int> RunAsync(CliArguments arguments, CliContext context, CancellationToken cancellationToken)
    {
        var text = arguments.Required("text");
        var limit = arguments.Int("limit", 1, 100) ?? DefaultLimit;
        IReadOnlyList<Row> rows;
        switch (ServerConnection.IsRequested(arguments), LocalLibrary.IsRequested(arguments))
        {
            case (true, false):
                using (var server = ServerConnection.Open(arguments))
                {
                    rows = await SearchServerAsync(server, text, limit, cancellationToken);
                }

                break;
            case (false, true):
                await using (var library = await LocalLibrary.OpenAsync(arguments, context, cancellationToken))
                {
                    rows = await SearchLocalAsync(library, text, limit, cancellationToken);
                }

                break;
            default:
                throw new CliUsageException("give either --server URL or --data DIR with --model DIR.");
        }

        await context.Out.WriteAsync(FormatTable(rows));
        return SearchCtl.Success;
    }

    internal static string FormatTable(IReadOnlyList<Row> rows)
    {
        var lines = new System.Text.StringBuilder();
        lines.AppendLine(CultureInfo.InvariantCulture, $"{"rank",4}  {"score",7}  {"id",-36}  file");
        for (var i = 0; i < rows.Count; i++)
        {
            lines.AppendLine(CultureInfo.InvariantCulture, $"{i + 1,4}  {rows[i].Score,7:0.0000}  {rows[i].Id,-36}  {rows[i].FileName ?? "-"}");
        }

        return lines.ToString();
    }

    private static async Task<IReadOnlyList<Row>> SearchServerAsync(ServerConnection server, string text, int limit, CancellationToken cancellationToken)
    {
        using var response = await server.Http.GetAsync(
            string.Create(CultureInfo.InvariantCulture, $"api/search?q={Uri.EscapeDataString(text)}&limit={limit}"), cancellationToken);
        var page = await ServerConnection.ReadAsync<RemotePage>(response, cancellationToken);
        return page.Items.Select(hit => new Row(hit.Score, hit.Image.Id, hit.Image.FileName)).ToArray();
    }

    private static async Task<IReadOnlyList<Row>> SearchLocalAsync(LocalLibrary library, string text, int limit, CancellationToken cancellationToken)
    {
        // The same Core search the service runs, with the service's Search:* settings.
        var options = library.Services.GetRequiredService<IConfiguration>().GetSection(SearchOptions.SectionName).Get<SearchOptions>() ?? new SearchOptions();
        var search = new ImageSearch(new TextEmbeddings(library.TextEncoder, options), library.Vectors, library.Catalog, options);
        var results = await search.ByTextAsync(text, new SearchPage(limit), cancellationToken);
        return results.Hits.Select(hit => new Row(hit.Score, hit.Image.Id, hit.Image.FileName)).ToArray();
    }

    internal sealed record Row(float Score, Guid Id, string? FileName);

    private sealed record RemotePage(IReadOnlyList<RemoteHit> Items);

    private sealed record RemoteHit(float Score, RemoteImage Image);

    private sealed record RemoteImage(Guid Id, string? FileName);
}
