namespace SearchService.Api.Ingest;

/// <summary>A job request the service refuses (bad path, archive over a limit…); answered with 400 problem+json.</summary>
public sealed class IngestRequestException : Exception
{
    public IngestRequestException(string title, string detail, int statusCode = StatusCodes.Status400BadRequest)
        : base(detail)
    {
        Title = title;
        StatusCode = statusCode;
    }

    public string Title { get; }

    public int StatusCode { get; }
}
