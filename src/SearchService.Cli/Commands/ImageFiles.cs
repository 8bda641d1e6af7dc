using SearchService.Core.Images;
using SearchService.Core.Models;

namespace SearchService.Cli.Commands;

/// <summary>Reading image files for the commands: the tensor or a one-line reason it could not be made.</summary>
internal static class ImageFiles
{
    /// <summary>The model tensor of one file, or the reason (missing file, rejected image) as one line.</summary>
    public static async Task<(float[]? Tensor, string? Error)> PrepareAsync(IImagePreparer preparer, string path, CancellationToken cancellationToken)
    {
        byte[] bytes;
        try
        {
            bytes = await File.ReadAllBytesAsync(path, cancellationToken);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return (null, $"{path}: {error.Message}");
        }

        try
        {
            return (preparer.Prepare(bytes, new PrepareOptions(ThumbnailSize: 0), cancellationToken).Tensor, null);
        }
        catch (ImageRejectedException rejected)
        {
            return (null, $"{path}: {RejectionLabel(rejected.Reason)}: {rejected.Message}");
        }
    }

    /// <summary>The tensor shape as the visual model takes it: [1, 3, size, size].</summary>
    public static int[] Shape(ImagePreprocessing preprocessing) => [1, 3, preprocessing.Size, preprocessing.Size];

    private static string RejectionLabel(ImageRejectionReason reason) => reason switch
    {
        ImageRejectionReason.Empty => "empty file",
        ImageRejectionReason.UnsupportedFormat => "unsupported format",
        ImageRejectionReason.TooLarge => "too large",
        _ => "corrupt image",
    };
}
