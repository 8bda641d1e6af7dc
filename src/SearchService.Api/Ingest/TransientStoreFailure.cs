using Microsoft.Data.Sqlite;
using SearchService.Core.Storage;

namespace SearchService.Api.Ingest;

/// <summary>Tells store failures that pass by themselves (retrying later may succeed) from those that do not.</summary>
internal static class TransientStoreFailure
{
    // SQLite primary result codes: another connection holds the lock past the busy timeout.
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;

    public static bool Is(Exception exception) => exception switch
    {
        VectorStoreException store => store.IsTransient,
        SqliteException sqlite => sqlite.SqliteErrorCode is SqliteBusy or SqliteLocked,
        _ => exception.InnerException is { } inner && Is(inner),
    };
}
