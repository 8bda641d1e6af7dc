using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using SearchService.Api.Contracts;
using SearchService.Api.Hosting;
using SearchService.Api.OpenApi;
using SearchService.Api.Security;
using SearchService.Api.Uploads;
using SearchService.Core.Classification;
using SearchService.Core.Search;
using SearchService.Core.Storage;

namespace SearchService.Api.Endpoints;

/// <summary>Zero-shot classification against free-text labels.</summary>
internal static class ClassifyEndpoints
{
    internal static IEndpointRouteBuilder MapClassifyEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/classify").WithTags("Classification")
            .RequireAuthorization(ApiKeyPolicies.Read)
            .RequireRateLimiting(RateLimitPolicies.Search);

        group.MapPost("/", ClassifyAsync)
            .WithName("Classify")
            .WithSummary("Rank labels for an image (zero-shot, CLIP prompt ensemble)")
            .WithDescription(
                "Either JSON `{\"imageId\": \"…\", \"labels\": [\"cat\", \"dog\"], \"templates\": [\"a photo of a {}.\"]}` for a stored image, " +
                "or multipart/form-data with a file part `file` and fields `labels` / `templates` (repeated, or one JSON array). " +
                "Probabilities are a softmax over the given labels at the model's logit scale; `cosine` is the raw similarity.")
            // Both types must be declared for routing, which answers 415 to any other; the filter gives JSON its own schema.
            .Accepts<ClassifyForm>("multipart/form-data", "application/json")
            .WithMetadata(new AlsoAcceptsJsonAttribute(typeof(ClassifyRequest)))
            .Produces<ClassifyResponse>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .DisableAntiforgery();

        return routes;
    }

    /// <summary>Classify an uploaded or stored image.</summary>
    internal static async Task<Results<Ok<ClassifyResponse>, ProblemHttpResult>> ClassifyAsync(
        HttpRequest request,
        UploadedImages uploads,
        ZeroShotClassifier classifier,
        IVectorStore vectors,
        IImageCatalog catalog,
        TextEmbeddings texts,
        IOptions<LimitsOptions> limits,
        CancellationToken cancellationToken)
    {
        float[] embedding;
        IReadOnlyList<string>? labels;
        IReadOnlyList<string>? templates;
        if (request.HasJsonContentType())
        {
            var body = await ReadRequestAsync(request, cancellationToken);
            if (body.ImageId is not { } id)
            {
                throw new InvalidQueryException("imageId", "Give the id of a stored image (or upload the image as multipart/form-data).");
            }

            var model = texts.Model;
            var stored = await catalog.GetAsync(id, cancellationToken) is null
                ? null
                : await vectors.GetVectorAsync(new VectorCollection(model.CollectionName, model.EmbeddingDimensions), id, cancellationToken);
            if (stored is null)
            {
                return ImagesEndpoints.NotFound(id);
            }

            (embedding, labels, templates) = (stored, body.Labels, body.Templates);
        }
        else if (request.HasFormContentType)
        {
            var form = await UploadForm.ReadAsync(request, limits.Value.MaxUploadBytes, cancellationToken);
            if (form.Files.Count != 1)
            {
                throw new InvalidQueryException("file", "Attach exactly one image as a file part (field 'file').");
            }

            labels = UploadForm.ReadList(form, "labels");
            templates = UploadForm.ReadList(form, "templates");
            embedding = await uploads.EmbedQueryAsync(await UploadForm.ReadBytesAsync(form.Files[0], cancellationToken), cancellationToken);
        }
        else
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status415UnsupportedMediaType,
                title: "Unsupported content type",
                detail: "Send application/json with an imageId, or multipart/form-data with a file.");
        }

        var scores = await classifier.ClassifyAsync(embedding, labels ?? [], templates, cancellationToken);
        return TypedResults.Ok(new ClassifyResponse(
            texts.Model.Name,
            scores.Select(s => new LabelScoreDto(s.Label, s.Probability, s.Cosine)).ToList()));
    }

    private static async Task<ClassifyRequest> ReadRequestAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await request.ReadFromJsonAsync<ClassifyRequest>(cancellationToken)
                ?? throw new InvalidQueryException("body", "The body is empty.");
        }
        catch (JsonException error)
        {
            throw new InvalidQueryException("body", $"The body is not a valid classification request: {error.Message}");
        }
    }
}

/// <summary>The classification form as Swagger UI shows it.</summary>
internal sealed class ClassifyForm
{
    /// <summary>The image to classify.</summary>
    public required IFormFile File { get; init; }

    /// <summary>Candidate labels (repeat the field, or one JSON array).</summary>
    public required IReadOnlyList<string> Labels { get; init; }

    /// <summary>Prompt templates with {} for the label (optional).</summary>
    public IReadOnlyList<string>? Templates { get; init; }
}
