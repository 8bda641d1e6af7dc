using SearchService.Core.Images;
using SearchService.Imaging.Tests.Support;
using SearchService.Inference.Imaging;
using SearchService.Interop.Vips;
using SearchService.Testing;
using Xunit;

namespace SearchService.Imaging.Tests;

/// <summary>Thumbnails, cancellation and concurrent use of one preparer.</summary>
public sealed class PreparerBehaviourTests
{
    private readonly VipsImagePreparer preparer = Preparers.Create();

    [Theory]
    [InlineData(ThumbnailFormat.WebP, "image/webp", ImageFormat.WebP)]
    [InlineData(ThumbnailFormat.Jpeg, "image/jpeg", ImageFormat.Jpeg)]
    public void Thumbnails_come_upright_at_the_requested_size(ThumbnailFormat format, string mimeType, ImageFormat decodedAs)
    {
        var thumbnails = Preparers.Create(options: new() { ThumbnailFormat = format });
        var portrait = thumbnails.Prepare(File.ReadAllBytes(Path.Combine(Preparers.Photos, "Portrait_6.jpg")), new PrepareOptions(320), CancellationToken.None);
        Assert.Equal(mimeType, portrait.ThumbnailMimeType);
        var probe = preparer.Probe(portrait.Thumbnail);
        Assert.Equal((decodedAs, 213, 320), (probe.Format, probe.Width, probe.Height));

        // Never enlarged.
        var small = thumbnails.Prepare(File.ReadAllBytes(Path.Combine(Preparers.EdgeCases, "formats", "transparent.png")), new PrepareOptions(320), CancellationToken.None);
        Assert.Equal((200, 150), (preparer.Probe(small.Thumbnail).Width, preparer.Probe(small.Thumbnail).Height));

        var none = thumbnails.Prepare(File.ReadAllBytes(Path.Combine(Preparers.Photos, "chelsea.png")), new PrepareOptions(0), CancellationToken.None);
        Assert.Empty(none.Thumbnail);
    }

    [Theory]
    [InlineData("transparent.png", 320)]
    [InlineData("transparent.png", 100)]
    [InlineData("l_trns.png", 320)]
    [InlineData("l_trns.png", 40)]
    public void Transparency_is_kept_in_WebP_thumbnails_and_white_in_JPEG_ones(string file, int thumbnailSize)
    {
        var data = File.ReadAllBytes(Path.Combine(Preparers.EdgeCases, "formats", file));
        var source = Decode(data, "pngload_buffer");
        var sourceAlpha = Band(source, source.Bands - 1);

        var webp = Decode(Preparers.Create().Prepare(data, new PrepareOptions(thumbnailSize), CancellationToken.None).Thumbnail, "webpload_buffer");
        var jpeg = Decode(
            Preparers.Create(options: new() { ThumbnailFormat = ThumbnailFormat.Jpeg }).Prepare(data, new PrepareOptions(thumbnailSize), CancellationToken.None).Thumbnail,
            "jpegload_buffer");

        Assert.Equal(4, webp.Bands);
        Assert.Equal(3, jpeg.Bands);
        var webpAlpha = Band(webp, 3);
        if (webp.Width == source.Width)
        {
            Assert.Equal(sourceAlpha, webpAlpha);
        }
        else
        {
            // Resampled: the share of visible area survives.
            Assert.InRange(webpAlpha.Average(a => (double)a) - sourceAlpha.Average(a => (double)a), -3, 3);
        }

        // What is fully transparent in the thumbnail shows white in the JPEG one; the files store black or grey there.
        var transparent = Enumerable.Range(0, webpAlpha.Length).Where(i => webpAlpha[i] == 0).ToList();
        Assert.True(transparent.Count > webpAlpha.Length / 10, $"{transparent.Count} transparent pixels");
        Assert.InRange(transparent.Average(i => (jpeg.Pixels[i * 3] + jpeg.Pixels[(i * 3) + 1] + jpeg.Pixels[(i * 3) + 2]) / 3.0), 245, 255);
    }

    private static (int Width, int Height, int Bands, byte[] Pixels) Decode(byte[] encoded, string loader)
    {
        using var load = VipsOperation.Create(loader);
        using var image = load.Set("buffer", encoded).Build().GetImage("out");
        return (image.Width, image.Height, image.Bands, image.WriteToMemory());
    }

    private static byte[] Band((int Width, int Height, int Bands, byte[] Pixels) image, int band) =>
        Enumerable.Range(0, image.Width * image.Height).Select(i => image.Pixels[(i * image.Bands) + band]).ToArray();

    [Fact]
    public void Embedded_profiles_are_applied_only_when_configured()
    {
        // rocket.jpg carries an Adobe RGB (1998) profile: PIL (the default) ignores it, the option converts to sRGB.
        var data = File.ReadAllBytes(Path.Combine(Preparers.Photos, "rocket.jpg"));
        var ignored = preparer.Prepare(data, new PrepareOptions(0), CancellationToken.None).Tensor;
        var applied = Preparers.Create(options: new() { ApplyIccProfiles = true }).Prepare(data, new PrepareOptions(0), CancellationToken.None).Tensor;
        var mean = ignored.Zip(applied, (a, b) => Math.Abs(a - b)).Average();
        Assert.InRange(mean, 0.005, 0.3);
    }

    [Fact]
    public void A_cancelled_token_stops_before_decoding()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => preparer.Prepare(File.ReadAllBytes(Path.Combine(Preparers.Photos, "chelsea.png")), new PrepareOptions(), cancelled.Token));
    }

    [Fact]
    public void Cancelling_during_a_preparation_throws_and_leaves_the_preparer_usable()
    {
        var big = HostileFiles.FlatPng(7000, 7000);
        using var cancellation = new CancellationTokenSource();
        using (new DelayedAction(TimeSpan.FromMilliseconds(30), cancellation.Cancel))
        {
            Assert.ThrowsAny<OperationCanceledException>(() => preparer.Prepare(big, new PrepareOptions(0), cancellation.Token));
        }

        Assert.Equal(451, preparer.Prepare(File.ReadAllBytes(Path.Combine(Preparers.Photos, "chelsea.png")), new PrepareOptions(), CancellationToken.None).Probe.Width);
    }

    [Fact]
    public void Parallel_preparations_give_the_serial_results()
    {
        var files = Directory.GetFiles(Path.Combine(Preparers.EdgeCases, "formats")).Where(file => !file.EndsWith(".bmp", StringComparison.Ordinal)).ToList();
        var serial = files.ToDictionary(file => file, file => preparer.Prepare(File.ReadAllBytes(file), new PrepareOptions(), CancellationToken.None));
        var work = Enumerable.Range(0, 4).SelectMany(_ => files).ToList();
        Parallel.ForEach(work, new ParallelOptions { MaxDegreeOfParallelism = 8 }, file =>
        {
            var prepared = preparer.Prepare(File.ReadAllBytes(file), new PrepareOptions(), CancellationToken.None);
            Assert.Equal(serial[file].Tensor, prepared.Tensor);
            Assert.Equal(serial[file].Thumbnail, prepared.Thumbnail);
        });
    }
}
