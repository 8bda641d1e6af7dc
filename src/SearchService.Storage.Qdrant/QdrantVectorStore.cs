using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using SearchService.Core.Storage;
using SearchService.Storage.Qdrant.Protocol;

namespace SearchService.Storage.Qdrant;

/// <summary>
/// <see cref="IVectorStore"/> over Qdrant's REST API: one collection per model (cosine, unnamed vector),
/// point id = image id, payload laid out as <see cref="QdrantPayload"/> describes. Writes wait for Qdrant to
/// apply them (<c>wait=true</c>), so an acknowledged write is durable.
/// </summary>
public sealed class QdrantVectorStore : IVectorStore
{
    /// <summary>Name of the <see cref="HttpClient"/> registered for this store.</summary>
    public const string HttpClientName = "Qdrant";

    private const string Distance = "Cosine";
    private static QdrantJsonContext Json => QdrantJsonContext.Default;

    private readonly QdrantTransport _transport;
    private readonly QdrantOptions _options;
    private readonly ILogger<QdrantVectorStore> _logger;
    private readonly string _writeQuery;

    /// <summary>Uses <paramref name="http"/> as is: its base address is the Qdrant URL and it carries the api-key header if any.</summary>
    public QdrantVectorStore(HttpClient http, QdrantOptions options, ILogger<QdrantVectorStore> logger, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        _options = options;
        _logger = logger;
        _transport = new QdrantTransport(http, options, logger, timeProvider ?? TimeProvider.System);
        _writeQuery = options.WriteOrdering is { } ordering ? $"?wait=true&ordering={ordering}" : "?wait=true";
    }

    public async Task EnsureCollectionAsync(VectorCollection collection, CancellationToken cancellationToken)
    {
        VectorCollection.Validate(collection);
        var info = await GetCollectionAsync(collection, cancellationToken).ConfigureAwait(false);
        if (info is null)
        {
            var created = await CreateCollectionAsync(collection, cancellationToken).ConfigureAwait(false);
            // Another replica may have created it between our look and our create: verify theirs instead.
            info = created ? null : await GetCollectionAsync(collection, cancellationToken).ConfigureAwait(false);
        }

        if (info is not null)
        {
            Verify(collection, info);
            QdrantLog.CollectionVerified(_logger, collection.Name, collection.Dimensions);
        }

        var existing = info?.PayloadSchema ?? new Dictionary<string, JsonElement>();
        foreach (var (field, schema) in QdrantPayloadLayout.Indexes)
        {
            if (existing.ContainsKey(field))
            {
                continue;
            }

            await _transport.SendAsync(
                "create payload index", HttpMethod.Put, $"{CollectionPath(collection)}/index{_writeQuery}",
                new CreateFieldIndex(field, schema), Json.CreateFieldIndex, Json.QdrantResponseUpdateResult, notFoundIsDefault: false, cancellationToken).ConfigureAwait(false);
            QdrantLog.PayloadIndexCreated(_logger, collection.Name, field, schema);
        }
    }

    public async Task UpsertAsync(VectorCollection collection, IReadOnlyList<VectorPoint> points, CancellationToken cancellationToken)
    {
        VectorCollection.Validate(collection);
        ArgumentNullException.ThrowIfNull(points);
        foreach (var point in points)
        {
            collection.EnsureAccepts(point.Vector, nameof(points));
        }

        if (points.Count == 0)
        {
            return;
        }

        // The last write of an id wins, as it would applied one by one; batches then never race on an id.
        var latest = new Dictionary<Guid, VectorPoint>();
        foreach (var point in points)
        {
            latest[point.Id] = point;
        }

        var batches = latest.Values
            .Select(point => new PointStruct(point.Id, point.Vector, QdrantPayloadLayout.ToPayload(point.Payload)))
            .Chunk(_options.UpsertBatchSize)
            .ToArray();
        var path = $"{CollectionPath(collection)}/points{_writeQuery}";
        await Parallel.ForEachAsync(
            batches,
            new ParallelOptions { MaxDegreeOfParallelism = _options.UpsertParallelism, CancellationToken = cancellationToken },
            async (batch, token) =>
            {
                var result = await _transport.SendAsync(
                    "upsert", HttpMethod.Put, path, new PointsList(batch), Json.PointsList, Json.QdrantResponseUpdateResult, notFoundIsDefault: false, token).ConfigureAwait(false);
                EnsureCompleted("upsert", result);
            }).ConfigureAwait(false);
    }

    public async Task<bool> SetPayloadAsync(VectorCollection collection, Guid id, ImagePayload payload, CancellationToken cancellationToken)
    {
        VectorCollection.Validate(collection);
        ArgumentNullException.ThrowIfNull(payload);
        // Whether Qdrant refuses a payload for a missing id has varied by version: look first so the answer is exact;
        // a 404 from the write itself (the point deleted meanwhile) is a false too.
        if (await RetrieveAsync(collection, id, withVector: false, cancellationToken).ConfigureAwait(false) is null)
        {
            return false;
        }

        var result = await _transport.SendAsync(
            "set payload", HttpMethod.Put, $"{CollectionPath(collection)}/points/payload{_writeQuery}",
            new SetPayload(QdrantPayloadLayout.ToPayload(payload), [id]), Json.SetPayload, Json.QdrantResponseUpdateResult, notFoundIsDefault: true, cancellationToken).ConfigureAwait(false);
        if (result is null)
        {
            return false;
        }

        EnsureCompleted("set payload", result);
        return true;
    }

    public async Task DeleteAsync(VectorCollection collection, IReadOnlyList<Guid> ids, CancellationToken cancellationToken)
    {
        VectorCollection.Validate(collection);
        ArgumentNullException.ThrowIfNull(ids);
        foreach (var batch in ids.Distinct().Chunk(_options.UpsertBatchSize))
        {
            var result = await _transport.SendAsync(
                "delete", HttpMethod.Post, $"{CollectionPath(collection)}/points/delete{_writeQuery}",
                new PointIdsList(batch), Json.PointIdsList, Json.QdrantResponseUpdateResult, notFoundIsDefault: false, cancellationToken).ConfigureAwait(false);
            EnsureCompleted("delete", result);
        }
    }

    public async Task<float[]?> GetVectorAsync(VectorCollection collection, Guid id, CancellationToken cancellationToken)
    {
        VectorCollection.Validate(collection);
        var record = await RetrieveAsync(collection, id, withVector: true, cancellationToken).ConfigureAwait(false);
        if (record is null)
        {
            return null;
        }

        return record.Vector ?? throw new VectorStoreException($"Qdrant returned point {id} of {collection.Name} without its vector.");
    }

    public async Task<IReadOnlyList<ScoredPoint>> SearchAsync(VectorCollection collection, VectorQuery query, CancellationToken cancellationToken)
    {
        VectorCollection.Validate(collection);
        ArgumentNullException.ThrowIfNull(query);
        collection.EnsureAccepts(query.Vector, nameof(query));
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1, nameof(query));
        ArgumentOutOfRangeException.ThrowIfNegative(query.Offset, nameof(query));

        var filter = QdrantPayloadLayout.ToFilter(query.Filter, query.ExcludeIds);
        var parameters = new SearchParams(
            _options.HnswEf,
            _options.ExactSearch,
            _options.Collection.ScalarQuantization ? new QuantizationSearchParams(_options.Collection.QuantizationRescore, _options.Collection.QuantizationOversampling) : null);
        var path = $"{CollectionPath(collection)}/points/query";

        // Qdrant orders equal scores arbitrarily; fetch past the page until the score after it differs, then
        // order ties by id ourselves so every page is stable and pages never overlap.
        var wanted = checked(query.Offset + query.Limit);
        var fetch = wanted + 1;
        while (true)
        {
            var request = new QueryRequest(query.Vector, fetch, filter, parameters, query.MinScore, WithPayload: false, WithVector: false);
            var response = await _transport.SendAsync(
                "search", HttpMethod.Post, path, request, Json.QueryRequest, Json.QdrantResponseQueryResponse, notFoundIsDefault: false, cancellationToken).ConfigureAwait(false);
            var hits = response!.Points;
            var exhausted = hits.Count < fetch;
            if (exhausted || hits.Count <= wanted || hits[wanted].Score != hits[wanted - 1].Score)
            {
                return hits
                    .Select(hit => new ScoredPoint(hit.Id, hit.Score))
                    .OrderByDescending(hit => hit.Score)
                    .ThenBy(hit => hit.Id)
                    .Skip(query.Offset)
                    .Take(query.Limit)
                    .ToArray();
            }

            fetch = checked(fetch * 2);
        }
    }

    public async Task<long> CountAsync(VectorCollection collection, ImageFilter? filter, CancellationToken cancellationToken)
    {
        VectorCollection.Validate(collection);
        var result = await _transport.SendAsync(
            "count", HttpMethod.Post, $"{CollectionPath(collection)}/points/count",
            new CountRequest(QdrantPayloadLayout.ToFilter(filter, null), Exact: true), Json.CountRequest, Json.QdrantResponseCountResult, notFoundIsDefault: false, cancellationToken).ConfigureAwait(false);
        return result!.Count;
    }

    public async IAsyncEnumerable<Guid> ListIdsAsync(VectorCollection collection, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        VectorCollection.Validate(collection);
        Guid? offset = null;
        var path = $"{CollectionPath(collection)}/points/scroll";
        do
        {
            var page = await _transport.SendAsync(
                "scroll", HttpMethod.Post, path, new ScrollRequest(_options.ScrollPageSize, offset, WithPayload: false, WithVector: false),
                Json.ScrollRequest, Json.QdrantResponseScrollResult, notFoundIsDefault: false, cancellationToken).ConfigureAwait(false);
            foreach (var point in page!.Points)
            {
                yield return point.Id;
            }

            offset = page.NextPageOffset;
        }
        while (offset is not null);
    }

    public async Task<bool> IsReadyAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _transport.SendRawAsync("readiness check", HttpMethod.Get, "readyz", content: null, cancellationToken).ConfigureAwait(false);
            return response.IsSuccessStatusCode;
        }
        catch (VectorStoreException exception)
        {
            QdrantLog.NotReady(_logger, exception);
            return false;
        }
    }

    /// <summary>Deletes the whole collection (tests and tooling; the service never drops data); false if it did not exist.</summary>
    internal async Task<bool> DeleteCollectionAsync(VectorCollection collection, CancellationToken cancellationToken)
    {
        VectorCollection.Validate(collection);
        var deleted = await _transport.SendAsync<object, bool>(
            "delete collection", HttpMethod.Delete, CollectionPath(collection), null, null, Json.QdrantResponseBoolean, notFoundIsDefault: true, cancellationToken).ConfigureAwait(false);
        return deleted;
    }

    private async Task<CollectionInfo?> GetCollectionAsync(VectorCollection collection, CancellationToken cancellationToken) =>
        await _transport.SendAsync<object, CollectionInfo>(
            "get collection", HttpMethod.Get, CollectionPath(collection), null, null, Json.QdrantResponseCollectionInfo, notFoundIsDefault: true, cancellationToken).ConfigureAwait(false);

    /// <summary>Creates the collection; false when it turned out to exist already.</summary>
    private async Task<bool> CreateCollectionAsync(VectorCollection collection, CancellationToken cancellationToken)
    {
        var settings = _options.Collection;
        var hnsw = settings.HnswM is null && settings.HnswEfConstruct is null ? null : new HnswConfigDiff(settings.HnswM, settings.HnswEfConstruct);
        var quantization = settings.ScalarQuantization
            ? new QuantizationConfig(new ScalarQuantizationConfig("int8", settings.QuantizationQuantile, settings.QuantizationAlwaysRam))
            : null;
        var body = new CreateCollection(
            new VectorParams(collection.Dimensions, Distance, settings.OnDiskVectors ? true : null),
            settings.ShardNumber,
            settings.ReplicationFactor,
            settings.WriteConsistencyFactor,
            settings.OnDiskPayload ? true : null,
            hnsw,
            quantization);
        var content = JsonSerializer.SerializeToUtf8Bytes(body, Json.CreateCollection);
        using var response = await _transport.SendRawAsync("create collection", HttpMethod.Put, CollectionPath(collection), content, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var error = await QdrantTransport.ToExceptionAsync("create collection", response, cancellationToken).ConfigureAwait(false);
            // "Already exists" is 409 on current servers and was 400 on older ones: someone else won the race.
            if (response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.BadRequest
                && await GetCollectionAsync(collection, cancellationToken).ConfigureAwait(false) is not null)
            {
                return false;
            }

            throw error;
        }

        QdrantLog.CollectionCreated(_logger, collection.Name, collection.Dimensions);
        return true;
    }

    private async Task<Record?> RetrieveAsync(VectorCollection collection, Guid id, bool withVector, CancellationToken cancellationToken)
    {
        var records = await _transport.SendAsync(
            "retrieve point", HttpMethod.Post, $"{CollectionPath(collection)}/points",
            new PointRequest([id], WithPayload: false, withVector), Json.PointRequest, Json.QdrantResponseIReadOnlyListRecord, notFoundIsDefault: false, cancellationToken).ConfigureAwait(false);
        return records!.FirstOrDefault(record => record.Id == id);
    }

    private static void Verify(VectorCollection collection, CollectionInfo info)
    {
        var vectors = info.Config.Params.Vectors;
        if (vectors.ValueKind != JsonValueKind.Object
            || !vectors.TryGetProperty("size", out var size) || size.ValueKind != JsonValueKind.Number
            || !vectors.TryGetProperty("distance", out var distance) || distance.ValueKind != JsonValueKind.String)
        {
            throw new VectorStoreException(
                $"Qdrant collection {collection.Name} exists with named vectors ({vectors.GetRawText()}); this service needs one unnamed {collection.Dimensions}-dimension cosine vector per point. Use another model name or delete the collection.");
        }

        if (size.GetInt64() != collection.Dimensions || distance.GetString() != Distance)
        {
            throw new VectorStoreException(
                $"Qdrant collection {collection.Name} exists with {size.GetInt64()} dimensions and {distance.GetString()} distance; this model needs {collection.Dimensions} dimensions and {Distance}. Delete the collection or point the service at another Qdrant.");
        }
    }

    private static void EnsureCompleted(string operation, UpdateResult? result)
    {
        if (result?.Status != "completed")
        {
            // With wait=true anything but "completed" (e.g. wait_timeout) means the write is not known durable.
            throw new VectorStoreException($"Qdrant {operation} was not confirmed as applied (status '{result?.Status}').", isTransient: true);
        }
    }

    private static string CollectionPath(VectorCollection collection) => $"collections/{Uri.EscapeDataString(collection.Name)}";
}
