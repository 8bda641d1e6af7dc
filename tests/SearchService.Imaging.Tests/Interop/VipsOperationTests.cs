using SearchService.Imaging.Tests.Support;
using SearchService.Interop.Vips;
using SearchService.Testing;
using Xunit;

namespace SearchService.Imaging.Tests.Interop;

/// <summary>The libvips binding itself: generic operations, typed arguments, errors, the loader allow-list, logging.</summary>
public sealed class VipsOperationTests
{
    private static readonly byte[] Png = File.ReadAllBytes(Path.Combine(Preparers.EdgeCases, "formats", "hopper.png"));

    public VipsOperationTests()
    {
        VipsRuntime.Initialize(new VipsRuntimeSettings());
    }

    [Fact]
    public void Operations_run_by_name_with_typed_arguments()
    {
        using var image = Load("pngload_buffer", Png);
        Assert.Equal((128, 128, 3), (image.Width, image.Height, image.Bands));
        Assert.Equal(VipsBandFormat.UChar, image.Format);
        Assert.Equal(VipsInterpretation.Srgb, image.Interpretation);

        // A double (hshrink) and an enum (kernel) travel intact: the reason for avoiding C varargs.
        using var reduced = VipsOperation.Call("reduceh", image, operation => operation.Set("hshrink", 2.5).SetEnum("kernel", "lanczos3"));
        Assert.Equal(51, reduced.Width);
        using var area = VipsOperation.Call("extract_area", reduced, operation => operation.Set("left", 1).Set("top", 2).Set("width", 10).Set("height", 20), "input");
        Assert.Equal(10 * 20 * 3, area.WriteToMemory().Length);
        using var linear = VipsOperation.Call("linear", area, operation => operation.Set("a", [0.5, 1, 2]).Set("b", [0.0]));
        Assert.Equal(VipsBandFormat.Float, linear.Format);
    }

    [Fact]
    public void Savers_return_their_buffer()
    {
        using var image = Load("pngload_buffer", Png);
        using var save = VipsOperation.Create("webpsave_buffer");
        var webp = save.Set("in", image).Set("Q", 50).Build().GetBuffer("buffer");
        Assert.True(webp.AsSpan(8, 4).SequenceEqual("WEBP"u8));
        using var back = Load("webpload_buffer", webp);
        Assert.Equal(128, back.Width);
    }

    [Fact]
    public void Mistakes_are_typed_errors_with_libvips_detail()
    {
        var unknown = Assert.Throws<VipsException>(() => VipsOperation.Create("no_such_operation"));
        Assert.Contains("no_such_operation", unknown.Message, StringComparison.Ordinal);

        using var image = Load("pngload_buffer", Png);
        using var reduce = VipsOperation.Create("reduceh");
        var noArgument = Assert.Throws<VipsException>(() => reduce.Set("shrinkage", 2.0));
        Assert.Contains("shrinkage", noArgument.Detail, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => reduce.Set("hshrink", "two"));
        Assert.Throws<ArgumentException>(() => reduce.Set("kernel", 3.0));
        Assert.Throws<VipsException>(() => reduce.SetEnum("kernel", "no-such-kernel"));
        Assert.Throws<InvalidOperationException>(() => reduce.GetImage("out"));

        // A missing required argument fails the build; the next call starts with a clean error buffer.
        var notSet = Assert.Throws<VipsException>(() => reduce.Set("in", image).Build());
        Assert.Contains("hshrink", notSet.Detail, StringComparison.Ordinal);
        using var ok = VipsOperation.Call("invert", image);
        var next = Assert.Throws<VipsException>(() => Load("pngload_buffer", "not a png"u8.ToArray()));
        Assert.DoesNotContain("hshrink", next.Detail, StringComparison.Ordinal);
    }

    /// <summary>
    /// libvips checks the block flag when the base loader class builds. pdfload opens its document in its own build
    /// first, so poppler still parses the bytes before the refusal: the preparer never picks a loader by content
    /// sniffing for that reason, and this list is the second line of defence.
    /// </summary>
    [Theory]
    [InlineData("svgload_buffer", "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"/>", true)]
    [InlineData("magickload_buffer", "BM", true)]
    [InlineData("pdfload_buffer", "%PDF-1.4", false)]
    public void Loaders_outside_the_allow_list_are_blocked(string loader, string content, bool refusedBeforeParsing)
    {
        if (!VipsRuntime.HasOperation(loader))
        {
            return; // not built into this libvips: nothing to block
        }

        var error = Assert.Throws<VipsException>(() =>
        {
            using var operation = VipsOperation.Create(loader);
            if (loader.EndsWith("_buffer", StringComparison.Ordinal))
            {
                operation.Set("buffer", System.Text.Encoding.ASCII.GetBytes(content));
            }

            operation.Build();
        });
        if (refusedBeforeParsing)
        {
            Assert.Contains("blocked", error.Detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Log_sinks_receive_libvips_warnings_and_a_broken_sink_is_isolated()
    {
        var heif = File.ReadAllBytes(Path.Combine(Preparers.EdgeCases, "formats", "hopper.heif"));
        var received = new List<VipsLogMessage>();
        using (VipsRuntime.AddLogSink(_ => throw new InvalidOperationException("broken sink")))
        using (VipsRuntime.AddLogSink(message =>
        {
            lock (received)
            {
                received.Add(message);
            }
        }))
        {
            using var image = Load("heifload_buffer", heif);
            using var copy = image.CopyMemory();
        }

        lock (received)
        {
            Assert.Contains(received, message => message.Level == VipsLogLevel.Warning && message.Domain == "VIPS" && message.Message.Contains("heifload", StringComparison.Ordinal));
        }
    }

    /// <summary>A slow pipeline (decode + wide blur) stops soon after its kill flag is set, from another thread.</summary>
    [Fact]
    public void The_kill_flag_stops_a_running_pipeline()
    {
        var png = HostileFiles.FlatPng(3000, 3000);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using (var whole = Blurred(png))
        using (whole.CopyMemory())
        {
        }

        var full = clock.Elapsed;
        using var image = Blurred(png);
        using var killer = new DelayedAction(full / 10, image.Kill);
        clock.Restart();
        var error = Assert.Throws<VipsException>(() => image.CopyMemory());
        Assert.True(clock.Elapsed < full / 2, $"killed after {clock.ElapsedMilliseconds} ms; the whole pipeline took {full.TotalMilliseconds:F0} ms");
        Assert.Contains("Decoding the image failed", error.Message, StringComparison.Ordinal);

        static VipsImage Blurred(byte[] png)
        {
            using var loaded = Load("pngload_buffer", png);
            return VipsOperation.Call("gaussblur", loaded, operation => operation.Set("sigma", 25.0));
        }
    }

    [Fact]
    public void Handles_survive_many_create_and_dispose_cycles()
    {
        for (var i = 0; i < 2000; i++)
        {
            using var image = Load("pngload_buffer", Png);
            using var inverted = VipsOperation.Call("invert", image);
            Assert.Equal(128, inverted.Width);
        }
    }

    private static VipsImage Load(string loader, byte[] data)
    {
        using var operation = VipsOperation.Create(loader);
        return operation.Set("buffer", data).Build().GetImage("out");
    }
}
