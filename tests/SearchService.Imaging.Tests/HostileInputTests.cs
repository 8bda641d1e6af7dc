using System.Diagnostics;
using System.Globalization;
using System.Text;
using SearchService.Core.Images;
using SearchService.Imaging.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace SearchService.Imaging.Tests;

/// <summary>
/// Every shared edge case and every generated hostile input either decodes or fails with a typed
/// <see cref="ImageRejectedException"/>, within three seconds and without large memory growth. The time and memory bounds
/// are correctness bounds (a decoder that hangs or balloons on a crafted header is broken), not speed targets: the
/// slowest file takes about 0.2 s here, and decoding the smallest size refused as too large takes far longer than 3 s,
/// so the margin is for a loaded CI machine.
/// </summary>
public sealed class HostileInputTests(ITestOutputHelper output)
{
    private static readonly TimeSpan PerFileBound = TimeSpan.FromSeconds(3);
    private const long MemoryGrowthBound = 400L << 20;

    /// <summary>What each shared edge case must give; files not listed (exif-orientation, formats) must decode.</summary>
    private static readonly Dictionary<string, ImageRejectionReason?> SharedExpectations = new(StringComparer.Ordinal)
    {
        ["empty.jpg"] = ImageRejectionReason.Empty,
        ["not_an_image.jpg"] = ImageRejectionReason.UnsupportedFormat,
        ["decompression_bomb.gif"] = ImageRejectionReason.TooLarge,
        ["broken.png"] = ImageRejectionReason.Corrupt,
        ["truncated_jpeg.jpg"] = ImageRejectionReason.Corrupt,
        ["truncated_image.png"] = ImageRejectionReason.Corrupt,
        ["skimage_truncated.jpg"] = ImageRejectionReason.Corrupt,
        ["ultrahdr_truncated_gainmap.jpg"] = ImageRejectionReason.Corrupt,
        ["hopper_bad_exif.jpg"] = null, // damaged data and EXIF, but libjpeg decodes it (a noisy grey picture), as PIL does
        ["junk_jpeg_header.jpg"] = null,
        ["hopper.bmp"] = ImageRejectionReason.UnsupportedFormat,
    };

    [Fact]
    public void Shared_edge_cases_decode_or_fail_typed_within_bounds()
    {
        var files = Directory.GetFiles(Preparers.EdgeCases, "*", SearchOption.AllDirectories)
            .Where(file => !file.EndsWith(".md", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(file => new HostileCase(
                Path.GetRelativePath(Preparers.EdgeCases, file),
                File.ReadAllBytes(file),
                SharedExpectations.TryGetValue(Path.GetFileName(file), out var expected) ? expected : null))
            .ToList();
        Assert.True(files.Count >= 35, $"only {files.Count} shared edge cases found");
        Check(files, mustDecode: file => !SharedExpectations.ContainsKey(Path.GetFileName(file.Name)));
    }

    [Fact]
    public void Generated_hostile_inputs_fail_typed_within_bounds()
    {
        var cases = HostileFiles.All().ToList();
        Check(cases, mustDecode: _ => false);
    }

    [Fact]
    public void Headers_claiming_huge_sizes_are_refused_by_Probe_before_decoding()
    {
        var preparer = Preparers.Create();
        var huge = HostileFiles.All().Where(file => file.Expected == ImageRejectionReason.TooLarge).ToList();
        Assert.True(huge.Count >= 6);
        foreach (var file in huge)
        {
            var clock = Stopwatch.StartNew();
            var rejected = Assert.Throws<ImageRejectedException>(() => preparer.Probe(file.Data));
            Assert.Equal(ImageRejectionReason.TooLarge, rejected.Reason);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"{file.Name}: {clock.ElapsedMilliseconds} ms to refuse a header");
            output.WriteLine($"{file.Name}: {clock.Elapsed.TotalMilliseconds:F2} ms — {rejected.Message}");
        }
    }

    [Fact]
    public void Configured_limits_are_enforced()
    {
        var photo = File.ReadAllBytes(Path.Combine(Preparers.Photos, "chelsea.png"));
        var small = Preparers.Create(options: new() { MaxPixels = 451 * 300 - 1 });
        Assert.Equal(ImageRejectionReason.TooLarge, Assert.Throws<ImageRejectedException>(() => small.Probe(photo)).Reason);
        var narrow = Preparers.Create(options: new() { MaxSide = 450 });
        Assert.Equal(ImageRejectionReason.TooLarge, Assert.Throws<ImageRejectedException>(() => narrow.Prepare(photo, new(), CancellationToken.None)).Reason);
        var exact = Preparers.Create(options: new() { MaxPixels = 451 * 300, MaxSide = 451 });
        Assert.Equal(451, exact.Probe(photo).Width);
    }

    private void Check(IReadOnlyList<HostileCase> cases, Func<HostileCase, bool> mustDecode)
    {
        var preparer = Preparers.Create();
        // Warm up once so the first case does not pay for loading libvips and its modules.
        preparer.Prepare(File.ReadAllBytes(Path.Combine(Preparers.EdgeCases, "formats", "hopper.jpg")), new(), CancellationToken.None);
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var baseline = process.WorkingSet64;

        var report = new StringBuilder();
        var failures = new List<string>();
        foreach (var file in cases)
        {
            var clock = Stopwatch.StartNew();
            string outcome;
            ImageRejectionReason? reason = null;
            try
            {
                var prepared = preparer.Prepare(file.Data, new PrepareOptions(), CancellationToken.None);
                outcome = $"decoded {prepared.Probe.Format} {prepared.Probe.Width}x{prepared.Probe.Height}";
                Assert.Equal(Preparers.Clip224.TensorLength, prepared.Tensor.Length);
                Assert.All(prepared.Tensor, value => Assert.True(float.IsFinite(value)));
            }
            catch (ImageRejectedException rejected)
            {
                reason = rejected.Reason;
                outcome = $"{rejected.Reason}: {rejected.Message}";
            }
            catch (Exception error)
            {
                outcome = $"UNTYPED {error.GetType().Name}: {error.Message}";
                failures.Add($"{file.Name}: {outcome}");
            }

            clock.Stop();
            report.AppendLine(CultureInfo.InvariantCulture, $"{file.Name} ({file.Data.Length} B): {clock.Elapsed.TotalMilliseconds:F1} ms, {outcome}");
            if (clock.Elapsed > PerFileBound)
            {
                failures.Add($"{file.Name}: {clock.Elapsed.TotalMilliseconds:F0} ms");
            }

            if (file.Expected is { } expected && reason != expected)
            {
                failures.Add($"{file.Name}: expected {expected}, got {outcome}");
            }

            if (mustDecode(file) && reason is not null)
            {
                failures.Add($"{file.Name}: must decode, got {outcome}");
            }
        }

        process.Refresh();
        var growth = process.PeakWorkingSet64 - baseline;
        report.AppendLine(CultureInfo.InvariantCulture, $"peak working set {process.PeakWorkingSet64 >> 20} MB, {growth >> 20} MB above the start");
        output.WriteLine(report.ToString());
        Assert.True(growth < MemoryGrowthBound, $"peak working set grew by {growth >> 20} MB");
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }
}
