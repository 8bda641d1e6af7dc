using System.Diagnostics;
using System.Security.Cryptography;
using SearchService.Core.Storage;
using Xunit;

namespace SearchService.Storage.Tests.Durability;

/// <summary>
/// A writer process is killed (SIGKILL) at a random moment while it stores images; every write it acknowledged is
/// then complete (row, vector, original and thumbnail, bytes intact), no row lacks a part, and reconciliation
/// removes whatever the interrupted write left, so the store holds exactly the committed images.
/// </summary>
public sealed class KilledWriterTests : IDisposable
{
    private const int Kills = 3;
    private const int MaxImagesPerRun = 10_000;

    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Every_acknowledged_image_survives_a_killed_writer_and_nothing_half_written_remains()
    {
        var acknowledged = new HashSet<Guid>();
        var random = new Random();
        for (var run = 0; run < Kills; run++)
        {
            acknowledged.UnionWith(await RunAndKillAsync(acksBeforeKill: 5 + random.Next(10), killDelay: TimeSpan.FromMilliseconds(random.Next(30))));
        }

        var (catalog, vectors, blobs, library) = DurabilityWriter.Open(_folder.Path);
        using (catalog)
        using (vectors)
        {
            var collection = new VectorCollection(DurabilityWriter.Model.CollectionName, DurabilityWriter.Dimensions);
            await vectors.EnsureCollectionAsync(collection, CancellationToken.None);

            // At most the one image in flight at each kill is left over: a blob or vector without its row.
            var removed = await library.ReconcileAsync(CancellationToken.None);
            Assert.InRange(removed, 0, 2 * Kills);

            var rows = new HashSet<Guid>();
            await foreach (var id in catalog.ListIdsAsync(CancellationToken.None))
            {
                rows.Add(id);
            }

            Assert.Superset(acknowledged, rows);
            Assert.InRange(rows.Count - acknowledged.Count, 0, Kills);
            foreach (var record in await catalog.GetManyAsync(rows, CancellationToken.None))
            {
                Assert.NotNull(await vectors.GetVectorAsync(collection, record.Id, CancellationToken.None));
                var original = blobs.GetPath(record.Sha256, BlobKind.Original);
                Assert.NotNull(original);
                Assert.Equal(record.Sha256, Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(original))));
                Assert.Equal(record.SizeBytes, new FileInfo(original).Length);
                Assert.NotNull(blobs.GetPath(record.Sha256, BlobKind.Thumbnail));
            }

            var vectorIds = new HashSet<Guid>();
            await foreach (var id in vectors.ListIdsAsync(collection, CancellationToken.None))
            {
                vectorIds.Add(id);
            }

            Assert.Equal(rows, vectorIds);
            var blobKeys = new List<string>();
            await foreach (var key in blobs.ListKeysAsync(CancellationToken.None))
            {
                blobKeys.Add(key);
            }

            Assert.Equal(rows.Count, blobKeys.Count);
            Assert.Equal(rows.Count, await vectors.CountAsync(collection, new ImageFilter { TagsAll = ["durable"] }, CancellationToken.None));
        }
    }

    /// <summary>Starts the writer, waits for some acknowledgements, then kills it mid-way through a later write.</summary>
    private async Task<List<Guid>> RunAndKillAsync(int acksBeforeKill, TimeSpan killDelay)
    {
        var startInfo = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "exec", typeof(Program).Assembly.Location, DurabilityWriter.Command, _folder.Path, MaxImagesPerRun.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException("The writer did not start.");
        var stderr = process.StandardError.ReadToEndAsync();
        var acks = new List<Guid>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            while (acks.Count < acksBeforeKill)
            {
                var line = await process.StandardOutput.ReadLineAsync(timeout.Token)
                    ?? throw new InvalidOperationException($"The writer exited early ({process.ExitCode}): {await stderr}");
                acks.Add(Guid.Parse(line["committed ".Length..]));
            }

            await Task.Delay(killDelay, timeout.Token);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
        }

        // Acknowledgements already on their way out count too: the writer printed them only after committing.
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            acks.Add(Guid.Parse(line["committed ".Length..]));
        }

        await process.WaitForExitAsync(timeout.Token);
        Assert.NotEqual(0, process.ExitCode);
        return acks;
    }
}
