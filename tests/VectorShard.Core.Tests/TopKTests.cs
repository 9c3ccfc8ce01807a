namespace VectorShard.Core.Tests;

/// <summary>The bounded heap against a full sort by (distance, id).</summary>
public sealed class TopKTests
{
    private static readonly float[] TiePool = [-0f, 0f, 0.5f, 0.5f, 1f, 1.5f, -2f, float.PositiveInfinity, float.NegativeInfinity, 1e-30f];

    private static (long Id, float Distance)[] Sorted(IEnumerable<(long Id, float Distance)> items, int k) =>
        items.OrderBy(x => x.Distance).ThenBy(x => x.Id).Take(k).ToArray();

    private static TopK Fill(int k, IEnumerable<(long Id, float Distance)> items)
    {
        var top = new TopK(k);
        foreach (var (id, distance) in items)
        {
            top.Add(id, distance);
        }

        return top;
    }

    public static TheoryData<int, int, bool> Shapes()
    {
        var data = new TheoryData<int, int, bool>();
        foreach (var n in (int[])[0, 1, 2, 9, 100, 3000])
        {
            foreach (var k in (int[])[1, 2, 3, 10, 64, 5000])
            {
                data.Add(n, k, true);
                data.Add(n, k, false);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ToSortedArray_EqualsSortingAndTaking(int n, int k, bool manyTies)
    {
        for (var seed = 0; seed < 20; seed++)
        {
            var random = new Random(seed * 1000 + n + k);
            var ids = Enumerable.Range(1, n).Select(i => (long)i * 3 + random.Next(3)).ToArray();
            random.Shuffle(ids);
            var items = ids.Select(id => (Id: id, Distance: manyTies
                ? TiePool[random.Next(TiePool.Length)]
                : (float)RandomData.Gaussian(random))).ToArray();

            var top = Fill(k, items);

            var expected = Sorted(items, k);
            Assert.Equal(expected.Length, top.Count);
            Assert.Equal(expected, top.ToSortedArray());
        }
    }

    [Fact]
    public void EqualDistances_KeepTheLowestIds_WhateverTheInsertionOrder()
    {
        var ids = Enumerable.Range(1, 50).Select(i => (long)i).ToArray();
        foreach (var order in (long[][])[ids, Enumerable.Reverse(ids).ToArray(), ids.Where(i => i % 2 == 0).Concat(ids.Where(i => i % 2 == 1)).ToArray()])
        {
            var top = Fill(5, order.Select(id => (id, 1f)));
            Assert.Equal([1L, 2L, 3L, 4L, 5L], top.ToSortedArray().Select(x => x.Id));
        }
    }

    [Fact]
    public void NegativeAndPositiveZero_AreTiesOrderedById()
    {
        var top = Fill(3, [(9, 0f), (4, -0f), (7, 0f), (1, 1f)]);
        Assert.Equal([4L, 7L, 9L], top.ToSortedArray().Select(x => x.Id));
    }

    [Fact]
    public void Bound_IsInfinityUntilFull_ThenTheWorstKept()
    {
        var top = new TopK(3);
        Assert.Equal(0, top.Count);
        Assert.Equal(float.PositiveInfinity, top.Bound);
        Assert.Empty(top.ToSortedArray());

        top.Add(1, 5f);
        top.Add(2, 1f);
        Assert.Equal(float.PositiveInfinity, top.Bound);
        top.Add(3, 3f);
        Assert.Equal(3, top.Count);
        Assert.Equal(5f, top.Bound);

        top.Add(4, 2f);
        Assert.Equal(3f, top.Bound);
        top.Add(5, 100f);
        Assert.Equal(3f, top.Bound);
        Assert.Equal(3, top.Count);
        Assert.Equal([(2L, 1f), (4L, 2f), (3L, 3f)], top.ToSortedArray());
    }

    [Fact]
    public void ToSortedArray_DoesNotDisturbTheHeap()
    {
        var random = new Random(3);
        var items = Enumerable.Range(0, 500).Select(i => ((long)i, (float)random.NextDouble())).ToArray();
        var top = new TopK(20);
        foreach (var (id, distance) in items.Take(250))
        {
            top.Add(id, distance);
        }

        _ = top.ToSortedArray();
        foreach (var (id, distance) in items.Skip(250))
        {
            top.Add(id, distance);
        }

        Assert.Equal(Sorted(items, 20), top.ToSortedArray());
    }
}
