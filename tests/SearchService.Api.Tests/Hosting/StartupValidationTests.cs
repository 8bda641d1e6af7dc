using SearchService.Api.Tests.Http;
using Xunit;

namespace SearchService.Api.Tests.Hosting;

/// <summary>Bad configuration stops the host at start-up with a message that names the key.</summary>
public sealed class StartupValidationTests
{
    public static TheoryData<string, string?, string> BadSettings => new()
    {
        { "VectorStore:Provider", "Cassandra", "VectorStore:Provider" },
        { "VectorStore:Provider", "1", "Embedded or Qdrant" },
        { "Auth:ApiKeys:1", "short", "Auth:ApiKeys" },
        { "Limits:MaxUploadBytes", "10", "Limits:MaxUploadBytes" },
        { "Limits:ShutdownTimeout", "00:00:00", "Limits:ShutdownTimeout" },
        { "Ingest:ShutdownDrainSeconds", "25", "Ingest:ShutdownDrainSeconds (25) must be less than Limits:ShutdownTimeout (25 s)" },
        { "Model:Path", "/nonexistent/model-folder", "/nonexistent/model-folder" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public void The_host_refuses_to_start_and_says_why(string key, string? value, string expected)
    {
        using var factory = new ApiFactory();
        factory.Settings[key] = value;

        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        var messages = string.Join(" | ", Flatten(error).Select(e => e.Message));
        Assert.Contains(expected, messages, StringComparison.Ordinal);
    }

    [Fact]
    public void A_data_folder_that_is_a_file_is_refused()
    {
        using var factory = new ApiFactory();
        var file = Path.Combine(factory.DataPath, "not-a-folder");
        File.WriteAllText(file, "x");
        factory.Settings["Storage:DataPath"] = file;

        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        Assert.Contains(file, string.Join(" | ", Flatten(error).Select(e => e.Message)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_defaults_start_with_the_embedded_store()
    {
        using var factory = new ApiFactory();
        using var client = factory.CreateClient();

        var stats = await client.GetJsonAsync<Contracts.StatsResponse>("/api/stats");

        Assert.Equal("Embedded", stats.VectorStore);
        Assert.Equal($"{factory.Model.Name}_64", stats.Collection);
    }

    private static IEnumerable<Exception> Flatten(Exception error)
    {
        for (var current = error; current is not null; current = current.InnerException)
        {
            yield return current;
            if (current is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions.SelectMany(Flatten))
                {
                    yield return inner;
                }
            }
        }
    }
}
