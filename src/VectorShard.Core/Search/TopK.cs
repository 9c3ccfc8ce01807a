using System.Runtime.CompilerServices;

namespace VectorShard.Core.Search;

/// <summary>
/// The k nearest seen so far: a bounded max-heap on distance, so the worst kept neighbour is at the root
/// and a candidate costs one compare when it is not better. Equal distances order by id, so results are
/// deterministic.
/// </summary>
public sealed class TopK
{
    private readonly int _k;
    private float[] _distances;
    private long[] _ids;

    /// <summary>Creates an empty set that keeps at most <paramref name="k"/> neighbours.</summary>
    public TopK(int k)
    {
        _k = k;
        // Grown on demand: a huge k on a small shard must not allocate k slots.
        _distances = new float[Math.Min(k, 1024)];
        _ids = new long[_distances.Length];
    }

    /// <summary>How many neighbours are kept so far.</summary>
    public int Count { get; private set; }

    /// <summary>A candidate must be nearer than this to be kept (infinity until the heap is full).</summary>
    public float Bound => Count < _k ? float.PositiveInfinity : _distances[0];

    /// <summary>Offers a candidate; keeps it if it is among the k nearest so far.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Add(long id, float distance)
    {
        if (Count < _k)
        {
            if (Count == _distances.Length)
            {
                var grown = (int)Math.Min((long)_k, 2L * Count);
                Array.Resize(ref _distances, grown);
                Array.Resize(ref _ids, grown);
            }

            _distances[Count] = distance;
            _ids[Count] = id;
            SiftUp(Count++);
        }
        else if (Worse(_distances[0], _ids[0], distance, id))
        {
            _distances[0] = distance;
            _ids[0] = id;
            SiftDown(0);
        }
    }

    /// <summary>Offers every neighbour <paramref name="other"/> keeps (merging a partial result of a split scan).</summary>
    public void Merge(TopK other)
    {
        for (var i = 0; i < other.Count; i++)
        {
            Add(other._ids[i], other._distances[i]);
        }
    }

    /// <summary>The ids kept, in no particular order.</summary>
    public ReadOnlySpan<long> Ids => _ids.AsSpan(0, Count);

    /// <summary>The kept neighbours, nearest first.</summary>
    public (long Id, float Distance)[] ToSortedArray()
    {
        var result = new (long Id, float Distance)[Count];
        for (var i = 0; i < Count; i++)
        {
            result[i] = (_ids[i], _distances[i]);
        }

        Array.Sort(result, (a, b) => a.Distance != b.Distance ? a.Distance.CompareTo(b.Distance) : a.Id.CompareTo(b.Id));
        return result;
    }

    // Whether (d1, id1) ranks after (d2, id2).
    private static bool Worse(float d1, long id1, float d2, long id2) => d1 > d2 || (d1 == d2 && id1 > id2);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void SiftUp(int i)
    {
        while (i > 0)
        {
            var parent = (i - 1) / 2;
            if (!Worse(_distances[i], _ids[i], _distances[parent], _ids[parent]))
            {
                return;
            }

            Swap(i, parent);
            i = parent;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void SiftDown(int i)
    {
        // The entry moving down is held aside and written once where it stops, instead of swapped at every level.
        var distance = _distances[i];
        var id = _ids[i];
        while (true)
        {
            var child = 2 * i + 1;
            if (child >= Count)
            {
                break;
            }

            if (child + 1 < Count && Worse(_distances[child + 1], _ids[child + 1], _distances[child], _ids[child]))
            {
                child++;
            }

            if (!Worse(_distances[child], _ids[child], distance, id))
            {
                break;
            }

            _distances[i] = _distances[child];
            _ids[i] = _ids[child];
            i = child;
        }

        _distances[i] = distance;
        _ids[i] = id;
    }

    private void Swap(int a, int b)
    {
        (_distances[a], _distances[b]) = (_distances[b], _distances[a]);
        (_ids[a], _ids[b]) = (_ids[b], _ids[a]);
    }
}
