using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Options;
using SearchService.Api.Hosting;
using SearchService.Core.Images;
using SearchService.Core.Library;
using SearchService.Core.Models;
using SearchService.Core.Search;
using SearchService.Core.Storage;

namespace SearchService.Api.Uploads;

/// <summary>One file taken from a multipart form, with the tags and metadata the form gives it.</summary>
internal sealed record UploadedFile(int Index, string? FileName, byte[] Bytes, IReadOnlyList<string> Tags, IReadOnlyDictionary<string, string> Metadata);

/// <summary>A file that was stored, or the reason it was not.</summary>
internal sealed record UploadOutcome(UploadedFile File, StoredImage? Stored, ImageRejectedException? Rejection);

/// <summary>
/// Turns uploaded bytes into embeddings and stored images: hash, skip decoding when the bytes are already
/// stored, decode once (thumbnail and model tensor), embed in the encoder's preferred batches, store the batch.
/// </summary>
internal sealed class UploadedImages(
    IImagePreparer preparer,
    IImageEncoder encoder,
    IImageLibrary library,
    IImageCatalog catalog,
    IOptions<LimitsOptions> limits)
{
    /// <summary>Embeds an image used only as a query (nothing is stored, no thumbnail is made).</summary>
    public async Task<float[]> EmbedQueryAsync(byte[] bytes, CancellationToken cancellationToken)
    {
        var prepared = await PrepareAsync(bytes, thumbnailSize: 0, cancellationToken).ConfigureAwait(false);
        var embeddings = await encoder.EncodeAsync([prepared.Tensor], cancellationToken).ConfigureAwait(false);
        return embeddings[0];
    }

    public async Task<IReadOnlyList<UploadOutcome>> StoreAsync(IReadOnlyList<UploadedFile> files, CancellationToken cancellationToken)
    {
        var outcomes = new UploadOutcome?[files.Count];
        var ready = new List<(int Slot, NewImage Image)>();
        foreach (var (file, slot) in files.Select((f, i) => (f, i)))
        {
            var sha256 = Convert.ToHexStringLower(SHA256.HashData(file.Bytes));
            if (await catalog.FindBySha256Async(sha256, cancellationToken).ConfigureAwait(false) is { } existing)
            {
                outcomes[slot] = new UploadOutcome(file, new StoredImage(existing, Duplicate: true), null);
                continue;
            }

            try
            {
                var prepared = await PrepareAsync(file.Bytes, limits.Value.ThumbnailSize, cancellationToken).ConfigureAwait(false);
                ready.Add((slot, new NewImage(sha256, file.Bytes, prepared, [], file.FileName, file.Tags, file.Metadata)));
            }
            catch (ImageRejectedException rejection)
            {
                outcomes[slot] = new UploadOutcome(file, null, rejection);
            }
        }

        if (ready.Count > 0)
        {
            var embedded = new List<NewImage>(ready.Count);
            var batchSize = Math.Max(1, encoder.PreferredBatchSize);
            foreach (var batch in ready.Chunk(batchSize))
            {
                var vectors = await encoder.EncodeAsync(batch.Select(r => (ReadOnlyMemory<float>)r.Image.Prepared.Tensor).ToList(), cancellationToken).ConfigureAwait(false);
                embedded.AddRange(batch.Select((r, i) => r.Image with { Embedding = vectors[i] }));
            }

            var stored = await library.StoreAsync(embedded, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < ready.Count; i++)
            {
                outcomes[ready[i].Slot] = new UploadOutcome(files[ready[i].Slot], stored[i], null);
            }
        }

        return outcomes!;
    }

    private async Task<PreparedImage> PrepareAsync(byte[] bytes, int thumbnailSize, CancellationToken cancellationToken)
    {
        if (bytes.Length == 0)
        {
            throw new ImageRejectedException(ImageRejectionReason.Empty, "The file is empty.");
        }

        // Decoding is CPU-bound and synchronous; keep it off the request thread.
        return await Task.Run(() => preparer.Prepare(bytes, new PrepareOptions(thumbnailSize), cancellationToken), cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>
/// Reads upload forms. Convention: every file part is an image (any field name, order kept); text fields
/// <c>tags</c> (JSON array, or repeated fields) and <c>metadata</c> (JSON object) apply to every file;
/// <c>tags[i]</c> and <c>metadata[i]</c> add to those for the i-th file part (zero-based).
/// </summary>
internal static class UploadForm
{
    public const int MaxTags = 100;
    public const int MaxTagLength = 100;
    public const int MaxMetadataEntries = 100;
    public const int MaxMetadataKeyLength = 100;
    public const int MaxMetadataValueLength = 2000;

    /// <summary>Reads the form; a body over the limit becomes <see cref="BadHttpRequestException"/> 413.</summary>
    public static async Task<IFormCollection> ReadAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        if (!request.HasFormContentType || request.ContentType?.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase) != true)
        {
            throw new InvalidQueryException("body", "Send the image as multipart/form-data.");
        }

        if (request.ContentLength > maxBytes)
        {
            throw new BadHttpRequestException($"The request body is larger than the {maxBytes} bytes allowed.", StatusCodes.Status413PayloadTooLarge);
        }

        try
        {
            return await request.ReadFormAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException error) when (error.Message.Contains("limit", StringComparison.OrdinalIgnoreCase))
        {
            throw new BadHttpRequestException($"The request body is larger than the {maxBytes} bytes allowed.", StatusCodes.Status413PayloadTooLarge, error);
        }
        catch (InvalidDataException error)
        {
            throw new InvalidQueryException("body", $"The multipart body is malformed: {error.Message}");
        }
    }

    public static async Task<byte[]> ReadBytesAsync(IFormFile file, CancellationToken cancellationToken)
    {
        var bytes = new byte[file.Length];
        await using var stream = file.OpenReadStream();
        await stream.ReadExactlyAsync(bytes, cancellationToken).ConfigureAwait(false);
        return bytes;
    }

    public static async Task<IReadOnlyList<UploadedFile>> ReadFilesAsync(IFormCollection form, int maxFiles, CancellationToken cancellationToken)
    {
        if (form.Files.Count == 0)
        {
            throw new InvalidQueryException("files", "Attach at least one image as a file part (e.g. field 'files').");
        }

        if (form.Files.Count > maxFiles)
        {
            throw new InvalidQueryException("files", $"At most {maxFiles} files per request.");
        }

        var sharedTags = ReadTags(form, "tags");
        var sharedMetadata = ReadMetadata(form, "metadata");
        var files = new List<UploadedFile>(form.Files.Count);
        for (var i = 0; i < form.Files.Count; i++)
        {
            var file = form.Files[i];
            var tags = sharedTags.Concat(ReadTags(form, $"tags[{i}]")).Distinct(StringComparer.Ordinal).ToList();
            var metadata = new Dictionary<string, string>(sharedMetadata, StringComparer.Ordinal);
            foreach (var (key, value) in ReadMetadata(form, $"metadata[{i}]"))
            {
                metadata[key] = value;
            }

            CheckTags(tags, $"tags[{i}]");
            CheckMetadata(metadata, $"metadata[{i}]");
            files.Add(new UploadedFile(i, SafeFileName(file.FileName), await ReadBytesAsync(file, cancellationToken).ConfigureAwait(false), tags, metadata));
        }

        return files;
    }

    /// <summary>Labels or templates sent as repeated fields, or as one field holding a JSON array.</summary>
    public static IReadOnlyList<string>? ReadList(IFormCollection form, string field)
    {
        if (!form.TryGetValue(field, out var values) || values.Count == 0)
        {
            return null;
        }

        if (values.Count == 1 && values[0]!.TrimStart().StartsWith('['))
        {
            return ParseJson<List<string>>(values[0]!, field);
        }

        return values.Select(v => v ?? string.Empty).ToList();
    }

    public static void CheckTags(IReadOnlyList<string> tags, string field)
    {
        if (tags.Count > MaxTags || tags.Any(t => string.IsNullOrWhiteSpace(t) || t.Length > MaxTagLength))
        {
            throw new InvalidQueryException(field, $"At most {MaxTags} tags, each 1 to {MaxTagLength} non-blank characters.");
        }
    }

    /// <summary>Size limits; a null value is refused unless it means "remove this key" (<paramref name="nullRemoves"/>, in PATCH).</summary>
    public static void CheckMetadata<TValue>(IReadOnlyDictionary<string, TValue> metadata, string field, bool nullRemoves = false)
    {
        if (!nullRemoves && metadata.FirstOrDefault(p => p.Value is null).Key is { } withoutValue)
        {
            throw new InvalidQueryException(field, $"Metadata values must be strings; '{withoutValue}' is null.");
        }

        if (metadata.Count > MaxMetadataEntries
            || metadata.Any(p => string.IsNullOrWhiteSpace(p.Key) || p.Key.Length > MaxMetadataKeyLength
                || (p.Value is string s && s.Length > MaxMetadataValueLength)))
        {
            throw new InvalidQueryException(
                field,
                $"At most {MaxMetadataEntries} metadata entries; keys 1 to {MaxMetadataKeyLength} characters, values up to {MaxMetadataValueLength}.");
        }
    }

    private static List<string> ReadTags(IFormCollection form, string field)
    {
        if (!form.TryGetValue(field, out var values))
        {
            return [];
        }

        var tags = new List<string>();
        foreach (var value in values)
        {
            if (value is null)
            {
                continue;
            }

            if (value.TrimStart().StartsWith('['))
            {
                tags.AddRange(ParseJson<List<string>>(value, field));
            }
            else
            {
                tags.AddRange(value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
            }
        }

        return tags;
    }

    private static Dictionary<string, string> ReadMetadata(IFormCollection form, string field)
    {
        if (!form.TryGetValue(field, out var values) || values.Count == 0)
        {
            return [];
        }

        if (values.Count > 1)
        {
            throw new InvalidQueryException(field, "Send metadata once, as one JSON object.");
        }

        return ParseJson<Dictionary<string, string>>(values[0]!, field);
    }

    private static T ParseJson<T>(string json, string field)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json) ?? throw new InvalidQueryException(field, "The value is null.");
        }
        catch (JsonException error)
        {
            throw new InvalidQueryException(field, $"Not valid JSON for this field: {error.Message}");
        }
    }

    private static string? SafeFileName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return null;
        }

        // Only the last path segment, for display; never used as a path.
        var last = name.Replace('\\', '/').Split('/')[^1].Trim();
        return last.Length == 0 ? null : last[..Math.Min(last.Length, 255)];
    }
}
