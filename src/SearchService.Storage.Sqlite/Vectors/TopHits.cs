namespace SearchService.Storage.Sqlite.Vectors;

/// <summary>
/// The best <c>capacity</c> hits seen so far: a binary heap with the worst kept hit at the root, so a hit that
/// cannot make the cut costs one comparison. "Better" is a higher score, then the smaller id (stable pages).
/// </summary>
internal sealed class TopHits
{
    private readonly float[] _scores;
    private readonly Guid[] _ids;
    private int _count;

    public TopHits(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _scores = new float[capacity];
        _ids = new Guid[capacity];
    }

    public int Count => _count;

    public void Offer(float score, Guid id)
    {
        if (_count < _scores.Length)
        {
            var child = _count++;
            _scores[child] = score;
            _ids[child] = id;
            SiftUp(child);
            return;
        }

        if (score < _scores[0] || !IsBetter(score, id, _scores[0], _ids[0]))
        {
            return;
        }

        _scores[0] = score;
        _ids[0] = id;
        SiftDown(0);
    }

    public void CopyTo(List<(float Score, Guid Id)> hits)
    {
        for (var i = 0; i < _count; i++)
        {
            hits.Add((_scores[i], _ids[i]));
        }
    }

    public static bool IsBetter(float score, Guid id, float otherScore, Guid otherId) =>
        score > otherScore || (score == otherScore && id.CompareTo(otherId) < 0);

    private void SiftUp(int child)
    {
        while (child > 0)
        {
            var parent = (child - 1) / 2;
            if (!IsBetter(_scores[parent], _ids[parent], _scores[child], _ids[child]))
            {
                return;
            }

            Swap(parent, child);
            child = parent;
        }
    }

    private void SiftDown(int parent)
    {
        while (true)
        {
            var worst = parent;
            var left = (2 * parent) + 1;
            var right = left + 1;
            if (left < _count && IsBetter(_scores[worst], _ids[worst], _scores[left], _ids[left]))
            {
                worst = left;
            }

            if (right < _count && IsBetter(_scores[worst], _ids[worst], _scores[right], _ids[right]))
            {
                worst = right;
            }

            if (worst == parent)
            {
                return;
            }

            Swap(parent, worst);
            parent = worst;
        }
    }

    private void Swap(int a, int b)
    {
        (_scores[a], _scores[b]) = (_scores[b], _scores[a]);
        (_ids[a], _ids[b]) = (_ids[b], _ids[a]);
    }
}
