namespace SearchService.Core.Search;

/// <summary>A query the caller must change before it can run; <see cref="Field"/> names the input at fault.</summary>
public sealed class InvalidQueryException : Exception
{
    public InvalidQueryException(string field, string message)
        : base(message)
    {
        Field = field;
    }

    public string Field { get; }
}
