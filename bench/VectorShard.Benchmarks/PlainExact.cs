namespace VectorShard.Benchmarks;

/// <summary>
/// The naive exact answer: a plain scalar loop per row (no SIMD, no library) and a small sorted top-k.
/// The naive ADO.NET contender uses it on rows read from SQLite; the reference answers use it on the
/// in-memory matrix — the same bytes and the same arithmetic, so the same ids.
/// </summary>
public static class PlainExact
{
    /// <summary>A rank-preserving distance: squared L2, 1 − cosine, or −dot. Lower is nearer.</summary>
    public static float Distance(DistanceMetric metric, ReadOnlySpan<float> query, float queryNorm, ReadOnlySpan<float> row)
    {
        switch (metric)
        {
            case DistanceMetric.L2:
            {
                var sum = 0f;
                for (var i = 0; i < query.Length; i++)
                {
                    var d = query[i] - row[i];
                    sum += d * d;
                }

                return sum;
            }

            case DistanceMetric.Cosine:
            {
                float dot = 0f, norm = 0f;
                for (var i = 0; i < query.Length; i++)
                {
                    dot += query[i] * row[i];
                    norm += row[i] * row[i];
                }

                return 1f - dot / (queryNorm * MathF.Sqrt(norm));
            }

            default:
            {
                var dot = 0f;
                for (var i = 0; i < query.Length; i++)
                {
                    dot += query[i] * row[i];
                }

                return -dot;
            }
        }
    }

    /// <summary>The plain-loop norm of a query.</summary>
    public static float Norm(ReadOnlySpan<float> v)
    {
        var sum = 0f;
        foreach (var x in v)
        {
            sum += x * x;
        }

        return MathF.Sqrt(sum);
    }

    /// <summary>The k nearest ids (row index + 1, which is the shard's id) of one query over a matrix.</summary>
    public static long[] Search(float[] data, int dimension, DistanceMetric metric, float[] query, int k)
    {
        var best = new SmallTopK(k);
        var norm = Norm(query);
        var rows = data.Length / dimension;
        for (var r = 0; r < rows; r++)
        {
            best.Add(r + 1, Distance(metric, query, norm, data.AsSpan(r * dimension, dimension)));
        }

        return best.Ids();
    }

    /// <summary>Reference answers for every query, two threads (done before any timing).</summary>
    public static long[][] SearchAll(float[] data, int dimension, DistanceMetric metric, float[][] queries, int k)
    {
        var answers = new long[queries.Length][];
        Parallel.For(0, queries.Length, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            q => answers[q] = Search(data, dimension, metric, queries[q], k));
        return answers;
    }

    /// <summary>The true distance in double precision, to tell a genuine miss from a float near-tie.</summary>
    public static double ExactDistance(DistanceMetric metric, ReadOnlySpan<float> query, ReadOnlySpan<float> row)
    {
        double dot = 0, qq = 0, rr = 0, l2 = 0;
        for (var i = 0; i < query.Length; i++)
        {
            dot += (double)query[i] * row[i];
            qq += (double)query[i] * query[i];
            rr += (double)row[i] * row[i];
            var d = (double)query[i] - row[i];
            l2 += d * d;
        }

        return metric switch
        {
            DistanceMetric.L2 => Math.Sqrt(l2),
            DistanceMetric.Cosine => 1 - dot / Math.Sqrt(qq * rr),
            _ => -dot,
        };
    }
}

/// <summary>The naive top-k: a sorted array with insertion; ties go to the lower id (as Core's TopK).</summary>
public sealed class SmallTopK(int k)
{
    private readonly long[] _ids = new long[k];
    private readonly float[] _distances = new float[k];
    private int _count;

    public void Add(long id, float distance)
    {
        if (_count == _ids.Length && !(distance < _distances[_count - 1] || (distance == _distances[_count - 1] && id < _ids[_count - 1])))
        {
            return;
        }

        var i = _count == _ids.Length ? _count - 1 : _count++;
        while (i > 0 && (_distances[i - 1] > distance || (_distances[i - 1] == distance && _ids[i - 1] > id)))
        {
            _ids[i] = _ids[i - 1];
            _distances[i] = _distances[i - 1];
            i--;
        }

        _ids[i] = id;
        _distances[i] = distance;
    }

    public long[] Ids() => _ids.AsSpan(0, _count).ToArray();
}
