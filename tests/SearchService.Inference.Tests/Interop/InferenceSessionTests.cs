using System.Diagnostics;
using SearchService.Inference.Tests.Support;
using SearchService.Interop.OnnxRuntime;
using Xunit;

namespace SearchService.Inference.Tests.Interop;

/// <summary>Sessions: introspection, runs, errors as typed exceptions, cancellation, concurrency.</summary>
public sealed class InferenceSessionTests
{
    private static readonly OrtRuntime Runtime = OrtRuntime.Load();

    private static InferenceSession Open(string modelPath, int intraOpThreads = 1)
    {
        using var options = Runtime.CreateSessionOptions().SetIntraOpThreads(intraOpThreads);
        return Runtime.CreateSession(modelPath, options);
    }

    [Fact]
    public void Reports_dynamic_and_symbolic_dimensions_and_int32_ids()
    {
        using var session = Open(Path.Combine(TestModels.TinyDynamic, "textual", "model.onnx"));

        var input = Assert.Single(session.Inputs);
        Assert.Equal("text", input.Name);
        Assert.Equal(OnnxValueKind.Tensor, input.Kind);
        Assert.Equal(TensorElementType.Int32, input.ElementType);
        Assert.Equal([new TensorDimension(-1, "batch_size"), new TensorDimension(77, null)], input.Dimensions);
        var output = Assert.Single(session.Outputs);
        Assert.Equal("text_embedding", output.Name);
        Assert.Equal(TensorElementType.Float, output.ElementType);
        Assert.Equal("text_embedding: Float [batch_size, 32]", output.ToString());
        Assert.Equal(["cpu"], session.Providers);
    }

    [Fact]
    public void Reports_fixed_dimensions_and_int64_ids()
    {
        using var session = Open(Path.Combine(TestModels.TinyFixedBatch, "textual", "model.onnx"));

        var input = Assert.Single(session.Inputs);
        Assert.Equal(TensorElementType.Int64, input.ElementType);
        Assert.Equal([1L, 32L], input.Dimensions.Select(d => d.Value));
        Assert.All(input.Dimensions, d => Assert.True(d.IsFixed));
        Assert.Equal("embedding", Assert.Single(session.Outputs).Name);
    }

    [Fact]
    public void Reads_the_model_metadata()
    {
        using var session = Open(TestModels.MatMulChain);

        var metadata = session.GetMetadata();

        Assert.Equal("searchservice-tests", metadata.ProducerName);
        Assert.Equal("matmul_chain", metadata.GraphName);
        Assert.Equal("cancellation", metadata.CustomMetadata["purpose"]);
        Assert.Equal("1000", metadata.CustomMetadata["steps"]);
    }

    [Fact]
    public void A_run_is_linear_in_its_input_as_a_matmul_chain_must_be()
    {
        using var session = Open(TestModels.MatMulChain);
        var random = new Random(3);
        var a = Enumerable.Range(0, TestModels.MatMulWidth).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var b = Enumerable.Range(0, TestModels.MatMulWidth).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var both = new float[2 * TestModels.MatMulWidth];
        a.CopyTo(both, 0);
        b.CopyTo(both, TestModels.MatMulWidth);
        var sum = a.Zip(b, (x, y) => x + y).ToArray();

        var pair = session.Run([TensorInput.Float("x", both, 2, TestModels.MatMulWidth)], "y", CancellationToken.None);
        var ofSum = session.Run([TensorInput.Float("x", sum, 1, TestModels.MatMulWidth)], "y", CancellationToken.None).AsFloats();

        Assert.Equal([2L, TestModels.MatMulWidth], pair.Shape);
        var values = pair.AsFloats();
        var norm = Math.Sqrt(ofSum.Sum(v => (double)v * v));
        Assert.True(norm > 1e-3, "the chain must not collapse to zero");
        for (var i = 0; i < TestModels.MatMulWidth; i++)
        {
            Assert.Equal(ofSum[i], values[i] + values[TestModels.MatMulWidth + i], 1e-3 * norm);
        }
    }

    [Fact]
    public void An_ORT_error_status_becomes_a_typed_exception_with_ORTs_message()
    {
        using var session = Open(Path.Combine(TestModels.TinyDynamic, "textual", "model.onnx"));
        var ids = new int[10];

        var error = Assert.Throws<OnnxRuntimeException>(
            () => session.Run([TensorInput.Int32("text", ids, 1, 10)], "text_embedding", CancellationToken.None));

        Assert.Equal(OrtErrorCode.InvalidArgument, error.ErrorCode);
        Assert.Contains("text", error.NativeMessage, StringComparison.Ordinal);
        Assert.Contains("77", error.NativeMessage, StringComparison.Ordinal);
        Assert.Contains(error.NativeMessage, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_wrong_element_type_is_ORTs_error_not_a_crash()
    {
        using var session = Open(Path.Combine(TestModels.TinyDynamic, "textual", "model.onnx"));

        var error = Assert.Throws<OnnxRuntimeException>(
            () => session.Run([TensorInput.Int64("text", new long[77], 1, 77)], "text_embedding", CancellationToken.None));

        Assert.Equal(OrtErrorCode.InvalidArgument, error.ErrorCode);
        Assert.Contains("int64", error.NativeMessage, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_missing_model_file_names_the_file()
    {
        var path = Path.Combine(Path.GetTempPath(), "no-such-model-" + Guid.NewGuid().ToString("N") + ".onnx");

        var error = Assert.Throws<OnnxRuntimeException>(() => Open(path));

        Assert.Equal(OrtErrorCode.NoSuchFile, error.ErrorCode);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_is_not_a_model_is_rejected()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "model.onnx");
        File.WriteAllBytes(path, [0x0a, 0xff, 0xff, 0xff, 0x13, 0x37]);

        var error = Assert.Throws<OnnxRuntimeException>(() => Open(path));

        Assert.Equal(OrtErrorCode.InvalidProtobuf, error.ErrorCode);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_names_and_inconsistent_shapes_are_argument_errors_before_ORT_is_called()
    {
        using var session = Open(TestModels.MatMulChain);
        var row = new float[TestModels.MatMulWidth];

        var unknownInput = Assert.Throws<ArgumentException>(() => session.Run([TensorInput.Float("image", row, 1, 256)], "y", CancellationToken.None));
        var unknownOutput = Assert.Throws<ArgumentException>(() => session.Run([TensorInput.Float("x", row, 1, 256)], "x", CancellationToken.None));
        var badShape = Assert.Throws<ArgumentException>(() => TensorInput.Float("x", row, 2, 256));

        Assert.Contains("inputs are: x", unknownInput.Message, StringComparison.Ordinal);
        Assert.Contains("outputs are: y", unknownOutput.Message, StringComparison.Ordinal);
        Assert.Contains("512 elements but 256", badShape.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cancelling_terminates_the_run_in_flight_and_the_session_stays_usable()
    {
        using var session = Open(TestModels.MatMulChain);
        var probe = new float[16 * TestModels.MatMulWidth];
        session.Run([TensorInput.Float("x", probe, 16, TestModels.MatMulWidth)], "y", CancellationToken.None);
        var quick = Stopwatch.StartNew();
        session.Run([TensorInput.Float("x", probe, 16, TestModels.MatMulWidth)], "y", CancellationToken.None);
        var perRow = quick.Elapsed / 16;

        // Sized from this machine's speed so the uncancelled run would take several seconds anywhere.
        var rows = (int)Math.Clamp(TimeSpan.FromSeconds(6) / perRow, 1024, 65536);
        var fullRun = perRow * rows;
        var input = new float[rows * TestModels.MatMulWidth];
        Array.Fill(input, 0.01f);
        using var cancellation = new CancellationTokenSource();
        using var entering = new ManualResetEventSlim();
        Exception? outcome = null;
        var stopwatch = new Stopwatch();
        // A dedicated thread, not the pool: a busy pool could start the run after the cancel, which tests nothing.
        var runner = new Thread(() =>
        {
            try
            {
                stopwatch.Start();
                entering.Set();
                session.Run([TensorInput.Float("x", input, rows, TestModels.MatMulWidth)], "y", cancellation.Token);
            }
            catch (Exception error)
            {
                outcome = error;
            }
        });
        runner.Start();
        entering.Wait();
        Thread.Sleep(200);
        cancellation.Cancel();
        runner.Join();
        stopwatch.Stop();

        var cancelled = Assert.IsAssignableFrom<OperationCanceledException>(outcome);
        Assert.Equal(cancellation.Token, cancelled.CancellationToken);
        Assert.IsType<OnnxRuntimeException>(cancelled.InnerException);
        // Terminate stops the run between two MatMuls, long before the full run would end.
        Assert.True(stopwatch.Elapsed < fullRun / 2, $"cancelled after {stopwatch.Elapsed}, a full run of {rows} rows needs ~{fullRun}");
        var after = session.Run([TensorInput.Float("x", input.AsMemory(0, TestModels.MatMulWidth), 1, TestModels.MatMulWidth)], "y", CancellationToken.None);
        Assert.Equal(TestModels.MatMulWidth, after.AsFloats().Length);
    }

    [Fact]
    public void An_already_cancelled_token_never_reaches_ORT()
    {
        using var session = Open(TestModels.MatMulChain);

        Assert.Throws<OperationCanceledException>(
            () => session.Run([TensorInput.Float("x", new float[256], 1, 256)], "y", new CancellationToken(canceled: true)));
    }

    [Fact]
    public async Task Concurrent_runs_on_one_session_each_get_their_own_result()
    {
        using var session = Open(TestModels.MatMulChain);
        var inputs = Enumerable.Range(0, 8)
            .Select(seed => Enumerable.Range(0, TestModels.MatMulWidth).Select(i => MathF.Sin(seed * 31 + i)).ToArray())
            .ToArray();
        var expected = inputs.Select(x => session.Run([TensorInput.Float("x", x, 1, 256)], "y", CancellationToken.None).AsFloats()).ToArray();

        var workers = Enumerable.Range(0, 8).Select(worker => Task.Run(() =>
        {
            for (var round = 0; round < 25; round++)
            {
                var which = (worker + round) % inputs.Length;
                var actual = session.Run([TensorInput.Float("x", inputs[which], 1, 256)], "y", CancellationToken.None).AsFloats();
                Assert.Equal(expected[which], actual);
            }
        }));

        await Task.WhenAll(workers);
    }

    [Fact]
    public void CUDA_cannot_be_appended_here_and_ORT_says_why_then_CPU_still_runs()
    {
        using var options = Runtime.CreateSessionOptions();

        var error = Assert.Throws<OnnxRuntimeException>(() => options.AppendCudaExecutionProvider(0));

        Assert.False(string.IsNullOrWhiteSpace(error.NativeMessage));
        Assert.Contains("CUDA", error.Message, StringComparison.Ordinal);
        Assert.Empty(options.AppendedProviders);
        using var session = Runtime.CreateSession(TestModels.MatMulChain, options);
        Assert.Equal(["cpu"], session.Providers);
        Assert.Equal(256, session.Run([TensorInput.Float("x", new float[256], 1, 256)], "y", CancellationToken.None).AsFloats().Length);
    }
}
