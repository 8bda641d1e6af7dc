using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace SearchService.Storage.Tests.Qdrant;

/// <summary>
/// Validates JSON against the OpenAPI 3.0 schema subset Qdrant's specs use: $ref, type, nullable, properties,
/// required, additionalProperties, items, anyOf/oneOf/allOf, enum, format (uint*, int*, uuid, date-time),
/// minimum/maximum, minLength, uniqueItems. Two deliberate readings make it stricter than the letter of
/// OpenAPI: an object schema that lists properties and says nothing of others is closed (a misspelt field is
/// an error, as Qdrant's serde structs would reject or ignore it), and a schema that is only
/// <c>{"nullable": true}</c> (Qdrant's "or null" branch of anyOf) accepts null alone.
/// </summary>
internal sealed class OpenApiSchemaValidator
{
    private readonly JsonElement _root;

    public OpenApiSchemaValidator(JsonElement root) => _root = root;

    public static OpenApiSchemaValidator Load(string path)
    {
        using var stream = File.OpenRead(path);
        return new OpenApiSchemaValidator(JsonDocument.Parse(stream).RootElement.Clone());
    }

    public static OpenApiSchemaValidator FromJson(string json) => new(JsonDocument.Parse(json).RootElement.Clone());

    public string Name => _root.TryGetProperty("info", out var info) && info.TryGetProperty("version", out var v) ? v.GetString()! : "spec";

    /// <summary>The spec path template matching a concrete path and method, or null when the spec has none.</summary>
    public string? FindOperation(string method, string path)
    {
        foreach (var template in _root.GetProperty("paths").EnumerateObject())
        {
            var pattern = "^" + Regex.Replace(Regex.Escape(template.Name), @"\\\{[^}]+}", "[^/]+") + "$";
            if (Regex.IsMatch(path, pattern) && template.Value.TryGetProperty(method.ToLowerInvariant(), out _))
            {
                return template.Name;
            }
        }

        return null;
    }

    public JsonElement Operation(string template, string method) => _root.GetProperty("paths").GetProperty(template).GetProperty(method.ToLowerInvariant());

    public JsonElement? RequestBodySchema(string template, string method) =>
        Operation(template, method).TryGetProperty("requestBody", out var body)
            ? body.GetProperty("content").GetProperty("application/json").GetProperty("schema")
            : null;

    /// <summary>The JSON schema of a response: the exact status, else its class (<c>4XX</c>), else <c>default</c>.</summary>
    public JsonElement? ResponseSchema(string template, string method, int status)
    {
        var responses = Operation(template, method).GetProperty("responses");
        foreach (var key in new[] { status.ToString(CultureInfo.InvariantCulture), $"{status / 100}XX", "default" })
        {
            if (responses.TryGetProperty(key, out var response))
            {
                return response.TryGetProperty("content", out var content) && content.TryGetProperty("application/json", out var json)
                    ? json.GetProperty("schema")
                    : null;
            }
        }

        return null;
    }

    /// <summary>Errors of each query parameter against the operation's declared parameters.</summary>
    public IReadOnlyList<string> ValidateQuery(string template, string method, IEnumerable<KeyValuePair<string, string>> query)
    {
        var errors = new List<string>();
        var declared = Operation(template, method).TryGetProperty("parameters", out var parameters)
            ? parameters.EnumerateArray().Where(p => p.GetProperty("in").GetString() == "query").ToDictionary(p => p.GetProperty("name").GetString()!, p => p.GetProperty("schema"))
            : [];
        foreach (var (name, value) in query)
        {
            if (!declared.TryGetValue(name, out var schema))
            {
                errors.Add($"query parameter '{name}' is not declared");
                continue;
            }

            // Query values are text; read them as the JSON scalar they stand for when the schema wants one.
            var asJson = value is "true" or "false" || double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
                ? value
                : JsonSerializer.Serialize(value);
            using var document = JsonDocument.Parse(asJson);
            var valueErrors = Validate(document.RootElement, schema);
            if (valueErrors.Count > 0 && asJson != JsonSerializer.Serialize(value))
            {
                using var asString = JsonDocument.Parse(JsonSerializer.Serialize(value));
                if (Validate(asString.RootElement, schema).Count == 0)
                {
                    continue;
                }
            }

            errors.AddRange(valueErrors.Select(e => $"query '{name}': {e}"));
        }

        return errors;
    }

    public IReadOnlyList<string> Validate(JsonElement instance, JsonElement schema)
    {
        var errors = new List<string>();
        Validate(instance, schema, "$", errors);
        return errors;
    }

    public IReadOnlyList<string> ValidateAgainst(string json, string schemaName)
    {
        using var document = JsonDocument.Parse(json);
        return Validate(document.RootElement, _root.GetProperty("components").GetProperty("schemas").GetProperty(schemaName));
    }

    private JsonElement Resolve(string reference)
    {
        if (!reference.StartsWith("#/", StringComparison.Ordinal))
        {
            throw new NotSupportedException($"Only local references are supported: {reference}");
        }

        var node = _root;
        foreach (var part in reference[2..].Split('/'))
        {
            node = node.GetProperty(part.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal));
        }

        return node;
    }

    private void Validate(JsonElement instance, JsonElement schema, string at, List<string> errors)
    {
        if (schema.ValueKind == JsonValueKind.True)
        {
            return;
        }

        if (schema.ValueKind == JsonValueKind.False)
        {
            errors.Add($"{at}: no value is allowed here");
            return;
        }

        if (schema.TryGetProperty("$ref", out var reference))
        {
            Validate(instance, Resolve(reference.GetString()!), at, errors);
            return;
        }

        var nullable = schema.TryGetProperty("nullable", out var n) && n.GetBoolean();
        var composed = schema.TryGetProperty("anyOf", out _) || schema.TryGetProperty("oneOf", out _) || schema.TryGetProperty("allOf", out _);
        if (instance.ValueKind == JsonValueKind.Null && (nullable || !composed))
        {
            // A composed schema lets its branches decide about null (Qdrant's "X or {nullable: true}").
            if (!nullable && (schema.TryGetProperty("type", out _) || schema.TryGetProperty("enum", out _)))
            {
                errors.Add($"{at}: null is not allowed");
            }

            return;
        }

        if (nullable && IsOnlyNullable(schema))
        {
            errors.Add($"{at}: only null is allowed here, got {instance.ValueKind}");
            return;
        }

        if (schema.TryGetProperty("allOf", out var allOf))
        {
            foreach (var part in allOf.EnumerateArray())
            {
                Validate(instance, part, at, errors);
            }
        }

        if (schema.TryGetProperty("anyOf", out var anyOf))
        {
            var branchErrors = anyOf.EnumerateArray().Select(branch => { var e = new List<string>(); Validate(instance, branch, at, e); return e; }).ToList();
            if (branchErrors.All(e => e.Count > 0))
            {
                errors.Add($"{at}: matches no anyOf branch [{string.Join(" | ", branchErrors.Select(e => string.Join("; ", e.Take(3))))}]");
            }
        }

        if (schema.TryGetProperty("oneOf", out var oneOf))
        {
            var branchErrors = oneOf.EnumerateArray().Select(branch => { var e = new List<string>(); Validate(instance, branch, at, e); return e; }).ToList();
            var matches = branchErrors.Count(e => e.Count == 0);
            if (matches != 1)
            {
                errors.Add($"{at}: matches {matches} oneOf branches, exactly one required [{string.Join(" | ", branchErrors.Select(e => string.Join("; ", e.Take(3))))}]");
            }
        }

        if (instance.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        if (schema.TryGetProperty("enum", out var values) && !values.EnumerateArray().Any(v => JsonElement.DeepEquals(v, instance)))
        {
            errors.Add($"{at}: {instance.GetRawText()} is not one of {values.GetRawText()}");
        }

        if (schema.TryGetProperty("type", out var type))
        {
            ValidateType(instance, schema, type.GetString()!, at, errors);
        }
        else if (instance.ValueKind == JsonValueKind.Object && (schema.TryGetProperty("properties", out _) || schema.TryGetProperty("required", out _)))
        {
            ValidateObject(instance, schema, at, errors);
        }
    }

    private static readonly HashSet<string> Annotations = ["description", "default", "example", "deprecated", "title", "nullable"];

    private static bool IsOnlyNullable(JsonElement schema) => schema.EnumerateObject().All(p => Annotations.Contains(p.Name));

    private void ValidateType(JsonElement instance, JsonElement schema, string type, string at, List<string> errors)
    {
        switch (type)
        {
            case "object":
                if (instance.ValueKind != JsonValueKind.Object)
                {
                    errors.Add($"{at}: expected object, got {instance.ValueKind}");
                    return;
                }

                ValidateObject(instance, schema, at, errors);
                break;
            case "array":
                if (instance.ValueKind != JsonValueKind.Array)
                {
                    errors.Add($"{at}: expected array, got {instance.ValueKind}");
                    return;
                }

                ValidateArray(instance, schema, at, errors);
                break;
            case "string":
                if (instance.ValueKind != JsonValueKind.String)
                {
                    errors.Add($"{at}: expected string, got {instance.ValueKind}");
                    return;
                }

                ValidateString(instance.GetString()!, schema, at, errors);
                break;
            case "boolean":
                if (instance.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                {
                    errors.Add($"{at}: expected boolean, got {instance.ValueKind}");
                }

                break;
            case "integer":
            case "number":
                if (instance.ValueKind != JsonValueKind.Number)
                {
                    errors.Add($"{at}: expected {type}, got {instance.ValueKind}");
                    return;
                }

                ValidateNumber(instance, schema, type == "integer", at, errors);
                break;
            default:
                throw new NotSupportedException($"Schema type '{type}' at {at}");
        }
    }

    private void ValidateObject(JsonElement instance, JsonElement schema, string at, List<string> errors)
    {
        var properties = schema.TryGetProperty("properties", out var p) ? p : default;
        if (schema.TryGetProperty("required", out var required))
        {
            foreach (var name in required.EnumerateArray().Select(r => r.GetString()!))
            {
                if (!instance.TryGetProperty(name, out _))
                {
                    errors.Add($"{at}: required property '{name}' is missing");
                }
            }
        }

        var hasAdditional = schema.TryGetProperty("additionalProperties", out var additional);
        foreach (var property in instance.EnumerateObject())
        {
            var path = $"{at}.{property.Name}";
            if (properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(property.Name, out var propertySchema))
            {
                Validate(property.Value, propertySchema, path, errors);
            }
            else if (hasAdditional)
            {
                Validate(property.Value, additional, path, errors);
            }
            else if (properties.ValueKind == JsonValueKind.Object)
            {
                errors.Add($"{path}: property is not in the schema");
            }
        }
    }

    private void ValidateArray(JsonElement instance, JsonElement schema, string at, List<string> errors)
    {
        var count = instance.GetArrayLength();
        if (schema.TryGetProperty("minItems", out var min) && count < min.GetInt32())
        {
            errors.Add($"{at}: {count} items, at least {min.GetInt32()} required");
        }

        if (schema.TryGetProperty("maxItems", out var max) && count > max.GetInt32())
        {
            errors.Add($"{at}: {count} items, at most {max.GetInt32()} allowed");
        }

        if (schema.TryGetProperty("items", out var items))
        {
            var index = 0;
            foreach (var item in instance.EnumerateArray())
            {
                Validate(item, items, $"{at}[{index++}]", errors);
            }
        }

        if (schema.TryGetProperty("uniqueItems", out var unique) && unique.GetBoolean())
        {
            var all = instance.EnumerateArray().ToList();
            for (var i = 0; i < all.Count; i++)
            {
                for (var j = i + 1; j < all.Count; j++)
                {
                    if (JsonElement.DeepEquals(all[i], all[j]))
                    {
                        errors.Add($"{at}: items {i} and {j} are equal but items must be unique");
                    }
                }
            }
        }
    }

    private static void ValidateString(string value, JsonElement schema, string at, List<string> errors)
    {
        if (schema.TryGetProperty("minLength", out var min) && value.Length < min.GetInt32())
        {
            errors.Add($"{at}: shorter than {min.GetInt32()}");
        }

        if (schema.TryGetProperty("maxLength", out var max) && value.Length > max.GetInt32())
        {
            errors.Add($"{at}: longer than {max.GetInt32()}");
        }

        var format = schema.TryGetProperty("format", out var f) ? f.GetString() : null;
        var ok = format switch
        {
            "uuid" => Guid.TryParseExact(value, "D", out _),
            "date-time" => Regex.IsMatch(value, @"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
                && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
            _ => true,
        };
        if (!ok)
        {
            errors.Add($"{at}: '{value}' is not a valid {format}");
        }
    }

    private static void ValidateNumber(JsonElement instance, JsonElement schema, bool integer, string at, List<string> errors)
    {
        var value = instance.GetDouble();
        var format = schema.TryGetProperty("format", out var f) ? f.GetString() : null;
        if (integer && !(instance.TryGetInt64(out _) || instance.TryGetUInt64(out _)))
        {
            errors.Add($"{at}: {instance.GetRawText()} is not an integer");
            return;
        }

        (double Min, double Max)? range = format switch
        {
            "uint" or "uint64" => (0, ulong.MaxValue),
            "uint32" => (0, uint.MaxValue),
            "uint16" => (0, ushort.MaxValue),
            "uint8" => (0, byte.MaxValue),
            "int32" => (int.MinValue, int.MaxValue),
            "int64" or "int" => (long.MinValue, long.MaxValue),
            "float" => (float.MinValue, float.MaxValue),
            _ => null,
        };
        if (range is { } r && (value < r.Min || value > r.Max))
        {
            errors.Add($"{at}: {instance.GetRawText()} is out of range for {format}");
        }

        if (schema.TryGetProperty("minimum", out var minimum) && value < minimum.GetDouble())
        {
            errors.Add($"{at}: {instance.GetRawText()} is below the minimum {minimum.GetRawText()}");
        }

        if (schema.TryGetProperty("maximum", out var maximum) && value > maximum.GetDouble())
        {
            errors.Add($"{at}: {instance.GetRawText()} is above the maximum {maximum.GetRawText()}");
        }
    }
}
