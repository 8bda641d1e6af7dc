namespace SearchService.Core.Library;

/// <summary>
/// The image is deleted (its catalog row is gone), but removing its vector or files failed; they are invisible
/// and <see cref="IImageLibrary.ReconcileAsync"/> removes them at the next start-up.
/// </summary>
public sealed class ImageCleanupException : Exception
{
    public ImageCleanupException(Guid imageId, Exception innerException)
        : base($"Image {imageId} is deleted, but removing its vector or files failed; they are removed at the next start-up.", innerException)
    {
        ImageId = imageId;
    }

    public Guid ImageId { get; }
}
