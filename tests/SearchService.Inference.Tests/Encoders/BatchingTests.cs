using SearchService.Inference.Tests.Support;
using SearchService.Testing;
using Xunit;

namespace SearchService.Inference.Tests.Encoders;

/// <summary>Fixed-batch-1 and dynamic-batch graphs give each item the embedding it gets alone, whatever the grouping.</summary>
public sealed class BatchingTests
{
    public static TheoryData<string, int> Cases
    {
        get
        {
            var data = new TheoryData<string, int>();
            foreach (var model in new[] { "tiny-random-clip", "tiny-random-clip-b1" })
            {
                foreach (var count in new[] { 1, 3, 40 })
                {
                    data.Add(model, count);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Texts_in_a_batch_get_the_embedding_they_get_alone(string name, int count)
    {
        // MaxBatchSize 16: 40 texts take three runs on the dynamic model, 40 on the fixed one.
        using var model = ModelLoading.Load(Path.Combine(TestPaths.Fixtures, "models", name), new InferenceOptions { IntraOpThreads = 1, MaxBatchSize = 16 });
        var texts = Enumerable.Range(0, count).Select(i => $"caption number {i} of a {(i % 2 == 0 ? "cat" : "tree")}").ToArray();

        var together = await model.TextEncoder.EncodeAsync(texts, CancellationToken.None);

        Assert.Equal(count, together.Length);
        foreach (var i in new[] { 0, count / 2, count - 1 })
        {
            var alone = (await model.TextEncoder.EncodeAsync([texts[i]], CancellationToken.None))[0];
            Assert.Equal(alone.Length, together[i].Length);
            for (var d = 0; d < alone.Length; d++)
            {
                Assert.Equal(alone[d], together[i][d], 1e-5f);
            }
        }

        if (count > 1)
        {
            Assert.NotEqual(together[0], together[1]);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Images_in_a_batch_get_the_embedding_they_get_alone(string name, int count)
    {
        using var model = ModelLoading.Load(Path.Combine(TestPaths.Fixtures, "models", name), new InferenceOptions { IntraOpThreads = 1, MaxBatchSize = 16 });
        var length = model.Descriptor.Preprocessing.TensorLength;
        var tensors = Enumerable.Range(0, count)
            .Select(i => (ReadOnlyMemory<float>)Enumerable.Range(0, length).Select(j => MathF.Sin(i * 7.1f + j * 0.01f)).ToArray())
            .ToList();

        var together = await model.ImageEncoder.EncodeAsync(tensors, CancellationToken.None);

        Assert.Equal(count, together.Length);
        Assert.Equal(name == "tiny-random-clip" ? 16 : 1, model.ImageEncoder.PreferredBatchSize);
        foreach (var i in new[] { 0, count / 2, count - 1 })
        {
            var alone = (await model.ImageEncoder.EncodeAsync([tensors[i]], CancellationToken.None))[0];
            for (var d = 0; d < alone.Length; d++)
            {
                Assert.Equal(alone[d], together[i][d], 1e-5f);
            }
        }
    }

    [Fact]
    public async Task Nothing_in_gives_nothing_out()
    {
        using var model = ModelLoading.Load(TestModels.TinyDynamic);

        Assert.Empty(await model.TextEncoder.EncodeAsync([], CancellationToken.None));
        Assert.Empty(await model.ImageEncoder.EncodeAsync([], CancellationToken.None));
    }

    [Fact]
    public async Task A_tensor_of_the_wrong_length_is_rejected_with_the_expected_size()
    {
        using var model = ModelLoading.Load(TestModels.TinyDynamic);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => model.ImageEncoder.EncodeAsync([new float[100]], CancellationToken.None));

        Assert.Contains("3×64×64 = 12288", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cancelled_token_gives_a_cancelled_task()
    {
        using var model = ModelLoading.Load(TestModels.TinyDynamic);

        var task = model.TextEncoder.EncodeAsync(["a"], new CancellationToken(canceled: true));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
        Assert.True(task.IsCanceled);
    }

    [Fact]
    public async Task One_encoder_serves_concurrent_callers()
    {
        using var model = ModelLoading.Load(TestModels.TinyFixedBatch);
        var texts = Enumerable.Range(0, 6).Select(i => $"text {i}").ToArray();
        var expected = await model.TextEncoder.EncodeAsync(texts, CancellationToken.None);

        var callers = Enumerable.Range(0, 6).Select(caller => Task.Run(async () =>
        {
            for (var round = 0; round < 10; round++)
            {
                var actual = await model.TextEncoder.EncodeAsync(texts, CancellationToken.None);
                for (var i = 0; i < texts.Length; i++)
                {
                    Assert.Equal(expected[i], actual[i]);
                }
            }
        }));

        await Task.WhenAll(callers);
    }
}
