using Microsoft.Extensions.Logging;

namespace SearchService.Storage.Sqlite;

internal static partial class EmbeddedStoreLog
{
    [LoggerMessage(EventId = 5200, Level = LogLevel.Information, Message = "Created vector collection {Collection} ({Dimensions} dimensions) in the embedded store")]
    public static partial void CollectionCreated(ILogger logger, string collection, int dimensions);

    [LoggerMessage(EventId = 5201, Level = LogLevel.Information, Message = "Loaded vector collection {Collection}: {Points} points of {Dimensions} dimensions in {ElapsedMs} ms")]
    public static partial void CollectionLoaded(ILogger logger, string collection, int points, int dimensions, double elapsedMs);

    [LoggerMessage(EventId = 5202, Level = LogLevel.Debug, Message = "Loading vector collection {Collection}: {Points} points so far")]
    public static partial void LoadProgress(ILogger logger, string collection, int points);

    [LoggerMessage(EventId = 5203, Level = LogLevel.Warning, Message = "Embedded vector store {Path} is not ready")]
    public static partial void NotReady(ILogger logger, string path, Exception exception);
}
