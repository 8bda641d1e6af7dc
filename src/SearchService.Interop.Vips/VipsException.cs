namespace SearchService.Interop.Vips;

/// <summary>A libvips call failed. <see cref="Detail"/> is libvips's own text for the failure.</summary>
public class VipsException : Exception
{
    public VipsException(string message, string detail)
        : base(string.IsNullOrWhiteSpace(detail) ? message : $"{message}: {detail}")
    {
        Detail = detail;
    }

    public VipsException(string message)
        : this(message, string.Empty)
    {
    }

    public VipsException()
        : this("libvips failed")
    {
    }

    public VipsException(string message, Exception innerException)
        : base(message, innerException)
    {
        Detail = string.Empty;
    }

    /// <summary>libvips's error buffer at the time of the failure (may be empty; under load it can mix threads' text).</summary>
    public string Detail { get; }
}

/// <summary>libvips or GLib could not be found or is too old.</summary>
public sealed class VipsLoadException : VipsException
{
    public VipsLoadException(string message)
        : base(message)
    {
    }

    public VipsLoadException()
        : this("libvips could not be loaded")
    {
    }

    public VipsLoadException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
