using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SearchService.Testing;

namespace SearchService.Storage.Tests.Qdrant;

/// <summary>One HTTP exchange as the fake saw it.</summary>
internal sealed record RecordedExchange(string Method, string Path, string Query, string? Body, int Status, IReadOnlyDictionary<string, string> Headers)
{
    public JsonNode? Json => Body is null ? null : JsonNode.Parse(Body);
}

/// <summary>
/// An in-process stand-in for a Qdrant server, behind an <see cref="HttpMessageHandler"/>. Every request it
/// receives is checked against both shipped OpenAPI specs (path and method exist, query parameters declared,
/// body valid for the endpoint's request schema) and every answer it gives is checked against the endpoint's
/// response schema for that status, in both specs; <see cref="Violations"/> collects what failed. Its behaviour
/// follows Qdrant's documentation: cosine vectors normalised on write, filters (must, must_not, match value and
/// any on keyword arrays, datetime ranges that never match a missing field, has_id), score_threshold, id order
/// for scroll. Equal scores come back in descending id order, so clients must order ties themselves.
/// </summary>
internal sealed class FakeQdrantServer : HttpMessageHandler
{
    public static readonly Lazy<IReadOnlyList<OpenApiSchemaValidator>> Specs = new(() =>
    [
        OpenApiSchemaValidator.Load(Path.Combine(TestPaths.SharedData, "qdrant", "openapi-v1.19.x.json")),
        OpenApiSchemaValidator.Load(Path.Combine(TestPaths.SharedData, "qdrant", "openapi-v1.13.x.json")),
    ]);

    private readonly ConcurrentDictionary<string, FakeCollection> _collections = new();
    private readonly ConcurrentQueue<RecordedExchange> _exchanges = new();
    private readonly ConcurrentQueue<string> _violations = new();

    /// <summary>Consulted before the simulation: a non-null answer (status, JSON body, headers) replaces it.</summary>
    public Func<RecordedExchange, (int Status, string? Body, IReadOnlyDictionary<string, string>? Headers)?>? Intercept { get; set; }

    public string? RequiredApiKey { get; set; }

    /// <summary>Path the server sits under (e.g. behind a reverse proxy); stripped before anything else.</summary>
    public string PathPrefix { get; set; } = "";

    public IReadOnlyList<RecordedExchange> Exchanges => _exchanges.ToArray();

    public IReadOnlyList<string> Violations => _violations.ToArray();

    public FakeCollection? Collection(string name) => _collections.GetValueOrDefault(name);

    /// <summary>Adds a collection as if some other client had created it with this <c>vectors</c> config.</summary>
    public FakeCollection AddCollection(string name, JsonNode vectors) => _collections[name] = new FakeCollection(vectors);

    public HttpClient CreateClient(string baseUrl = "http://qdrant.test:6333/") =>
        new(this, disposeHandler: false) { BaseAddress = new Uri(baseUrl) };

    public void AssertConforms()
    {
        Xunit.Assert.True(_violations.IsEmpty, "Contract violations:\n" + string.Join("\n", _violations));
        Xunit.Assert.NotEmpty(_exchanges);
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        var path = request.RequestUri!.AbsolutePath;
        if (PathPrefix.Length > 0)
        {
            // Like a reverse proxy that only forwards its prefix: anything else never reaches Qdrant.
            if (!path.StartsWith(PathPrefix + "/", StringComparison.Ordinal))
            {
                return new HttpResponseMessage(HttpStatusCode.BadGateway) { RequestMessage = request };
            }

            path = path[PathPrefix.Length..];
        }

        var query = request.RequestUri.Query;
        var headers = request.Headers.ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase);
        var pending = new RecordedExchange(request.Method.Method, path, query, body, 0, headers);

        var answer = Intercept?.Invoke(pending);
        var (status, json, extraHeaders) = answer ?? Simulate(pending);
        var exchange = pending with { Status = status };
        _exchanges.Enqueue(exchange);
        CheckContract(exchange, json);

        var response = new HttpResponseMessage((HttpStatusCode)status) { RequestMessage = request };
        if (json is not null)
        {
            response.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        foreach (var (name, value) in extraHeaders ?? new Dictionary<string, string>())
        {
            response.Headers.TryAddWithoutValidation(name, value);
        }

        return response;
    }

    private void CheckContract(RecordedExchange exchange, string? responseJson)
    {
        var relative = Uri.UnescapeDataString(exchange.Path);
        foreach (var spec in Specs.Value)
        {
            var template = spec.FindOperation(exchange.Method, relative);
            if (template is null)
            {
                _violations.Enqueue($"[{spec.Name}] {exchange.Method} {relative}: no such operation");
                continue;
            }

            var query = ParseQuery(exchange.Query);
            foreach (var error in spec.ValidateQuery(template, exchange.Method, query))
            {
                _violations.Enqueue($"[{spec.Name}] {exchange.Method} {template}: {error}");
            }

            var requestSchema = spec.RequestBodySchema(template, exchange.Method);
            if (exchange.Body is not null)
            {
                if (requestSchema is not { } schema)
                {
                    _violations.Enqueue($"[{spec.Name}] {exchange.Method} {template}: sends a body the operation does not take");
                }
                else
                {
                    using var document = JsonDocument.Parse(exchange.Body);
                    foreach (var error in spec.Validate(document.RootElement, schema))
                    {
                        _violations.Enqueue($"[{spec.Name}] {exchange.Method} {template} request: {error}");
                    }
                }
            }
            else if (requestSchema is not null && exchange.Method != "GET")
            {
                _violations.Enqueue($"[{spec.Name}] {exchange.Method} {template}: body required");
            }

            if (responseJson is not null && spec.ResponseSchema(template, exchange.Method, exchange.Status) is { } responseSchema)
            {
                using var document = JsonDocument.Parse(responseJson);
                foreach (var error in spec.Validate(document.RootElement, responseSchema))
                {
                    _violations.Enqueue($"[{spec.Name}] {exchange.Method} {template} response {exchange.Status}: {error}");
                }
            }
        }
    }

    private static List<KeyValuePair<string, string>> ParseQuery(string query) =>
        query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(part => part.Split('=', 2))
            .Select(kv => new KeyValuePair<string, string>(Uri.UnescapeDataString(kv[0]), kv.Length > 1 ? Uri.UnescapeDataString(kv[1]) : ""))
            .ToList();

    private (int, string?, IReadOnlyDictionary<string, string>?) Simulate(RecordedExchange exchange)
    {
        if (RequiredApiKey is not null && (!exchange.Headers.TryGetValue("api-key", out var key) || key != RequiredApiKey))
        {
            return Error(401, "Must provide an API key or an Authorization bearer token");
        }

        var segments = Uri.UnescapeDataString(exchange.Path).Trim('/').Split('/');
        if (segments is ["readyz"] or ["healthz"])
        {
            return (200, null, null);
        }

        if (segments.Length < 2 || segments[0] != "collections")
        {
            return Error(404, "Not found");
        }

        var name = segments[1];
        var rest = string.Join('/', segments.Skip(2));
        var request = exchange.Json;
        if (rest == "" && exchange.Method == "PUT")
        {
            if (_collections.ContainsKey(name))
            {
                return Error(409, $"Wrong input: Collection `{name}` already exists!");
            }

            _collections[name] = new FakeCollection(request!["vectors"]!.DeepClone()) { CreateRequest = request };
            return Ok(JsonValue.Create(true));
        }

        if (rest == "" && exchange.Method == "DELETE")
        {
            return Ok(JsonValue.Create(_collections.TryRemove(name, out _)));
        }

        if (!_collections.TryGetValue(name, out var collection))
        {
            return Error(404, $"Not found: Collection `{name}` doesn't exist!");
        }

        lock (collection)
        {
            return (exchange.Method, rest) switch
            {
                ("GET", "") => Ok(collection.Info()),
                ("PUT", "index") => Ok(collection.CreateIndex(request!)),
                ("PUT", "points") => Ok(collection.Upsert(request!)),
                ("POST", "points") => Ok(collection.Retrieve(request!)),
                ("POST", "points/delete") => Ok(collection.Delete(request!)),
                ("PUT", "points/payload") => collection.OverwritePayload(request!) is { } result ? Ok(result) : Error(404, "No point with id found"),
                ("POST", "points/count") => Ok(new JsonObject { ["count"] = collection.Matching(request!["filter"]).Count() }),
                ("POST", "points/scroll") => Ok(collection.Scroll(request!)),
                ("POST", "points/query") => Ok(collection.Query(request!)),
                _ => Error(404, $"{exchange.Method} {rest} is not simulated"),
            };
        }
    }

    private static (int, string?, IReadOnlyDictionary<string, string>?) Ok(JsonNode? result) =>
        (200, new JsonObject { ["result"] = result, ["status"] = "ok", ["time"] = 0.001 }.ToJsonString(), null);

    public static (int, string?, IReadOnlyDictionary<string, string>?) Error(int status, string message) =>
        (status, new JsonObject { ["status"] = new JsonObject { ["error"] = message }, ["time"] = 0.0 }.ToJsonString(), null);
}

/// <summary>A collection's points and indexes inside <see cref="FakeQdrantServer"/>.</summary>
internal sealed class FakeCollection(JsonNode vectors)
{
    private readonly SortedDictionary<Guid, (float[] Vector, JsonObject Payload)> _points = new();
    private readonly Dictionary<string, string> _indexes = new(StringComparer.Ordinal);
    private long _operation;

    public JsonNode? CreateRequest { get; init; }

    public IReadOnlyDictionary<string, string> Indexes => _indexes;

    public int Count => _points.Count;

    public JsonObject? Payload(Guid id) => _points.TryGetValue(id, out var point) ? point.Payload : null;

    public float[]? Vector(Guid id) => _points.TryGetValue(id, out var point) ? point.Vector : null;

    public JsonNode Info()
    {
        var schema = new JsonObject();
        foreach (var (field, type) in _indexes)
        {
            schema[field] = new JsonObject { ["data_type"] = type, ["points"] = _points.Count };
        }

        return new JsonObject
        {
            ["status"] = "green",
            ["optimizer_status"] = "ok",
            ["segments_count"] = 1,
            ["points_count"] = _points.Count,
            ["indexed_vectors_count"] = 0,
            ["payload_schema"] = schema,
            ["config"] = new JsonObject
            {
                ["params"] = new JsonObject { ["vectors"] = vectors.DeepClone(), ["shard_number"] = 1, ["replication_factor"] = 1, ["write_consistency_factor"] = 1, ["on_disk_payload"] = true },
                ["hnsw_config"] = new JsonObject { ["m"] = 16, ["ef_construct"] = 100, ["full_scan_threshold"] = 10000 },
                ["optimizer_config"] = new JsonObject
                {
                    ["deleted_threshold"] = 0.2, ["vacuum_min_vector_number"] = 1000, ["default_segment_number"] = 0, ["flush_interval_sec"] = 5,
                },
            },
        };
    }

    public JsonNode CreateIndex(JsonNode request)
    {
        _indexes[request["field_name"]!.GetValue<string>()] = request["field_schema"]!.GetValue<string>();
        return Completed();
    }

    public JsonNode Upsert(JsonNode request)
    {
        foreach (var point in request["points"]!.AsArray())
        {
            var vector = point!["vector"]!.AsArray().Select(v => v!.GetValue<float>()).ToArray();
            var norm = MathF.Sqrt(vector.Sum(v => v * v));
            _points[Guid.Parse(point["id"]!.GetValue<string>())] = (norm > 0 ? vector.Select(v => v / norm).ToArray() : vector, point["payload"]!.AsObject().DeepClone().AsObject());
        }

        return Completed();
    }

    public JsonNode Retrieve(JsonNode request)
    {
        var withVector = request["with_vector"]?.GetValue<bool>() ?? false;
        var records = new JsonArray();
        foreach (var id in request["ids"]!.AsArray().Select(i => Guid.Parse(i!.GetValue<string>())))
        {
            if (_points.TryGetValue(id, out var point))
            {
                var record = new JsonObject { ["id"] = id.ToString() };
                if (withVector)
                {
                    record["vector"] = new JsonArray(point.Vector.Select(v => (JsonNode)JsonValue.Create(v)).ToArray());
                }

                records.Add(record);
            }
        }

        return records;
    }

    public JsonNode Delete(JsonNode request)
    {
        foreach (var id in request["points"]!.AsArray())
        {
            _points.Remove(Guid.Parse(id!.GetValue<string>()));
        }

        return Completed();
    }

    public JsonNode? OverwritePayload(JsonNode request)
    {
        var ids = request["points"]!.AsArray().Select(i => Guid.Parse(i!.GetValue<string>())).ToArray();
        if (ids.Any(id => !_points.ContainsKey(id)))
        {
            return null;
        }

        foreach (var id in ids)
        {
            _points[id] = (_points[id].Vector, request["payload"]!.AsObject().DeepClone().AsObject());
        }

        return Completed();
    }

    public JsonNode Scroll(JsonNode request)
    {
        var limit = request["limit"]?.GetValue<int>() ?? 10;
        var start = request["offset"] is { } offset ? Guid.Parse(offset.GetValue<string>()) : Guid.Empty;
        var page = _points.Keys.Where(id => id.CompareTo(start) >= 0).Take(limit + 1).ToList();
        var result = new JsonObject { ["points"] = new JsonArray(page.Take(limit).Select(id => (JsonNode)new JsonObject { ["id"] = id.ToString() }).ToArray()) };
        result["next_page_offset"] = page.Count > limit ? page[limit].ToString() : null;
        return result;
    }

    public JsonNode Query(JsonNode request)
    {
        var query = request["query"]!.AsArray().Select(v => v!.GetValue<float>()).ToArray();
        var norm = MathF.Sqrt(query.Sum(v => v * v));
        var threshold = request["score_threshold"]?.GetValue<float>();
        var limit = request["limit"]?.GetValue<int>() ?? 10;
        var offset = request["offset"]?.GetValue<int>() ?? 0;
        var hits = Matching(request["filter"])
            .Select(id => (Id: id, Score: Dot(_points[id].Vector, query) / norm))
            .Where(hit => threshold is null || hit.Score >= threshold)
            .OrderByDescending(hit => hit.Score).ThenByDescending(hit => hit.Id)
            .Skip(offset).Take(limit);
        return new JsonObject
        {
            ["points"] = new JsonArray(hits.Select(hit => (JsonNode)new JsonObject { ["id"] = hit.Id.ToString(), ["version"] = _operation, ["score"] = hit.Score }).ToArray()),
        };
    }

    public IEnumerable<Guid> Matching(JsonNode? filter) => _points.Keys.Where(id => filter is null || FilterMatches(filter, id)).ToList();

    private static float Dot(float[] a, float[] b)
    {
        var sum = 0f;
        for (var i = 0; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    private bool FilterMatches(JsonNode filter, Guid id) =>
        Conditions(filter["must"]).All(c => ConditionMatches(c, id))
        && !Conditions(filter["must_not"]).Any(c => ConditionMatches(c, id))
        && (filter["should"] is null || Conditions(filter["should"]).Any(c => ConditionMatches(c, id)));

    private static IEnumerable<JsonNode> Conditions(JsonNode? node) => node switch
    {
        null => [],
        JsonArray array => array.Select(c => c!),
        _ => [node],
    };

    private bool ConditionMatches(JsonNode condition, Guid id)
    {
        if (condition["has_id"] is JsonArray ids)
        {
            return ids.Any(i => Guid.Parse(i!.GetValue<string>()) == id);
        }

        if (condition["must"] is not null || condition["must_not"] is not null || condition["should"] is not null)
        {
            return FilterMatches(condition, id);
        }

        var field = _points[id].Payload[condition["key"]!.GetValue<string>()];
        var values = field switch
        {
            null => [],
            JsonArray array => array.Select(v => v!).ToArray(),
            _ => new[] { field },
        };
        if (condition["match"] is JsonObject match)
        {
            if (match["value"] is { } value)
            {
                return values.Any(v => JsonNode.DeepEquals(v, value));
            }

            return match["any"]!.AsArray().Any(option => values.Any(v => JsonNode.DeepEquals(v, option)));
        }

        if (condition["range"] is JsonObject range)
        {
            return values.Any(v => v.GetValueKind() == JsonValueKind.String && InRange(ParseDate(v.GetValue<string>()), range));
        }

        throw new NotSupportedException($"Condition not simulated: {condition.ToJsonString()}");
    }

    private static bool InRange(DateTimeOffset value, JsonObject range) =>
        (range["gte"] is not { } gte || value >= ParseDate(gte.GetValue<string>()))
        && (range["gt"] is not { } gt || value > ParseDate(gt.GetValue<string>()))
        && (range["lt"] is not { } lt || value < ParseDate(lt.GetValue<string>()))
        && (range["lte"] is not { } lte || value <= ParseDate(lte.GetValue<string>()));

    private static DateTimeOffset ParseDate(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    private JsonObject Completed() => new() { ["operation_id"] = ++_operation, ["status"] = "completed" };
}
