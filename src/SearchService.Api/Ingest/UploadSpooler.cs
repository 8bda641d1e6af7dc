using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace SearchService.Api.Ingest;

/// <summary>
/// Streams a multipart upload (many image files, or .zip / .tar / .tar.gz archives) section by section to
/// disk: nothing is buffered whole in memory. Form fields: <c>tags</c> (repeatable or comma-separated).
/// </summary>
public sealed class UploadSpooler
{
    private readonly IOptionsMonitor<IngestOptions> _options;

    public UploadSpooler(IOptionsMonitor<IngestOptions> options)
    {
        _options = options;
    }

    public sealed record SpooledUpload(SpoolWriter Spool, IReadOnlyList<string> Tags);

    public async Task<SpooledUpload> SpoolAsync(HttpRequest request, string jobDirectory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var options = _options.CurrentValue;
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = options.MaxUploadBytes;
        }

        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType)
            || HeaderUtilities.RemoveQuotes(contentType.Boundary).Value is not { Length: > 0 } boundary)
        {
            throw new IngestRequestException("Invalid upload", "Expected multipart/form-data with a boundary, or application/json with a server 'path'.");
        }

        var spool = new SpoolWriter(jobDirectory, options.MaxFileBytes);
        var expander = new ArchiveExpander(options);
        var tags = new List<string>();
        var reader = new MultipartReader(boundary, request.Body) { BodyLengthLimit = options.MaxUploadBytes, HeadersLengthLimit = 16 * 1024 };
        try
        {
            while (await reader.ReadNextSectionAsync(cancellationToken).ConfigureAwait(false) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition))
                {
                    continue;
                }

                if (!disposition.IsFileDisposition())
                {
                    if (string.Equals(HeaderUtilities.RemoveQuotes(disposition.Name).Value, "tags", StringComparison.OrdinalIgnoreCase))
                    {
                        using var text = new StreamReader(section.Body);
                        var value = await text.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
                        tags.AddRange(value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                    }

                    continue;
                }

                var fileName = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value;
                var displayName = string.IsNullOrWhiteSpace(fileName) ? "upload" : Path.GetFileName(fileName.Replace('\\', '/'));
                if (ArchiveExpander.KindOf(displayName) is { } kind)
                {
                    var archive = await spool.WriteTemporaryAsync(section.Body, kind == ArchiveKind.Zip ? ".zip" : ".tar", options.MaxUploadBytes, cancellationToken).ConfigureAwait(false);
                    spool.CurrentArchiveName = displayName;
                    try
                    {
                        await expander.ExpandAsync(archive, kind, spool, cancellationToken).ConfigureAwait(false);
                    }
                    finally
                    {
                        File.Delete(archive);
                    }
                }
                else
                {
                    await spool.WriteFileAsync(displayName, section.Body, counter: null, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (InvalidDataException exception)
        {
            throw new IngestRequestException("Invalid upload", exception.Message);
        }
        catch (BadHttpRequestException exception) when (exception.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw new IngestRequestException("Upload too large", $"The upload is larger than Ingest:MaxUploadBytes ({options.MaxUploadBytes} bytes).", StatusCodes.Status413PayloadTooLarge);
        }

        if (spool.Files.Count == 0)
        {
            throw new IngestRequestException("Empty upload", "The upload holds no files.");
        }

        return new SpooledUpload(spool, tags.Distinct(StringComparer.Ordinal).ToArray());
    }
}
