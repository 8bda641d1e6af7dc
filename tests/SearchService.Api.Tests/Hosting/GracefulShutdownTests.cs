using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using SearchService.Api.Contracts;
using SearchService.Api.Tests.Http;
using SearchService.Api.Tests.Ingest;
using SearchService.Core.Models;
using SearchService.Testing;
using Xunit;

namespace SearchService.Api.Tests.Hosting;

/// <summary>Stopping the host (SIGTERM does the same) lets a request in flight finish and keeps what it stored.</summary>
public sealed class GracefulShutdownTests
{
    [Fact]
    public async Task An_upload_in_flight_when_shutdown_begins_is_answered_and_stored()
    {
        var service = new HeldUpService();
        service.UseKestrel(0);
        service.StartServer();
        // A client of its own: the factory disposes the clients it made when it is disposed.
        using var writer = new HttpClient { BaseAddress = service.CreateClient().BaseAddress };
        writer.DefaultRequestHeaders.Add("X-Api-Key", ApiFactory.WriterKey);
        var bytes = File.ReadAllBytes(Path.Combine(TestPaths.Fixtures, "images", "shapes", "16-yellow-triangle.png"));

        var upload = writer.PostImagesAsync([new UploadPart("in-flight.png", bytes)]);
        await service.EncoderEntered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var stopping = service.DisposeAsync().AsTask();
        await Task.Delay(200);
        service.ReleaseEncoder.SetResult();
        using var response = await upload.WaitAsync(TimeSpan.FromSeconds(30));
        await stopping.WaitAsync(TimeSpan.FromSeconds(30));

        using var reopened = new ApiFactory { DataPath = service.DataPath };
        using var reader = reopened.CreateClient();
        var page = await reader.GetJsonAsync<ImagePageDto>("/api/images");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(["in-flight.png"], page.Items.Select(i => i.FileName));
    }

    /// <summary>The real service whose image encoder waits, once, until the test lets it go.</summary>
    private sealed class HeldUpService : ApiFactory
    {
        public HeldUpService()
        {
            DeleteDataOnDispose = false;
        }

        public TaskCompletionSource EncoderEntered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource ReleaseEncoder { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureTestServices(services => services.Decorate<IImageEncoder>(inner => new HeldUpEncoder(inner, this)));
        }

        private sealed class HeldUpEncoder(IImageEncoder inner, HeldUpService owner) : IImageEncoder
        {
            public ModelDescriptor Model => inner.Model;

            public int PreferredBatchSize => inner.PreferredBatchSize;

            public async Task<float[][]> EncodeAsync(IReadOnlyList<ReadOnlyMemory<float>> tensors, CancellationToken cancellationToken)
            {
                owner.EncoderEntered.TrySetResult();
                // Not the request's token: shutdown must wait for the request, not cancel it.
                await owner.ReleaseEncoder.Task;
                return await inner.EncodeAsync(tensors, cancellationToken);
            }
        }
    }
}
