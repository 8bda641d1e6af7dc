using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using SearchService.Api.Contracts;
using SearchService.Api.ErrorHandling;
using SearchService.Api.Hosting;
using SearchService.Api.Logging;
using SearchService.Api.Security;
using SearchService.Api.Uploads;
using SearchService.Core.Images;
using SearchService.Core.Library;
using SearchService.Core.Search;
using SearchService.Core.Storage;

namespace SearchService.Api.Endpoints;

/// <summary>Upload, list, read, edit and delete images.</summary>
internal static class ImagesEndpoints
{
    private const int DefaultListLimit = 50;
    private const int MaxListLimit = 200;
    private static readonly string[] OtherImageContentTypes = ["image/png", "image/webp", "image/gif", "image/tiff", "image/heif", "image/avif"];
    private const string ImmutableCaching = "private, max-age=31536000, immutable";

    internal static RouteGroupBuilder MapImagesEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/images").WithTags("Images");

        group.MapPost("/", UploadAsync)
            .WithName("UploadImages")
            .WithSummary("Upload one or many images")
            .WithDescription(
                "multipart/form-data. Every file part is an image (any field name; order kept). Optional text fields: " +
                "`tags` (JSON array, comma-separated, or repeated) and `metadata` (JSON object of strings) apply to every file; " +
                "`tags[i]` / `metadata[i]` add to them for the i-th file (zero-based). Identical bytes are stored once: a " +
                "re-upload returns the existing image with `duplicate: true`. The response has one item per file: 201 when " +
                "at least one image is new, 200 when all were already stored, both possibly with per-file errors. When every " +
                "file is refused the response is problem+json (400, 413 or 415) and nothing is stored.")
            .Accepts<UploadImagesForm>("multipart/form-data")
            .Produces<UploadResponse>(StatusCodes.Status201Created)
            .Produces<UploadResponse>(StatusCodes.Status200OK)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .RequireAuthorization(ApiKeyPolicies.Write)
            .RequireRateLimiting(RateLimitPolicies.Ingest)
            .WithRequestTimeout(RequestTimeoutPolicies.Upload)
            .DisableAntiforgery();

        group.MapGet("/", ListAsync)
            .WithName("ListImages")
            .WithSummary("List images, newest first, with filters and cursor pagination")
            .WithDescription("Metadata filters are query parameters `meta.KEY=VALUE` (all must match).")
            .ProducesValidationProblem()
            .RequireAuthorization(ApiKeyPolicies.Read);

        group.MapGet("/{id:guid}", GetAsync)
            .WithName("GetImage")
            .WithSummary("One image's record")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(ApiKeyPolicies.Read);

        group.MapGet("/{id:guid}/thumbnail", ThumbnailAsync)
            .WithName("GetThumbnail")
            .WithSummary("The image's thumbnail (ETag, If-None-Match and ranges supported)")
            .Produces(StatusCodes.Status200OK, typeof(Stream), "image/jpeg", OtherImageContentTypes)
            .Produces(StatusCodes.Status304NotModified)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(ApiKeyPolicies.Read);

        group.MapGet("/{id:guid}/original", OriginalAsync)
            .WithName("GetOriginal")
            .WithSummary("The original bytes as uploaded (ETag = SHA-256, If-None-Match and ranges supported)")
            .Produces(StatusCodes.Status200OK, typeof(Stream), "image/jpeg", OtherImageContentTypes)
            .Produces(StatusCodes.Status206PartialContent, typeof(Stream), "image/jpeg", OtherImageContentTypes)
            .Produces(StatusCodes.Status304NotModified)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(ApiKeyPolicies.Read);

        group.MapPatch("/{id:guid}", PatchAsync)
            .WithName("UpdateImage")
            .WithSummary("Replace tags, merge metadata (null removes a key), set the taken date")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(ApiKeyPolicies.Write);

        group.MapDelete("/{id:guid}", DeleteAsync)
            .WithName("DeleteImage")
            .WithSummary("Delete the image: its record, vector, original and thumbnail")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(ApiKeyPolicies.Write);

        return group;
    }

    /// <summary>Upload one or many images.</summary>
    internal static async Task<IResult> UploadAsync(
        HttpRequest request,
        UploadedImages uploads,
        IOptions<LimitsOptions> limits,
        CancellationToken cancellationToken)
    {
        var form = await UploadForm.ReadAsync(request, limits.Value.MaxUploadBytes, cancellationToken);
        var files = await UploadForm.ReadFilesAsync(form, limits.Value.MaxFilesPerRequest, cancellationToken);
        var outcomes = await uploads.StoreAsync(files, cancellationToken);

        var items = outcomes.Select(ToItem).ToList();
        var created = outcomes.Count(o => o.Stored is { Duplicate: false });
        var duplicates = outcomes.Count(o => o.Stored is { Duplicate: true });
        var failed = outcomes.Count(o => o.Rejection is not null);
        if (failed == outcomes.Count)
        {
            var statuses = items.Select(i => i.Error!.Status).Distinct().ToList();
            var status = statuses.Count == 1 ? statuses[0] : StatusCodes.Status400BadRequest;
            return TypedResults.Problem(
                detail: outcomes.Count == 1 ? items[0].Error!.Detail : "No file was stored; see 'items' for each file's error.",
                statusCode: status,
                title: outcomes.Count == 1 ? items[0].Error!.Title : "No image was accepted",
                extensions: new Dictionary<string, object?> { ["items"] = items });
        }

        var response = new UploadResponse(items, created, duplicates, failed);
        return created > 0
            ? TypedResults.Created(created == 1 && outcomes.Count == 1 ? $"/api/images/{items[0].Id}" : (string?)null, response)
            : TypedResults.Ok(response);
    }

    /// <summary>List images, newest first.</summary>
    /// <param name="limit" example="50">Images per page (1–200, default 50).</param>
    /// <param name="cursor">The <c>nextCursor</c> of the previous page.</param>
    internal static async Task<Ok<ImagePageDto>> ListAsync(
        [AsParameters] FilterParameters filter,
        [FromQuery] int? limit,
        [FromQuery] string? cursor,
        IImageCatalog catalog,
        CancellationToken cancellationToken)
    {
        var pageSize = limit ?? DefaultListLimit;
        if (pageSize is < 1 or > MaxListLimit)
        {
            throw new InvalidQueryException("limit", $"limit must be between 1 and {MaxListLimit}.");
        }

        Page<ImageRecord> page;
        try
        {
            page = await catalog.ListAsync(filter.ToFilter(), cursor, pageSize, cancellationToken);
        }
        catch (Exception error) when (cursor is not null && error is FormatException or ArgumentException)
        {
            throw new InvalidQueryException("cursor", "The cursor is not one this service issued.");
        }

        return TypedResults.Ok(new ImagePageDto(page.Items.Select(ImageDto.From).ToList(), page.NextCursor));
    }

    /// <summary>One image's record.</summary>
    /// <param name="id" example="0193a5f0-7c1e-7b3a-9d2e-4f5a6b7c8d9e">Image id.</param>
    internal static async Task<Results<Ok<ImageDto>, ProblemHttpResult>> GetAsync(Guid id, IImageCatalog catalog, CancellationToken cancellationToken)
    {
        var record = await catalog.GetAsync(id, cancellationToken);
        return record is null ? NotFound(id) : TypedResults.Ok(ImageDto.From(record));
    }

    /// <summary>The thumbnail.</summary>
    /// <param name="id" example="0193a5f0-7c1e-7b3a-9d2e-4f5a6b7c8d9e">Image id.</param>
    internal static Task<IResult> ThumbnailAsync(Guid id, IImageCatalog catalog, IBlobStore blobs, HttpResponse response, CancellationToken cancellationToken) =>
        FileAsync(id, BlobKind.Thumbnail, catalog, blobs, response, cancellationToken);

    /// <summary>The original bytes.</summary>
    /// <param name="id" example="0193a5f0-7c1e-7b3a-9d2e-4f5a6b7c8d9e">Image id.</param>
    internal static Task<IResult> OriginalAsync(Guid id, IImageCatalog catalog, IBlobStore blobs, HttpResponse response, CancellationToken cancellationToken) =>
        FileAsync(id, BlobKind.Original, catalog, blobs, response, cancellationToken);

    /// <summary>Edit tags, metadata and taken date.</summary>
    /// <param name="id" example="0193a5f0-7c1e-7b3a-9d2e-4f5a6b7c8d9e">Image id.</param>
    internal static async Task<Results<Ok<ImageDto>, ProblemHttpResult>> PatchAsync(
        Guid id,
        PatchImageRequest body,
        IImageLibrary library,
        IImageCatalog catalog,
        CancellationToken cancellationToken)
    {
        if (body.Tags is { } tags)
        {
            UploadForm.CheckTags(tags, "tags");
        }

        var patch = new ImagePatch(body.Tags?.Distinct(StringComparer.Ordinal).ToList(), body.Metadata, body.TakenAt);
        if (body.Metadata is { } metadata)
        {
            UploadForm.CheckMetadata(metadata, "metadata", nullRemoves: true);
            // The merged result is held to the upload limit too, or patches could grow an image's metadata without
            // bound. Two patches racing on one image can together pass it by at most one patch's entries.
            if (await catalog.GetAsync(id, cancellationToken) is { } current && patch.MergeMetadata(current.Metadata).Count > UploadForm.MaxMetadataEntries)
            {
                throw new InvalidQueryException("metadata", $"An image holds at most {UploadForm.MaxMetadataEntries} metadata entries; remove some (null values) first.");
            }
        }

        var updated = await library.UpdateAsync(id, patch, cancellationToken);
        return updated is null ? NotFound(id) : TypedResults.Ok(ImageDto.From(updated));
    }

    /// <summary>Delete an image.</summary>
    /// <param name="id" example="0193a5f0-7c1e-7b3a-9d2e-4f5a6b7c8d9e">Image id.</param>
    internal static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(Guid id, IImageLibrary library, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        try
        {
            return await library.DeleteAsync(id, cancellationToken) ? TypedResults.NoContent() : NotFound(id);
        }
        catch (ImageCleanupException leftover)
        {
            // Deleted: telling the client otherwise would only get a retry answered 404.
            ApiLog.DeleteLeftovers(loggers.CreateLogger(typeof(ImagesEndpoints)), id, leftover.InnerException!.Message, leftover);
            return TypedResults.NoContent();
        }
    }

    internal static ProblemHttpResult NotFound(Guid id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Image not found", detail: $"No image with id {id}.");

    private static async Task<IResult> FileAsync(
        Guid id,
        BlobKind kind,
        IImageCatalog catalog,
        IBlobStore blobs,
        HttpResponse response,
        CancellationToken cancellationToken)
    {
        var record = await catalog.GetAsync(id, cancellationToken);
        var path = record is null ? null : blobs.GetPath(record.Sha256, kind);
        if (record is null || path is null)
        {
            return record is null
                ? NotFound(id)
                : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "File not found", detail: $"Image {id} has no {kind.ToString().ToLowerInvariant()}.");
        }

#pragma warning disable CA2000 // The stream result owns the file and disposes it after the response; failures before that dispose it below.
        if (OpenBlob(path) is not { } file)
#pragma warning restore CA2000
        {
            return NotFound(id);
        }

        try
        {
            var contentType = kind == BlobKind.Original ? record.MimeType : await SniffImageTypeAsync(file, cancellationToken);
            var tag = kind == BlobKind.Original ? $"\"{record.Sha256}\"" : $"\"{record.Sha256}-thumbnail\"";
            response.Headers.CacheControl = ImmutableCaching;
            return TypedResults.Stream(
                file,
                contentType,
                fileDownloadName: null,
                lastModified: record.UploadedAt,
                entityTag: new EntityTagHeaderValue(tag),
                enableRangeProcessing: true);
        }
        catch
        {
            await file.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Opened once, before answering: a delete racing the request either wins (null, 404) or finds the file open,
    /// and an open file stays readable to the end of the response.
    /// </summary>
    private static FileStream? OpenBlob(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, bufferSize: 1, FileOptions.Asynchronous);
        }
        catch (Exception error) when (error is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Thumbnails carry no type in the catalog; their first bytes tell it.</summary>
    private static async Task<string> SniffImageTypeAsync(FileStream file, CancellationToken cancellationToken)
    {
        var head = new byte[12];
        _ = await file.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken);
        file.Position = 0;
        return head switch
        {
            [0xFF, 0xD8, 0xFF, ..] => ImageFormat.Jpeg.MimeType(),
            [0x89, 0x50, 0x4E, 0x47, ..] => ImageFormat.Png.MimeType(),
            [0x52, 0x49, 0x46, 0x46, _, _, _, _, 0x57, 0x45, 0x42, 0x50] => ImageFormat.WebP.MimeType(),
            _ => "application/octet-stream",
        };
    }

    private static UploadItemDto ToItem(UploadOutcome outcome)
    {
        if (outcome.Rejection is { } rejection)
        {
            var (status, title) = ProblemMapping.ForRejection(rejection.Reason);
            return new UploadItemDto(outcome.File.Index, outcome.File.FileName, null, null, null, null, null, new UploadErrorDto(status, title, rejection.Message));
        }

        var record = outcome.Stored!.Record;
        return new UploadItemDto(outcome.File.Index, outcome.File.FileName, record.Id, record.Sha256, record.Width, record.Height, outcome.Stored.Duplicate, null);
    }
}

/// <summary>The upload form as Swagger UI shows it (the handler reads the form itself, see the operation description).</summary>
internal sealed class UploadImagesForm
{
    /// <summary>One or more images.</summary>
    public required IFormFileCollection Files { get; init; }

    /// <summary>Tags for every file: JSON array (["a","b"]) or comma-separated.</summary>
    public string? Tags { get; init; }

    /// <summary>Metadata for every file: JSON object of strings ({"album":"2024"}).</summary>
    public string? Metadata { get; init; }
}
