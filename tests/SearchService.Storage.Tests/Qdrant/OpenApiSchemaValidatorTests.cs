using Xunit;

namespace SearchService.Storage.Tests.Qdrant;

/// <summary>The validator the contract tests rely on must reject what is wrong, or those tests prove nothing.</summary>
public sealed class OpenApiSchemaValidatorTests
{
    private const string Spec = """
        {
          "openapi": "3.0.1", "info": { "version": "test" }, "paths": {},
          "components": { "schemas": {
            "Point": {
              "type": "object", "required": ["id", "vector"],
              "properties": {
                "id": { "$ref": "#/components/schemas/PointId" },
                "vector": { "type": "array", "items": { "type": "number", "format": "float" }, "minItems": 1 },
                "payload": { "anyOf": [ { "$ref": "#/components/schemas/Payload" }, { "nullable": true } ] },
                "limit": { "type": "integer", "format": "uint", "minimum": 1, "nullable": true },
                "kind": { "type": "string", "enum": ["a", "b"] },
                "ids": { "type": "array", "items": { "$ref": "#/components/schemas/PointId" }, "uniqueItems": true },
                "at": { "type": "string", "format": "date-time" }
              }
            },
            "PointId": { "anyOf": [ { "type": "integer", "format": "uint64", "minimum": 0 }, { "type": "string", "format": "uuid" } ] },
            "Payload": { "type": "object", "additionalProperties": true },
            "Closed": { "type": "object", "properties": { "x": { "type": "boolean" } }, "additionalProperties": false },
            "Either": { "oneOf": [ { "type": "string", "enum": ["ok"] }, { "type": "string", "minLength": 1 } ] },
            "Both": { "allOf": [ { "$ref": "#/components/schemas/Closed" }, { "required": ["x"] } ] }
          } }
        }
        """;

    private readonly OpenApiSchemaValidator _validator = OpenApiSchemaValidator.FromJson(Spec);

    [Theory]
    [InlineData("""{"id": 42, "vector": [0.5, 1]}""")]
    [InlineData("""{"id": "550e8400-e29b-41d4-a716-446655440000", "vector": [1], "payload": {"any": {"thing": [1]}}}""")]
    [InlineData("""{"id": 1, "vector": [1], "payload": null, "limit": null, "kind": "b", "ids": [1, 2], "at": "2024-02-29T12:00:00.000001Z"}""")]
    public void Accepts_valid_documents(string json) => Assert.Empty(_validator.ValidateAgainst(json, "Point"));

    [Theory]
    [InlineData("""{"vector": [1]}""", "required property 'id'")]
    [InlineData("""{"id": -1, "vector": [1]}""", "no anyOf branch")]
    [InlineData("""{"id": "not-a-uuid", "vector": [1]}""", "no anyOf branch")]
    [InlineData("""{"id": 1.5, "vector": [1]}""", "no anyOf branch")]
    [InlineData("""{"id": 1, "vector": []}""", "at least 1")]
    [InlineData("""{"id": 1, "vector": ["x"]}""", "expected number")]
    [InlineData("""{"id": 1, "vector": [1], "payload": 3}""", "no anyOf branch")]
    [InlineData("""{"id": 1, "vector": [1], "limit": 0}""", "below the minimum")]
    [InlineData("""{"id": 1, "vector": [1], "kind": "c"}""", "is not one of")]
    [InlineData("""{"id": 1, "vector": [1], "ids": [2, 2]}""", "must be unique")]
    [InlineData("""{"id": 1, "vector": [1], "at": "yesterday"}""", "not a valid date-time")]
    [InlineData("""{"id": 1, "vector": [1], "vectr": [1]}""", "not in the schema")]
    [InlineData("""{"id": 1, "vector": null}""", "null is not allowed")]
    public void Rejects_invalid_documents(string json, string expected)
    {
        var errors = _validator.ValidateAgainst(json, "Point");
        Assert.Contains(errors, error => error.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Closed_objects_reject_extra_properties_and_wrong_types()
    {
        Assert.Empty(_validator.ValidateAgainst("""{"x": true}""", "Closed"));
        Assert.NotEmpty(_validator.ValidateAgainst("""{"y": true}""", "Closed"));
        Assert.NotEmpty(_validator.ValidateAgainst("""{"x": "true"}""", "Closed"));
        Assert.NotEmpty(_validator.ValidateAgainst("""[]""", "Closed"));
    }

    [Fact]
    public void OneOf_requires_exactly_one_branch_and_allOf_every_branch()
    {
        Assert.Empty(_validator.ValidateAgainst("\"fine\"", "Either"));
        Assert.Contains(_validator.ValidateAgainst("\"ok\"", "Either"), e => e.Contains("matches 2 oneOf", StringComparison.Ordinal));
        Assert.Contains(_validator.ValidateAgainst("\"\"", "Either"), e => e.Contains("matches 0 oneOf", StringComparison.Ordinal));
        Assert.Empty(_validator.ValidateAgainst("""{"x": false}""", "Both"));
        Assert.Contains(_validator.ValidateAgainst("{}", "Both"), e => e.Contains("required property 'x'", StringComparison.Ordinal));
    }

    [Fact]
    public void Real_spec_rejects_a_removed_search_endpoint_and_a_misplaced_search_parameter()
    {
        var spec = FakeQdrantServer.Specs.Value[0];
        Assert.Null(spec.FindOperation("POST", "/collections/c/points/search"));
        Assert.Equal("/collections/{collection_name}/points/query", spec.FindOperation("POST", "/collections/c/points/query"));
        var schema = spec.RequestBodySchema("/collections/{collection_name}/points/query", "POST")!.Value;
        using var good = System.Text.Json.JsonDocument.Parse("""{"query": [0.1, 0.2], "limit": 3, "params": {"hnsw_ef": 64, "exact": false}}""");
        using var bad = System.Text.Json.JsonDocument.Parse("""{"query": [0.1, 0.2], "limit": 3, "hnsw_ef": 64}""");
        Assert.Empty(spec.Validate(good.RootElement, schema));
        Assert.NotEmpty(spec.Validate(bad.RootElement, schema));
    }
}
