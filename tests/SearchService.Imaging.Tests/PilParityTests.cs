using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using SearchService.Core.Images;
using SearchService.Core.Models;
using SearchService.Imaging.Tests.Support;
using SearchService.Testing;
using Xunit;
using Xunit.Abstractions;

namespace SearchService.Imaging.Tests;

/// <summary>
/// Our tensors against open_clip's transform run by PIL (tests/fixtures/reference/pil_preprocess.py) in the same run,
/// for every photo and decodable edge-case format. Differences are in normalised units (one 8-bit step ≈ 0.015).
/// </summary>
public sealed class PilParityTests(ITestOutputHelper output)
{
    private const double MeanBound = 0.005;
    private const double MaxBound = 0.05;

    /// <summary>
    /// Files where PIL is not the truth, compared against the file PIL reads correctly instead: PIL clips 16-bit grey
    /// to white and cannot open HEIF/AVIF. Bounds are loose for the lossy copies, proving only that the right picture
    /// came out. (CMYK without a profile is converted by PIL's own formula and compared like any other file.)
    /// </summary>
    private static readonly Dictionary<string, (string Reference, double Mean, string Why)> ByDesign = new(StringComparer.Ordinal)
    {
        ["camera_gray16.png"] = ("../../photos/camera.png", 0.01, "16-bit scaled to 8-bit; PIL clips 16-bit grey to white"),
        ["hopper.heif"] = ("hopper.png", 0.15, "HEIF: PIL cannot read it; compared with the lossless PNG"),
        ["hopper.avif"] = ("hopper.png", 0.15, "AVIF: PIL cannot read it; compared with the lossless PNG"),
    };

    /// <summary>
    /// Shrink-on-load decodes big JPEG/WebP files through libjpeg's scaled IDCT, a different low-pass filter from
    /// PIL's full decode + cubic: the mean stays within the target, single pixels of fine periodic texture (the
    /// glass-block wall in Wine_by_Jakkub_Mede.jpg) do not. Exact mode (no shrink-on-load) must meet both targets.
    /// </summary>
    private const double ShrunkMaxBound = 0.25;

    public static TheoryData<string> Configurations => new()
    {
        "shortest-bicubic-224-exact", "shortest-bicubic-224-fast", "squash-bilinear-224-fast", "longest-bicubic-224-fast",
        "shortest-bicubic-64-fast", "shortest-nearest-224-exact",
    };

    [Theory]
    [MemberData(nameof(Configurations))]
    public async Task Tensors_match_PIL_on_photos_and_formats(string configuration)
    {
        var preprocessing = Parse(configuration);
        var fast = configuration.EndsWith("-fast", StringComparison.Ordinal);
        var preparer = Preparers.Create(preprocessing, new() { ShrinkOnLoad = fast });
        var exact = Preparers.Create(preprocessing, new() { ShrinkOnLoad = false });
        var files = Directory.GetFiles(Preparers.Photos).Where(file => !file.EndsWith(".tsv", StringComparison.Ordinal))
            .Concat(Directory.GetFiles(Path.Combine(Preparers.EdgeCases, "formats")))
            .Concat(Directory.GetFiles(Path.Combine(Preparers.EdgeCases, "exif-orientation")))
            .Order(StringComparer.Ordinal)
            .ToList();
        var references = files.Select(file => ByDesign.TryGetValue(Path.GetFileName(file), out var special)
            ? Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, special.Reference))
            : file).ToList();

        using var scratch = new ScratchFolder();
        var config = Preparers.WriteConfig(preprocessing, scratch.Path);
        var lines = await PythonReference.RunAsync("pil_preprocess.py", ["--cfg", config, "--out", scratch.Path, .. references]);
        var results = lines.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement).ToList();
        Assert.Equal(files.Count, results.Count);

        var table = new StringBuilder($"{configuration}: image | size | max |Δ| | mean |Δ| | note\n");
        var failures = new List<string>();
        var compared = 0;
        for (var i = 0; i < files.Count; i++)
        {
            var name = Path.GetFileName(files[i]);
            var pilOk = results[i].GetProperty("ok").GetBoolean();
            PreparedImage ours;
            try
            {
                ours = preparer.Prepare(await File.ReadAllBytesAsync(files[i]), new PrepareOptions(0), CancellationToken.None);
            }
            catch (ImageRejectedException rejected)
            {
                // Only formats outside the allow-list may be refused (BMP); PIL reading them does not make them ours.
                table.AppendLine(CultureInfo.InvariantCulture, $"{name} | rejected ({rejected.Reason}) | | | PIL: {(pilOk ? "reads it" : "fails too")}");
                if (rejected.Reason != ImageRejectionReason.UnsupportedFormat)
                {
                    failures.Add($"{name}: rejected as {rejected.Reason}: {rejected.Message}");
                }

                continue;
            }

            if (!pilOk)
            {
                failures.Add($"{name}: the PIL reference failed: {results[i].GetProperty("error").GetString()}");
                continue;
            }

            var reference = MemoryMarshal.Cast<byte, float>(await File.ReadAllBytesAsync(Path.Combine(scratch.Path, $"{i}.f32"))).ToArray();
            Assert.Equal(reference.Length, ours.Tensor.Length);
            var (max, mean) = Difference(ours.Tensor, reference);
            var special = ByDesign.TryGetValue(name, out var why);
            // An image the fast path decoded differently from the exact one went through shrink-on-load.
            var shrunk = fast && !special && Difference(ours.Tensor, exact.Prepare(await File.ReadAllBytesAsync(files[i]), new PrepareOptions(0), CancellationToken.None).Tensor).Max > 0;
            var (meanBound, maxBound) = special ? (why.Mean, double.PositiveInfinity) : (MeanBound, shrunk ? ShrunkMaxBound : MaxBound);
            table.AppendLine(CultureInfo.InvariantCulture,
                $"{name} | {ours.Probe.Width}x{ours.Probe.Height} | {max:F4} | {mean:F5} | {(special ? $"vs {Path.GetFileName(why.Reference)}: {why.Why}" : shrunk ? "shrink-on-load" : string.Empty)}");
            compared++;
            if (mean > meanBound || max > maxBound)
            {
                failures.Add($"{name}: max {max:F4} (bound {maxBound}), mean {mean:F5} (bound {meanBound})");
            }
        }

        output.WriteLine(table.ToString());
        Assert.True(compared >= 30, $"only {compared} images compared");
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    private static (double Max, double Mean) Difference(float[] ours, float[] reference)
    {
        double max = 0, sum = 0;
        for (var i = 0; i < ours.Length; i++)
        {
            var difference = Math.Abs(ours[i] - reference[i]);
            max = Math.Max(max, difference);
            sum += difference;
        }

        return (max, sum / ours.Length);
    }

    private static ImagePreprocessing Parse(string configuration)
    {
        var parts = configuration.Split('-');
        return Preparers.Clip224 with
        {
            ResizeMode = Enum.Parse<ResizeMode>(parts[0], ignoreCase: true),
            Interpolation = Enum.Parse<Interpolation>(parts[1], ignoreCase: true),
            Size = int.Parse(parts[2], CultureInfo.InvariantCulture),
        };
    }
}
