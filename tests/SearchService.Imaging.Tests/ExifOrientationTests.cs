using SearchService.Core.Images;
using SearchService.Imaging.Tests.Support;
using SearchService.Testing;
using Xunit;

namespace SearchService.Imaging.Tests;

/// <summary>EXIF orientation is applied to the displayed size, the tensor and the thumbnail.</summary>
public sealed class ExifOrientationTests
{
    private readonly Inference.Imaging.VipsImagePreparer preparer = Preparers.Create();

    [Fact]
    public async Task All_eight_orientations_show_the_same_upright_picture()
    {
        using var scratch = new ScratchFolder();
        // A non-square picture with a clear top and left: the landscape test photo.
        var upright = Path.Combine(Preparers.EdgeCases, "exif-orientation", "Landscape_1.jpg");
        await PythonReference.RunAsync("make_orientations.py", [upright, scratch.Path]);

        var reference = Prepare(Path.Combine(scratch.Path, "orientation_1.jpg"));
        Assert.Equal((1800, 1200), (reference.Probe.Width, reference.Probe.Height));
        for (var tag = 2; tag <= 8; tag++)
        {
            var bytes = await File.ReadAllBytesAsync(Path.Combine(scratch.Path, $"orientation_{tag}.jpg"));
            var probe = preparer.Probe(bytes);
            Assert.Equal((1800, 1200), (probe.Width, probe.Height));
            var prepared = preparer.Prepare(bytes, new PrepareOptions(320), CancellationToken.None);
            // Re-encoding at quality 100 leaves small differences; a wrong orientation gives differences near 1.
            Assert.True(MeanDifference(reference.Tensor, prepared.Tensor) < 0.02, $"orientation {tag}: {MeanDifference(reference.Tensor, prepared.Tensor)}");
            var thumbnail = preparer.Probe(prepared.Thumbnail);
            Assert.Equal((320, 213), (thumbnail.Width, thumbnail.Height));
        }

        // The bound discriminates: the same picture mirrored is far beyond it.
        Assert.True(MeanDifference(reference.Tensor, Mirrored(reference.Tensor, Preparers.Clip224.Size)) > 0.1);
    }

    [Fact]
    public void Shared_rotated_files_match_their_upright_versions()
    {
        var folder = Path.Combine(Preparers.EdgeCases, "exif-orientation");
        var landscape = Prepare(Path.Combine(folder, "Landscape_1.jpg"));
        foreach (var name in (string[])["Landscape_6.jpg", "Landscape_8.jpg"])
        {
            var rotated = Prepare(Path.Combine(folder, name));
            Assert.Equal((landscape.Probe.Width, landscape.Probe.Height), (rotated.Probe.Width, rotated.Probe.Height));
            Assert.True(MeanDifference(landscape.Tensor, rotated.Tensor) < 0.05, name);
        }

        var hopper = Prepare(Path.Combine(Preparers.EdgeCases, "formats", "hopper.jpg"));
        foreach (var name in (string[])["hopper_orientation_6.jpg", "hopper_orientation_6.webp"])
        {
            Assert.True(MeanDifference(hopper.Tensor, Prepare(Path.Combine(folder, name)).Tensor) < 0.1, name);
        }

        var portrait = preparer.Probe(File.ReadAllBytes(Path.Combine(Preparers.Photos, "Portrait_6.jpg")));
        Assert.Equal((1200, 1800), (portrait.Width, portrait.Height));
    }

    [Fact]
    public void Probe_reads_format_and_capture_time()
    {
        // The header of this truncated file is intact: Probe answers, only a full decode would fail.
        var probe = preparer.Probe(File.ReadAllBytes(Path.Combine(Preparers.EdgeCases, "corrupt", "ultrahdr_truncated_gainmap.jpg")));
        Assert.Equal(ImageFormat.Jpeg, probe.Format);
        Assert.Equal("image/jpeg", probe.MimeType);
        Assert.Equal(new DateTimeOffset(2024, 5, 7, 9, 33, 4, TimeSpan.Zero), probe.TakenAt);

        // An EXIF block libexif cannot parse (Pillow's odd test values) gives no time, not an error.
        Assert.Null(preparer.Probe(File.ReadAllBytes(Path.Combine(Preparers.EdgeCases, "formats", "exif_gps.jpg"))).TakenAt);
        Assert.Null(preparer.Probe(File.ReadAllBytes(Path.Combine(Preparers.Photos, "chelsea.png"))).TakenAt);
        var disguised = preparer.Probe(File.ReadAllBytes(Path.Combine(Preparers.EdgeCases, "formats", "hopper_png_with_jpg_extension.jpg")));
        Assert.Equal(ImageFormat.Png, disguised.Format);
    }

    private PreparedImage Prepare(string path) => preparer.Prepare(File.ReadAllBytes(path), new PrepareOptions(0), CancellationToken.None);

    private static float[] Mirrored(float[] tensor, int size)
    {
        var mirrored = new float[tensor.Length];
        for (var row = 0; row < tensor.Length / size; row++)
        {
            for (var x = 0; x < size; x++)
            {
                mirrored[(row * size) + x] = tensor[(row * size) + size - 1 - x];
            }
        }

        return mirrored;
    }

    private static double MeanDifference(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Average();
}
