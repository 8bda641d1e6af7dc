using System.Net.Http.Json;
using SearchService.Api.Tests.Http;
using SearchService.Testing;
using Xunit;

namespace SearchService.Api.Tests.Integration;

/// <summary>One held-out shapes image as uploaded: its caption, the colour and shape it shows, and its id.</summary>
internal sealed record ShapeImage(int Index, string FileName, string Caption, string Colour, string Shape, byte[] Bytes)
{
    public Guid Id { get; set; }

    public string Label => $"{Colour} {Shape}";

    /// <summary>The first six have a taken date, one day apart from 2020-01-01.</summary>
    public DateTimeOffset? TakenAt => Index < 6 ? new DateTimeOffset(2020, 1, 1, 12, 0, 0, TimeSpan.Zero).AddDays(Index) : null;
}

/// <summary>
/// The real service holding the 24 held-out shapes images (tests/fixtures/images/shapes), uploaded in one request
/// through <c>POST /api/images</c> with per-file tags (colour, shape) and metadata (<c>colour</c>, <c>shape</c>,
/// <c>parity</c>), and taken dates set with <c>PATCH</c>. Thumbnails are 96 px, so a thumbnail is a resized,
/// re-encoded near-duplicate of its original. Read-only for the tests that share it.
/// </summary>
public sealed class ShapesLibrary : ApiFactory, IAsyncLifetime
{
    public const int ThumbnailSize = 96;

    public ShapesLibrary()
    {
        Settings["Limits:ThumbnailSize"] = ThumbnailSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var folder = Path.Combine(TestPaths.Fixtures, "images", "shapes");
        Shapes = File.ReadAllLines(Path.Combine(folder, "captions.tsv"))
            .Where(line => line.Length > 0)
            .Select((line, index) =>
            {
                var (file, caption) = (line.Split('\t')[0], line.Split('\t')[1]);
                var parts = Path.GetFileNameWithoutExtension(file).Split('-');
                return new ShapeImage(index, file, caption, parts[1], parts[2], File.ReadAllBytes(Path.Combine(folder, file)));
            })
            .ToList();
    }

    internal IReadOnlyList<ShapeImage> Shapes { get; }

    /// <summary>Just before the upload (for uploaded-date filters).</summary>
    public DateTimeOffset UploadStarted { get; private set; }

    internal ShapeImage ById(Guid id) => Shapes.Single(shape => shape.Id == id);

    public async Task InitializeAsync()
    {
        using var writer = CreateWriter();
        UploadStarted = DateTimeOffset.UtcNow.AddSeconds(-1);
        var fields = new Dictionary<string, string>();
        foreach (var shape in Shapes)
        {
            fields[$"tags[{shape.Index}]"] = $"{shape.Colour},{shape.Shape}";
            fields[$"metadata[{shape.Index}]"] =
                $$"""{"colour":"{{shape.Colour}}","shape":"{{shape.Shape}}","parity":"{{(shape.Index % 2 == 0 ? "even" : "odd")}}"}""";
        }

        var items = await writer.UploadAsync(Shapes.Select(shape => new UploadPart(shape.FileName, shape.Bytes, "image/png")), fields);
        Assert.Equal(Shapes.Count, items.Count);
        foreach (var (shape, item) in Shapes.Zip(items))
        {
            Assert.False(item.Duplicate);
            Assert.Equal(128, item.Width);
            shape.Id = item.Id!.Value;
        }

        foreach (var shape in Shapes.Where(shape => shape.TakenAt is not null))
        {
            using var response = await writer.PatchAsJsonAsync($"/api/images/{shape.Id}", new { takenAt = shape.TakenAt });
            response.EnsureSuccessStatusCode();
        }
    }

    Task IAsyncLifetime.DisposeAsync() => Task.CompletedTask;
}

[CollectionDefinition(Name)]
public sealed class ShapesLibraryCollection : ICollectionFixture<ShapesLibrary>
{
    public const string Name = "Shapes library";
}
