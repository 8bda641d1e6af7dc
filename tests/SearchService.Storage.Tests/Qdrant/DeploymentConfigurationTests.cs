using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using SearchService.Storage.Qdrant;
using SearchService.Testing;
using Xunit;

namespace SearchService.Storage.Tests.Qdrant;

/// <summary>The deployment files and the reference only name Qdrant settings that exist, with values that validate.</summary>
public sealed partial class DeploymentConfigurationTests
{
    public static TheoryData<string> ComposeFiles => new() { "docker-compose.yml", "deploy/cluster/docker-compose.yml" };

    [Theory]
    [MemberData(nameof(ComposeFiles))]
    public void Compose_files_set_only_existing_Qdrant_options_with_valid_values(string file)
    {
        var text = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, file));
        var settings = EnvironmentLine().Matches(text)
            .Select(m => (Key: m.Groups["key"].Value.Replace("__", ":", StringComparison.Ordinal), Value: Unquote(m.Groups["value"].Value)))
            .ToDictionary(s => s.Key, s => (string?)s.Value);
        Assert.Contains("VectorStore:Qdrant:Url", settings.Keys);

        var options = Bind(settings);

        Assert.Equal(ValidateOptionsResult.Success, new QdrantOptionsValidator().Validate(null, options));
    }

    [Fact]
    public void The_reference_documents_every_Qdrant_option_and_no_other()
    {
        var readme = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "deploy", "README.md"));
        var documented = ReferenceRow().Matches(readme).Select(m => m.Groups["key"].Value).ToHashSet();

        var expected = Keys(typeof(QdrantOptions), QdrantOptions.SectionName).ToHashSet();

        Assert.Equal(expected.Order(), documented.Order());
        Bind(documented.ToDictionary(k => k, _ => (string?)null));
    }

    private static QdrantOptions Bind(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var options = new QdrantOptions();
        // An unknown key (a typo in a deployment file) throws instead of being ignored.
        configuration.GetSection(QdrantOptions.SectionName).Bind(options, binder => binder.ErrorOnUnknownConfiguration = true);
        return options;
    }

    private static IEnumerable<string> Keys(Type type, string prefix)
    {
        foreach (var property in type.GetProperties())
        {
            var key = $"{prefix}:{property.Name}";
            if (property.PropertyType.IsClass && property.PropertyType != typeof(string))
            {
                foreach (var nested in Keys(property.PropertyType, key))
                {
                    yield return nested;
                }
            }
            else
            {
                yield return key;
            }
        }
    }

    private static string Unquote(string value) => value.Trim().Trim('"').Replace("${QDRANT_API_KEY:?set QDRANT_API_KEY}", "key", StringComparison.Ordinal);

    [GeneratedRegex(@"^\s+(?<key>VectorStore__Qdrant__[A-Za-z_]+):\s*(?<value>.+)$", RegexOptions.Multiline)]
    private static partial Regex EnvironmentLine();

    [GeneratedRegex(@"^\| `(?<key>VectorStore:Qdrant:[A-Za-z:]+)` \|", RegexOptions.Multiline)]
    private static partial Regex ReferenceRow();
}
