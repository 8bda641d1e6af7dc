namespace SearchService.Core.Library;

/// <summary>
/// Striped async locks keyed by content hash, so that writers of the same bytes (two uploads, an upload and a
/// delete) run one after the other while different images proceed in parallel. Several keys are taken in
/// stripe order, which rules out deadlocks between batches.
/// </summary>
internal sealed class Sha256Locks
{
    private readonly SemaphoreSlim[] _stripes;

    public Sha256Locks(int stripes = 64)
    {
        _stripes = new SemaphoreSlim[stripes];
        for (var i = 0; i < stripes; i++)
        {
            _stripes[i] = new SemaphoreSlim(1, 1);
        }
    }

    public async Task<Releaser> AcquireAsync(IEnumerable<string> sha256s, CancellationToken cancellationToken)
    {
        var indexes = sha256s.Select(StripeOf).Distinct().Order().ToArray();
        var taken = 0;
        try
        {
            for (; taken < indexes.Length; taken++)
            {
                await _stripes[indexes[taken]].WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            for (var i = 0; i < taken; i++)
            {
                _stripes[indexes[i]].Release();
            }

            throw;
        }

        return new Releaser(this, indexes);
    }

    private int StripeOf(string sha256) =>
        (int)((uint)StringComparer.Ordinal.GetHashCode(sha256) % (uint)_stripes.Length);

    public readonly struct Releaser(Sha256Locks owner, int[] indexes) : IDisposable
    {
        public void Dispose()
        {
            for (var i = indexes.Length - 1; i >= 0; i--)
            {
                owner._stripes[indexes[i]].Release();
            }
        }
    }
}
