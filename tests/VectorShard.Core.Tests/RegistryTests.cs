namespace VectorShard.Core.Tests;

/// <summary>ShardRegistry: one open shard per path, create/replace, close, dispose.</summary>
public sealed class RegistryTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly ShardRegistry _registry = new();

    public void Dispose()
    {
        _registry.Dispose();
        _temp.Dispose();
    }

    private string NewShardFile(string name)
    {
        var path = _temp.File(name);
        using var shard = Shard.Create(path, new ShardOptions(2, DistanceMetric.L2));
        shard.Add([new VectorInput("a", [1, 2])]);
        return path;
    }

    [Fact]
    public void Open_ReturnsTheSameShardForThePath()
    {
        var path = NewShardFile("one.vshard");

        var first = _registry.Open(path);
        var second = _registry.Open(path);

        Assert.Same(first, second);
        Assert.Equal([path], _registry.OpenPaths);
        Assert.Equal(1, first.Describe().Count);
    }

    [Fact]
    public void Open_Failures_AreNotRegistered()
    {
        var missing = _temp.File("missing.vshard");
        var text = _temp.File("text.vshard");
        File.WriteAllText(text, "not a shard at all, just some text");

        ShardAssert.Throws("ShardNotFound", ShardErrorCategory.ObjectNotFound, () => _registry.Open(missing));
        ShardAssert.Throws("NotAShard", ShardErrorCategory.InvalidData, () => _registry.Open(text));

        Assert.Empty(_registry.OpenPaths);
    }

    [Fact]
    public void Create_RegistersTheShard_AndRefusesASecondCreate()
    {
        var path = _temp.File("new.vshard");
        var created = _registry.Create(path, new ShardOptions(3), replace: false);

        Assert.Same(created, _registry.Open(path));
        ShardAssert.Throws("ShardExists", ShardErrorCategory.ResourceExists, () => _registry.Create(path, new ShardOptions(3), replace: false));
        Assert.Same(created, _registry.Open(path));
    }

    [Fact]
    public void Create_OnAnUnopenedFile_IsShardExists_AndRegistersNothing()
    {
        var path = NewShardFile("existing.vshard");

        ShardAssert.Throws("ShardExists", ShardErrorCategory.ResourceExists, () => _registry.Create(path, new ShardOptions(9), replace: false));

        Assert.Empty(_registry.OpenPaths);
        Assert.Equal(1, _registry.Open(path).Describe().Count);
    }

    [Fact]
    public void Create_Failures_AreNotRegistered()
    {
        var path = System.IO.Path.Combine(_temp.FullPath, "no-such-folder", "x.vshard");
        ShardAssert.Throws("DirectoryNotFound", ShardErrorCategory.ObjectNotFound, () => _registry.Create(path, new ShardOptions(3), replace: false));
        ShardAssert.Throws("InvalidDimension", ShardErrorCategory.InvalidArgument, () => _registry.Create(_temp.File("d.vshard"), new ShardOptions(0), replace: false));
        Assert.Empty(_registry.OpenPaths);
    }

    [Fact]
    public void Create_WithReplace_ClosesDeletesAndStartsOver()
    {
        var path = NewShardFile("replace.vshard");
        var old = _registry.Open(path);

        var fresh = _registry.Create(path, new ShardOptions(5, DistanceMetric.Dot, ShardProfile.Durable), replace: true);

        Assert.NotSame(old, fresh);
        Assert.Same(fresh, _registry.Open(path));
        var info = fresh.Describe();
        Assert.Equal(0, info.Count);
        Assert.Equal(0, info.Version);
        Assert.Equal(5, info.Dimension);
        Assert.Equal(DistanceMetric.Dot, info.Metric);
        Assert.Equal(ShardProfile.Durable, info.Profile);

        // Replacing a file that is not open works too.
        _registry.Close(path);
        var third = _registry.Create(path, new ShardOptions(2), replace: true);
        Assert.Equal(2, third.Describe().Dimension);
    }

    [Fact]
    public void Close_ReleasesTheFile_AndReportsWhetherItWasOpen()
    {
        var path = NewShardFile("close.vshard");
        var shard = _registry.Open(path);
        shard.Add([new VectorInput("b", [3, 4])]);
        Assert.True(File.Exists(path + "-wal"));

        Assert.True(_registry.Close(path));
        Assert.False(_registry.Close(path));
        Assert.False(_registry.Close(_temp.File("never-opened.vshard")));

        Assert.Empty(_registry.OpenPaths);
        Assert.False(File.Exists(path + "-wal")); // the last connection checkpointed and removed its WAL
        var reopened = _registry.Open(path);
        Assert.NotSame(shard, reopened);
        Assert.Equal(2, reopened.Describe().Count);
    }

    [Fact]
    public void Dispose_ClosesEveryShard()
    {
        var paths = new[] { NewShardFile("d1.vshard"), NewShardFile("d2.vshard") };
        var registry = new ShardRegistry();
        foreach (var path in paths)
        {
            registry.Open(path).Add([new VectorInput("more", [5, 6])]);
        }

        var memory = MemoryShard.NewPath();
        registry.Create(memory, new ShardOptions(2), replace: false);
        Assert.Equal(3, registry.OpenPaths.Count);

        registry.Dispose();

        Assert.Empty(registry.OpenPaths);
        Assert.All(paths, p => Assert.False(File.Exists(p + "-wal")));
        ShardAssert.Throws("ShardNotFound", ShardErrorCategory.ObjectNotFound, () => registry.Open(memory));
        using var again = Shard.Open(paths[0]);
        Assert.Equal(2, again.Describe().Count);
    }

    [Fact]
    public void InMemoryShard_LivesWhileRegistered()
    {
        var path = MemoryShard.NewPath();
        var created = _registry.Create(path, new ShardOptions(2, DistanceMetric.L2), replace: false);
        created.Add([new VectorInput("a", [1, 1])]);

        var opened = _registry.Open(path);
        Assert.Same(created, opened);
        Assert.Equal(1, opened.Describe().Count);
        Assert.True(opened.IsInMemory);
        Assert.Equal(path, opened.Describe().Path);

        Assert.True(_registry.Close(path));
        ShardAssert.Throws("ShardNotFound", ShardErrorCategory.ObjectNotFound, () => _registry.Open(path));

        var recreated = _registry.Create(path, new ShardOptions(2, DistanceMetric.L2), replace: false);
        Assert.Equal(0, recreated.Describe().Count);
    }

    [Fact]
    public void InMemoryShard_CreateWithReplace_StartsOver()
    {
        var path = MemoryShard.NewPath();
        _registry.Create(path, new ShardOptions(2, DistanceMetric.L2), replace: false).Add([new VectorInput("a", [1, 1])]);

        var fresh = _registry.Create(path, new ShardOptions(3, DistanceMetric.Cosine), replace: true);

        Assert.Equal(0, fresh.Describe().Count);
        Assert.Equal(3, fresh.Describe().Dimension);
    }

    [Fact]
    public void InMemoryShards_WithDifferentNames_AreSeparate()
    {
        var a = _registry.Create(MemoryShard.NewPath(), new ShardOptions(1, DistanceMetric.L2), replace: false);
        var b = _registry.Create(MemoryShard.NewPath(), new ShardOptions(1, DistanceMetric.L2), replace: false);
        a.Add([new VectorInput("x", [1]), new VectorInput("y", [2])]);

        Assert.Equal(2, a.Describe().Count);
        Assert.Equal(0, b.Describe().Count);
    }

    [Fact]
    public void Open_AfterTheFileWasDeleted_IsShardNotFound_AndForgetsIt()
    {
        var path = NewShardFile("deleted.vshard");
        _registry.Open(path);
        Shard.DeleteFiles(path);

        ShardAssert.Throws("ShardNotFound", ShardErrorCategory.ObjectNotFound, () => _registry.Open(path));

        Assert.Empty(_registry.OpenPaths);
    }

    [Fact]
    public void InMemoryShard_CreatedTwiceOutsideTheRegistry_IsShardExists()
    {
        var path = MemoryShard.NewPath();
        using var first = Shard.Create(path, new ShardOptions(2, DistanceMetric.L2));
        first.Add([new VectorInput("a", [1, 1])]);

        var error = Assert.ThrowsAny<Exception>(() => Shard.Create(path, new ShardOptions(2)));

        Assert.Equal(1, first.Describe().Count);
        Assert.Equal([1f, 1f], first.GetByKeys(["a"]).Single().Vector);
        var shardError = Assert.IsType<VectorShardException>(error);
        Assert.Equal("ShardExists", shardError.ErrorId);
        Assert.Equal(ShardErrorCategory.ResourceExists, shardError.Category);
    }

    [Fact]
    public void Create_WithReplaceInAMissingFolder_IsDirectoryNotFound()
    {
        var path = System.IO.Path.Combine(_temp.FullPath, "no-such-folder", "x.vshard");

        ShardAssert.Throws("DirectoryNotFound", ShardErrorCategory.ObjectNotFound, () => _registry.Create(path, new ShardOptions(3), replace: true));

        Assert.Empty(_registry.OpenPaths);
        Assert.False(Directory.Exists(System.IO.Path.GetDirectoryName(path)));
    }
}
