using System.Text.Json;
using System.Text.Json.Nodes;
using SearchService.Api.Tests.Http;
using SearchService.Testing;
using Xunit;

namespace SearchService.Api.Tests.OpenApi;

/// <summary>
/// The served OpenAPI document must equal the committed snapshot, so contract changes are deliberate.
/// After an intended change, regenerate with <c>UPDATE_OPENAPI_SNAPSHOT=1 dotnet test --filter OpenApiSnapshot</c>
/// and commit the new file with the change.
/// </summary>
public sealed class OpenApiSnapshotTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private static readonly string SnapshotPath =
        Path.Combine(TestPaths.RepositoryRoot, "tests", "SearchService.Api.Tests", "OpenApi", "openapi.snapshot.json");

    [Fact]
    public async Task OpenApi_document_matches_the_committed_snapshot()
    {
        using var client = factory.CreateClient();
        var served = Normalize(await client.GetStringAsync("/swagger/v1/swagger.json"));

        if (Environment.GetEnvironmentVariable("UPDATE_OPENAPI_SNAPSHOT") == "1")
        {
            await File.WriteAllTextAsync(SnapshotPath, served);
        }

        Assert.True(File.Exists(SnapshotPath), $"No snapshot at {SnapshotPath}; create it with UPDATE_OPENAPI_SNAPSHOT=1.");
        var committed = Normalize(await File.ReadAllTextAsync(SnapshotPath));
        Assert.True(
            committed == served,
            "The OpenAPI document changed. If intended, run UPDATE_OPENAPI_SNAPSHOT=1 dotnet test --filter OpenApiSnapshot and commit the snapshot.\n"
            + FirstDifference(committed, served));
    }

    [Fact]
    public async Task OpenApi_document_describes_uploads_the_key_scheme_and_the_demo_model()
    {
        using var client = factory.CreateClient();
        var document = JsonNode.Parse(await client.GetStringAsync("/swagger/v1/swagger.json"))!;

        var upload = document["paths"]!["/api/images"]!["post"]!["requestBody"]!["content"]!["multipart/form-data"]!["schema"]!["$ref"]!.GetValue<string>();
        var files = document["components"]!["schemas"]![upload.Split('/')[^1]]!["properties"]!["files"]!;
        Assert.Equal("binary", files["items"]!["format"]!.GetValue<string>());
        var classify = document["paths"]!["/api/classify"]!["post"]!["requestBody"]!["content"]!.AsObject();
        Assert.True(classify.ContainsKey("multipart/form-data") && classify.ContainsKey("application/json"));
        Assert.Equal("apiKey", document["components"]!["securitySchemes"]!["ApiKey"]!["type"]!.GetValue<string>());
        Assert.Equal("X-Api-Key", document["components"]!["securitySchemes"]!["ApiKey"]!["name"]!.GetValue<string>());
        Assert.Contains("DEMO MODEL", document["info"]!["description"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.NotNull(document["paths"]!["/api/search"]!["get"]!["summary"]);
    }

    private static string Normalize(string json) =>
        JsonNode.Parse(json)!.ToJsonString(new JsonSerializerOptions { WriteIndented = true }).ReplaceLineEndings("\n") + "\n";

    private static string FirstDifference(string expected, string actual)
    {
        var expectedLines = expected.Split('\n');
        var actualLines = actual.Split('\n');
        for (var i = 0; i < Math.Min(expectedLines.Length, actualLines.Length); i++)
        {
            if (expectedLines[i] != actualLines[i])
            {
                return $"First difference at line {i + 1}:\n  snapshot: {expectedLines[i]}\n  served:   {actualLines[i]}";
            }
        }

        return $"The documents differ in length ({expectedLines.Length} vs {actualLines.Length} lines).";
    }
}
