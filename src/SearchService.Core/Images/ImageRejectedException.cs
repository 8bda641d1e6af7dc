namespace SearchService.Core.Images;

/// <summary>Why an image was refused; the API maps each reason to a status code.</summary>
public enum ImageRejectionReason
{
    /// <summary>No bytes at all.</summary>
    Empty,

    /// <summary>Not one of the accepted formats (detected from content).</summary>
    UnsupportedFormat,

    /// <summary>The header claims more pixels (or a larger side) than configured.</summary>
    TooLarge,

    /// <summary>The format is accepted but the data is damaged or truncated.</summary>
    Corrupt,
}

/// <summary>An image the service will not take, with a reason a user can act on.</summary>
public sealed class ImageRejectedException : Exception
{
    public ImageRejectedException(ImageRejectionReason reason, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Reason = reason;
    }

    public ImageRejectionReason Reason { get; }
}
