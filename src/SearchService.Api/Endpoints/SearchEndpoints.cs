using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using SearchService.Api.Contracts;
using SearchService.Api.Hosting;
using SearchService.Api.Security;
using SearchService.Api.Uploads;
using SearchService.Core.Search;

namespace SearchService.Api.Endpoints;

/// <summary>Semantic search: by text, by an uploaded image, by a stored image, by weighted terms.</summary>
internal static class SearchEndpoints
{
    internal static IEndpointRouteBuilder MapSearchEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api").WithTags("Search")
            .RequireAuthorization(ApiKeyPolicies.Read)
            .RequireRateLimiting(RateLimitPolicies.Search);

        group.MapGet("/search", ByTextAsync)
            .WithName("SearchByText")
            .WithSummary("Images matching a text query, best first, each with its cosine score")
            .WithDescription("Filters: `tags`, `tagsAll` (repeat), `meta.KEY=VALUE`, `uploadedFrom/To`, `takenFrom/To`. " +
                "Page with `offset` or with the `nextCursor` of the previous response.")
            .ProducesValidationProblem();

        group.MapPost("/search/image", ByUploadAsync)
            .WithName("SearchByImage")
            .WithSummary("Images similar to an uploaded image (the upload is not stored)")
            .WithDescription("multipart/form-data with one file part (field `file`). Paging and filters as query parameters, as for GET /api/search.")
            .Accepts<SearchImageForm>("multipart/form-data")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .DisableAntiforgery();

        group.MapGet("/images/{id:guid}/similar", SimilarAsync)
            .WithName("SimilarImages")
            .WithSummary("Images similar to a stored image, itself excluded")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/search", ByTermsAsync)
            .WithName("SearchByTerms")
            .WithSummary("Weighted query over texts and stored images (negative weights push away)")
            .WithDescription("The unit embeddings of the terms are summed by weight and the sum normalised; terms that cancel " +
                "out are refused with 400. Image terms never appear in the results.")
            .ProducesValidationProblem();

        return routes;
    }

    /// <summary>Search by text.</summary>
    /// <param name="q" example="a red circle">What to look for, in words.</param>
    internal static async Task<Ok<SearchResponse>> ByTextAsync(
        [FromQuery(Name = "q")] string? q,
        [AsParameters] RankingParameters ranking,
        [AsParameters] FilterParameters filter,
        ImageSearch search,
        CancellationToken cancellationToken)
    {
        var results = await search.ByTextAsync(q ?? string.Empty, ranking.ToPage(filter.ToFilter()), cancellationToken);
        return TypedResults.Ok(ToResponse(results));
    }

    /// <summary>Search by an uploaded image.</summary>
    internal static async Task<Ok<SearchResponse>> ByUploadAsync(
        HttpRequest request,
        [AsParameters] RankingParameters ranking,
        [AsParameters] FilterParameters filter,
        UploadedImages uploads,
        ImageSearch search,
        IOptions<LimitsOptions> limits,
        CancellationToken cancellationToken)
    {
        var bytes = await ReadSingleFileAsync(request, limits.Value.MaxUploadBytes, cancellationToken);
        var embedding = await uploads.EmbedQueryAsync(bytes, cancellationToken);
        var results = await search.ByEmbeddingAsync(embedding, ranking.ToPage(filter.ToFilter()), cancellationToken);
        return TypedResults.Ok(ToResponse(results));
    }

    /// <summary>Images similar to a stored one.</summary>
    /// <param name="id" example="0193a5f0-7c1e-7b3a-9d2e-4f5a6b7c8d9e">The stored image to start from.</param>
    internal static async Task<Results<Ok<SearchResponse>, ProblemHttpResult>> SimilarAsync(
        Guid id,
        [AsParameters] RankingParameters ranking,
        [AsParameters] FilterParameters filter,
        ImageSearch search,
        CancellationToken cancellationToken)
    {
        var results = await search.SimilarToAsync(id, ranking.ToPage(filter.ToFilter()), cancellationToken);
        return results is null ? ImagesEndpoints.NotFound(id) : TypedResults.Ok(ToResponse(results));
    }

    /// <summary>Search by weighted terms.</summary>
    internal static async Task<Ok<SearchResponse>> ByTermsAsync(WeightedSearchRequest body, ImageSearch search, CancellationToken cancellationToken)
    {
        var terms = (body.Terms ?? []).Select(t => new QueryTerm(t.Text, t.ImageId, t.Weight ?? 1f)).ToList();
        var f = body.Filter;
        var filter = f is null
            ? null
            : FilterParameters.ToFilter(f.Tags, f.TagsAll, f.Metadata, f.UploadedFrom, f.UploadedTo, f.TakenFrom, f.TakenTo);
        var page = new SearchPage(body.Limit ?? 20, body.Offset ?? 0, body.Cursor, body.MinScore, filter);
        var results = await search.ByTermsAsync(terms, page, cancellationToken);
        return TypedResults.Ok(ToResponse(results));
    }

    internal static async Task<byte[]> ReadSingleFileAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        var form = await UploadForm.ReadAsync(request, maxBytes, cancellationToken);
        if (form.Files.Count != 1)
        {
            throw new InvalidQueryException("file", "Attach exactly one image as a file part (field 'file').");
        }

        return await UploadForm.ReadBytesAsync(form.Files[0], cancellationToken);
    }

    private static SearchResponse ToResponse(SearchResults results) =>
        new(results.Hits.Select(h => new SearchHitDto(h.Score, ImageDto.From(h.Image))).ToList(), results.Offset, results.NextCursor);
}

/// <summary>The image-query form as Swagger UI shows it.</summary>
internal sealed class SearchImageForm
{
    /// <summary>The query image.</summary>
    public required IFormFile File { get; init; }
}
