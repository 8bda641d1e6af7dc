using Microsoft.Extensions.Logging;

namespace SearchService.Storage.Qdrant;

internal static partial class QdrantLog
{
    [LoggerMessage(EventId = 5100, Level = LogLevel.Information, Message = "Created Qdrant collection {Collection} ({Dimensions} dimensions, cosine)")]
    public static partial void CollectionCreated(ILogger logger, string collection, int dimensions);

    [LoggerMessage(EventId = 5101, Level = LogLevel.Debug, Message = "Qdrant collection {Collection} exists with {Dimensions} dimensions, cosine")]
    public static partial void CollectionVerified(ILogger logger, string collection, int dimensions);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Information, Message = "Created Qdrant payload index {Field} ({Schema}) on {Collection}")]
    public static partial void PayloadIndexCreated(ILogger logger, string collection, string field, string schema);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Warning, Message = "Qdrant {Operation} failed transiently ({Reason}); retry {Attempt} in {DelayMs} ms")]
    public static partial void Retrying(ILogger logger, string operation, string reason, int attempt, double delayMs);

    [LoggerMessage(EventId = 5104, Level = LogLevel.Warning, Message = "Qdrant readiness check failed")]
    public static partial void NotReady(ILogger logger, Exception exception);
}
