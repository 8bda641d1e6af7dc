using SearchService.Core.Storage;

namespace SearchService.Core.Ingest;

/// <summary>
/// Decides what a file whose bytes are already in the catalog counts as, so that totals stay exact across
/// crashes. The catalog row is the library's commit point and the job store is written after it, so a crash
/// between the two leaves a stored image whose file is still pending. Before handing a file to the library
/// the pipeline durably records its hash and the time (<see cref="IngestFile.AttemptSha256"/>); on the
/// re-run that file finds its own image in the catalog and must count as done, not as a duplicate of itself.
/// </summary>
public static class IngestAccounting
{
    /// <summary>Catalog times and our clock may be rounded differently; a record this much older still counts as ours.</summary>
    public static readonly TimeSpan ClockTolerance = TimeSpan.FromSeconds(2);

    /// <summary>The outcome of a file whose content (hash <paramref name="sha256"/>) the catalog already holds as <paramref name="existing"/>.</summary>
    /// <param name="file">The file.</param>
    /// <param name="sha256">Its content hash.</param>
    /// <param name="existing">The catalog's record for that hash.</param>
    /// <param name="ownedByAnotherFile">True when another job file already counts this image as the one it stored.</param>
    public static IngestFileOutcome ResolveExisting(IngestFile file, string sha256, ImageRecord existing, bool ownedByAnotherFile)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(existing);
        if (string.Equals(file.PriorSha256, sha256, StringComparison.Ordinal))
        {
            return new IngestFileOutcome(file.Id, IngestFileState.Skipped, sha256, existing.Id, "unchanged since an earlier ingest");
        }

        var storedByThisFile = string.Equals(file.AttemptSha256, sha256, StringComparison.Ordinal)
            && file.AttemptAt is { } attemptAt
            && existing.UploadedAt >= attemptAt - ClockTolerance
            && !ownedByAnotherFile;
        return storedByThisFile
            ? new IngestFileOutcome(file.Id, IngestFileState.Done, sha256, existing.Id, null)
            : new IngestFileOutcome(file.Id, IngestFileState.Duplicate, sha256, existing.Id, null);
    }
}
