using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging.Abstractions;
using SearchService.Core.Storage;
using SearchService.Storage.Qdrant.Migration;
using SearchService.Testing;
using Xunit;
using static SearchService.Storage.Tests.Behaviour.VectorTestData;
using static SearchService.Storage.Tests.Qdrant.QdrantTestStores;

namespace SearchService.Storage.Tests.Qdrant;

public sealed class VectorMigrationTests : IDisposable
{
    private static readonly VectorCollection Collection = new("demo_3", 3);
    private readonly string _directory = Directory.CreateTempSubdirectory("migrate-").FullName;
    private readonly FakeQdrantServer _server = new();
    private readonly DictionarySource _source = new();
    private readonly DictionaryCatalog _catalog = new();

    public VectorMigrationTests()
    {
        var random = new Random(7);
        for (var i = 0; i < 23; i++)
        {
            // Ids from the seeded generator: the batch boundaries (and so the request counts asserted below) must not
            // depend on where random ids happen to sort the orphans.
            var id = new Guid(RandomBytes(random));
            _source.Vectors[id] = Unit(1 + random.NextSingle(), random.NextSingle(), random.NextSingle());
            // Every fifth vector has no catalog row: an orphan the migration must leave behind.
            if (i % 5 != 4)
            {
                _catalog.Records[id] = new ImageRecord(
                    id, $"{i:x64}", "image/jpeg", 1000 + i, 64, 48, $"img{i}.jpg",
                    new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero).AddHours(i), i % 2 == 0 ? new DateTimeOffset(2020, 6, 1, 0, 0, 0, TimeSpan.Zero) : null,
                    [$"tag{i % 3}"], new Dictionary<string, string> { ["n"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            }
        }
    }

    [Fact]
    public async Task Copies_every_catalogued_vector_with_its_payload_and_leaves_orphans()
    {
        var result = await Migration("http://qdrant-a").MigrateAsync(Collection, restart: false, CancellationToken.None);

        _server.AssertConforms();
        Assert.Equal(_catalog.Records.Count, result.Copied);
        Assert.Equal(_source.Vectors.Count - _catalog.Records.Count, result.Orphans);
        Assert.Equal(_catalog.Records.Count, result.TargetCount);
        var target = _server.Collection(Collection.Name)!;
        foreach (var (id, record) in _catalog.Records)
        {
            Assert.Equal(_source.Vectors[id], target.Vector(id)!, new FloatTolerance(1e-6f));
            Assert.Equal(record.Tags[0], target.Payload(id)!["tags"]![0]!.GetValue<string>());
            Assert.Equal(record.TakenAt is null, !target.Payload(id)!.ContainsKey("taken_at"));
        }

        Assert.All(_source.Vectors.Keys.Where(id => !_catalog.Records.ContainsKey(id)), id => Assert.Null(target.Vector(id)));
    }

    [Fact]
    public async Task An_interrupted_run_resumes_after_the_last_acknowledged_batch()
    {
        var upserts = 0;
        _server.Intercept = e => e.Method == "PUT" && e.Path.EndsWith("/points", StringComparison.Ordinal) && ++upserts == 3
            ? FakeQdrantServer.Error(400, "Bad request: simulated refusal")
            : null;
        await Assert.ThrowsAsync<VectorStoreException>(() => Migration("http://qdrant-a").MigrateAsync(Collection, restart: false, CancellationToken.None));
        Assert.True(File.Exists(Path.Combine(_directory, "migrate-demo_3.json")));
        _server.Intercept = null;
        var before = _server.Exchanges.Count;

        var result = await Migration("http://qdrant-a").MigrateAsync(Collection, restart: false, CancellationToken.None);

        _server.AssertConforms();
        Assert.Equal(10, result.Skipped);
        var resumed = _server.Exchanges.Skip(before).Where(e => e.Method == "PUT" && e.Path.EndsWith("/points", StringComparison.Ordinal)).ToArray();
        Assert.Equal(3, resumed.Length);
        var firstIds = _source.Vectors.Keys.Order().Take(10).Select(id => id.ToString()).ToHashSet();
        Assert.DoesNotContain(resumed.SelectMany(e => e.Json!["points"]!.AsArray()), p => firstIds.Contains(p!["id"]!.GetValue<string>()));
        Assert.Equal(_catalog.Records.Count, result.TargetCount);
    }

    [Fact]
    public async Task A_checkpoint_of_another_target_or_a_restart_copies_everything_again()
    {
        await Migration("http://qdrant-a").MigrateAsync(Collection, restart: false, CancellationToken.None);

        var other = await Migration("http://qdrant-b").MigrateAsync(Collection, restart: false, CancellationToken.None);
        var again = await Migration("http://qdrant-b").MigrateAsync(Collection, restart: false, CancellationToken.None);
        var restarted = await Migration("http://qdrant-b").MigrateAsync(Collection, restart: true, CancellationToken.None);

        Assert.Equal(_catalog.Records.Count, other.Copied);
        Assert.Equal(0, again.Copied);
        Assert.Equal(_source.Vectors.Count, again.Skipped);
        Assert.Equal(_catalog.Records.Count, restarted.Copied);
        Assert.Equal(_catalog.Records.Count, restarted.TargetCount);
        _server.AssertConforms();
    }

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[16];
        random.NextBytes(bytes);
        return bytes;
    }

    public void Dispose()
    {
        _server.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private VectorMigration Migration(string targetIdentity) =>
        new(_source, Create(_server), _catalog, _directory, targetIdentity, NullLogger<VectorMigration>.Instance) { BatchSize = 5 };

    /// <summary>The source side: only what a migration reads from a vector store.</summary>
    private sealed class DictionarySource : IVectorStore
    {
        public Dictionary<Guid, float[]> Vectors { get; } = [];

        public Task<float[]?> GetVectorAsync(VectorCollection collection, Guid id, CancellationToken cancellationToken) =>
            Task.FromResult(Vectors.GetValueOrDefault(id));

        public async IAsyncEnumerable<Guid> ListIdsAsync(VectorCollection collection, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            // Deliberately not in id order: the migration must order ids itself.
            foreach (var id in Vectors.Keys.OrderBy(id => id.GetHashCode()))
            {
                await Task.Yield();
                yield return id;
            }
        }

        public Task EnsureCollectionAsync(VectorCollection collection, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task UpsertAsync(VectorCollection collection, IReadOnlyList<VectorPoint> points, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<bool> SetPayloadAsync(VectorCollection collection, Guid id, ImagePayload payload, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task DeleteAsync(VectorCollection collection, IReadOnlyList<Guid> ids, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<ScoredPoint>> SearchAsync(VectorCollection collection, VectorQuery query, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<long> CountAsync(VectorCollection collection, ImageFilter? filter, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<bool> IsReadyAsync(CancellationToken cancellationToken) => throw new NotSupportedException();
    }

    /// <summary>The catalog side: a migration only reads records by id.</summary>
    private sealed class DictionaryCatalog : IImageCatalog
    {
        public Dictionary<Guid, ImageRecord> Records { get; } = [];

        public Task<IReadOnlyList<ImageRecord>> GetManyAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<ImageRecord>>(ids.Where(Records.ContainsKey).Select(id => Records[id]).ToArray());

        public Task<ImageRecord?> GetAsync(Guid id, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<ImageRecord?> FindBySha256Async(string sha256, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<(ImageRecord Record, bool Added)> AddOrGetAsync(ImageRecord record, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<ImageRecord?> UpdateAsync(Guid id, ImagePatch patch, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<bool> DeleteAsync(Guid id, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<Page<ImageRecord>> ListAsync(ImageFilter filter, string? cursor, int limit, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<long> CountAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

        public IAsyncEnumerable<Guid> ListIdsAsync(CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
