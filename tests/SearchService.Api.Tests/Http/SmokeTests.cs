using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit;

namespace SearchService.Api.Tests.Http;

public sealed class SmokeTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task Health_models_and_swagger_answer()
    {
        using var client = factory.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        var ready = await client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);

        var models = await client.GetFromJsonAsync<JsonElement>("/api/models");
        var model = models.GetProperty("items")[0];
        Assert.True(model.GetProperty("isDemo").GetBoolean());
        Assert.Equal(64, model.GetProperty("dimensions").GetInt32());

        var swagger = await client.GetStringAsync("/swagger/v1/swagger.json");
        Assert.Contains("DEMO MODEL", swagger, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/swagger/index.html")).StatusCode);
    }

    [Fact]
    public async Task Text_search_on_a_small_library_returns_scores()
    {
        using var client = factory.CreateClient();
        var response = await client.GetAsync("/api/search?q=a%20red%20circle&limit=5");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(0, body.GetProperty("offset").GetInt32());
    }
}
