namespace VectorShard.Core.Tests;

/// <summary>Profiles and workloads: the pragmas SQLite reports back, after create, reopen and SetTuning.</summary>
public sealed class ProfileTests : IDisposable
{
    private const long MiB = 1024 * 1024;
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>What each profile specifies, written out independently of PragmaPlan.</summary>
    private static PragmaSettings Specified(ShardProfile profile) => profile switch
    {
        ShardProfile.Balanced => new PragmaSettings
        {
            JournalMode = "wal", Synchronous = "NORMAL", LockingMode = "NORMAL", CacheSizeKiB = 16384,
            MmapSize = 268435456, WalAutoCheckpoint = 1000, TempStore = "DEFAULT", SecureDelete = false,
        },
        ShardProfile.Durable => new PragmaSettings
        {
            JournalMode = "wal", Synchronous = "FULL", LockingMode = "NORMAL", CacheSizeKiB = 16384,
            MmapSize = 268435456, WalAutoCheckpoint = 100, TempStore = "DEFAULT", SecureDelete = true,
        },
        ShardProfile.Exclusive => new PragmaSettings
        {
            JournalMode = "wal", Synchronous = "NORMAL", LockingMode = "EXCLUSIVE", CacheSizeKiB = 16384,
            MmapSize = 268435456, WalAutoCheckpoint = 1000, TempStore = "DEFAULT", SecureDelete = false,
        },
        ShardProfile.UltraFast => new PragmaSettings
        {
            JournalMode = "memory", Synchronous = "OFF", LockingMode = "EXCLUSIVE", CacheSizeKiB = 16384,
            MmapSize = 268435456, WalAutoCheckpoint = 1000, TempStore = "MEMORY", SecureDelete = false,
        },
        _ => throw new ArgumentOutOfRangeException(nameof(profile)),
    };

    /// <summary>
    /// What SQLite reports for a small test shard of the profile: the plan, plus the page size the file got at
    /// creation (rows of a few dimensions fit 32 to the smallest page).
    /// </summary>
    private static PragmaSettings Effective(ShardProfile profile) => Specified(profile) with { PageSize = 4096 };

    /// <summary>The journal mode a fresh connection finds in the closed file (WAL persists, a memory journal does not).</summary>
    private static string JournalModeOnDisk(ShardProfile profile) => profile == ShardProfile.UltraFast ? "delete" : "wal";

    public static TheoryData<ShardProfile> Profiles() => new(Enum.GetValues<ShardProfile>());

    public static TheoryData<ShardProfile, ShardProfile> ProfilePairs()
    {
        var data = new TheoryData<ShardProfile, ShardProfile>();
        foreach (var from in Enum.GetValues<ShardProfile>())
        {
            foreach (var to in Enum.GetValues<ShardProfile>())
            {
                data.Add(from, to);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void ForProfile_IsWhatTheProfileSpecifies(ShardProfile profile)
    {
        Assert.Equal(Specified(profile), PragmaPlan.ForProfile(profile));
        Assert.Equal(Specified(profile), PragmaPlan.For(profile, ShardWorkload.None, 0));
        Assert.Equal(Specified(profile), PragmaPlan.For(profile, ShardWorkload.None, 10L * 1024 * MiB));
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void FileShard_HasTheProfilesPragmas_AfterCreateAndAfterReopen(ShardProfile profile)
    {
        var path = _temp.File($"{profile}.vshard");
        using (var shard = Shard.Create(path, new ShardOptions(4, DistanceMetric.L2, profile)))
        {
            var info = shard.Describe();
            Assert.Equal(profile, info.Profile);
            Assert.Equal(ShardWorkload.None, info.Workload);
            Assert.Equal(Effective(profile), info.Pragmas);
            shard.Add([new VectorInput("a", [1, 2, 3, 4])]);
            Assert.Equal(Effective(profile), shard.Describe().Pragmas);
        }

        Assert.Equal(JournalModeOnDisk(profile), ReadJournalMode(path));
        Assert.Equal(4096, RawSqlite.Scalar(path, "PRAGMA page_size"));

        using (var reopened = Shard.Open(path))
        {
            var info = reopened.Describe();
            Assert.Equal(profile, info.Profile);
            Assert.Equal(Effective(profile), info.Pragmas);
            Assert.Equal(1, info.Count);
        }
    }

    [Theory]
    [InlineData(2, StoragePrecision.Float32, 4096)]
    [InlineData(96, StoragePrecision.Float32, 16384)]
    [InlineData(384, StoragePrecision.Float16, 32768)]
    [InlineData(384, StoragePrecision.Float32, 65536)]
    [InlineData(1536, StoragePrecision.Float32, 65536)]
    public void NewShard_GetsTheSmallestPageThatHolds32Rows_UpTo64KiB(int dimension, StoragePrecision precision, int pageSize)
    {
        var path = _temp.File($"page-{dimension}-{precision}.vshard");
        var vector = Enumerable.Range(1, dimension).Select(i => (float)i / dimension).ToArray();
        using (var shard = Shard.Create(path, new ShardOptions(dimension, DistanceMetric.L2, Precision: precision)))
        {
            Assert.Equal(pageSize, shard.Describe().Pragmas!.PageSize);
            shard.Add(Enumerable.Range(0, 100).Select(i => new VectorInput($"k{i}", vector)).ToList());
        }

        Assert.Equal(pageSize, RawSqlite.Scalar(path, "PRAGMA page_size"));
        using var reopened = Shard.Open(path);
        Assert.Equal(100, reopened.Describe().Count);
        Assert.Equal(vector.Select(v => (float)(Half)v), reopened.GetByKeys(["k99"])[0].Vector.Select(v => (float)(Half)v));
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void InMemoryShard_IsAlwaysUltraFast(ShardProfile requested)
    {
        using var shard = Shard.Create(MemoryShard.NewPath(), new ShardOptions(2, DistanceMetric.L2, requested));
        var info = shard.Describe();

        Assert.Equal(ShardProfile.UltraFast, info.Profile);
        Assert.Equal(ShardProfile.UltraFast, shard.Header.Profile);
        var pragmas = info.Pragmas!;
        Assert.Equal("memory", pragmas.JournalMode);
        Assert.Equal("OFF", pragmas.Synchronous);
        Assert.Equal("EXCLUSIVE", pragmas.LockingMode);
        Assert.Equal(16384, pragmas.CacheSizeKiB);
        Assert.Equal("MEMORY", pragmas.TempStore);
        Assert.Equal(4096, pragmas.PageSize);
    }

    [Theory]
    [InlineData(ShardProfile.Balanced)]
    [InlineData(ShardProfile.Durable)]
    [InlineData(ShardProfile.Exclusive)]
    public void InMemoryShard_SetTuningToAnotherProfile_IsInMemoryProfileFixed(ShardProfile profile)
    {
        using var shard = Shard.Create(MemoryShard.NewPath(), new ShardOptions(2, DistanceMetric.L2));
        shard.Add([new VectorInput("a", [1, 2])]);
        var before = shard.Describe();

        var error = ShardAssert.Throws("InMemoryProfileFixed", ShardErrorCategory.InvalidOperation,
            () => shard.SetTuning(profile, ShardWorkload.None));

        Assert.Equal(profile, error.TargetObject);
        var after = shard.Describe();
        Assert.Equal(ShardProfile.UltraFast, after.Profile);
        Assert.Equal(before.Pragmas, after.Pragmas);
        Assert.Equal(1, after.Count);
    }

    [Fact]
    public void InMemoryShard_WorkloadTuningWorks()
    {
        using var shard = Shard.Create(MemoryShard.NewPath(), new ShardOptions(2, DistanceMetric.L2));
        shard.Add([new VectorInput("a", [1, 2])]);
        var workload = new ShardWorkload(WorkloadKind.ReadHeavy, 5000);

        var info = shard.SetTuning(ShardProfile.UltraFast, workload);

        Assert.Equal(workload, info.Workload);
        Assert.Equal(262144, info.Pragmas!.CacheSizeKiB);
        Assert.Equal("memory", info.Pragmas.JournalMode);
        Assert.Equal(1, info.Count);
        Assert.Equal([1f, 2f], shard.GetByKeys(["a"]).Single().Vector);
    }

    [Theory]
    [MemberData(nameof(ProfilePairs))]
    public void SetTuning_AppliesAndPersistsAcrossReopen(ShardProfile from, ShardProfile to)
    {
        var path = _temp.File("tune.vshard");
        using (var shard = Shard.Create(path, new ShardOptions(3, DistanceMetric.Cosine, from)))
        {
            shard.Add([new VectorInput("a", [1, 2, 3]), new VectorInput("b", [3, 2, 1])]);

            var info = shard.SetTuning(to, ShardWorkload.None);

            Assert.Equal(to, info.Profile);
            Assert.Equal(to, shard.Header.Profile);
            Assert.Equal(Effective(to), info.Pragmas);
            Assert.Equal(Effective(to), shard.Describe().Pragmas);
            Assert.Equal(2, info.Count);
            Assert.Equal(2, info.Version);

            // Still fully usable on the new connection.
            shard.Add([new VectorInput("c", [1, 1, 1])]);
            Assert.Equal("c", shard.Search([1, 1, 1], new SearchOptions(1))[0].Key);
        }

        Assert.Equal(JournalModeOnDisk(to), ReadJournalMode(path));
        using var reopened = Shard.Open(path);
        var reread = reopened.Describe();
        Assert.Equal(to, reread.Profile);
        Assert.Equal(Effective(to), reread.Pragmas);
        Assert.Equal(3, reread.Count);
        Assert.Equal(3, reread.Version);
    }

    [Fact]
    public void Workload_GivenAtCreate_IsAppliedAndPersists()
    {
        var path = _temp.File("read-heavy.vshard");
        var workload = new ShardWorkload(WorkloadKind.ReadHeavy, 5000);
        var expected = Effective(ShardProfile.Balanced) with { CacheSizeKiB = 262144, TempStore = "MEMORY" };
        using (var shard = Shard.Create(path, new ShardOptions(2, DistanceMetric.L2, ShardProfile.Balanced, workload)))
        {
            Assert.Equal(workload, shard.Describe().Workload);
            Assert.Equal(expected, shard.Describe().Pragmas);
        }

        using var reopened = Shard.Open(path);
        Assert.Equal(workload, reopened.Describe().Workload);
        Assert.Equal(expected, reopened.Describe().Pragmas);
    }

    [Fact]
    public void Workload_SetTuning_ReplacesThePreviousTuningAndPersists()
    {
        var path = _temp.File("workload.vshard");
        using (var shard = Shard.Create(path, new ShardOptions(2, DistanceMetric.L2, ShardProfile.Balanced,
                   new ShardWorkload(WorkloadKind.ReadHeavy, 5000))))
        {
            var write = shard.SetTuning(ShardProfile.Balanced, new ShardWorkload(WorkloadKind.WriteHeavy, 5000));
            Assert.Equal(Effective(ShardProfile.Balanced) with { WalAutoCheckpoint = 5000 }, write.Pragmas);

            var mixed = shard.SetTuning(ShardProfile.Durable, new ShardWorkload(WorkloadKind.Mixed, 50));
            Assert.Equal(Effective(ShardProfile.Durable) with { CacheSizeKiB = 139264, WalAutoCheckpoint = 5500 }, mixed.Pragmas);
        }

        using (var reopened = Shard.Open(path))
        {
            Assert.Equal(ShardProfile.Durable, reopened.Describe().Profile);
            Assert.Equal(new ShardWorkload(WorkloadKind.Mixed, 50), reopened.Describe().Workload);
            Assert.Equal(Effective(ShardProfile.Durable) with { CacheSizeKiB = 139264, WalAutoCheckpoint = 5500 }, reopened.Describe().Pragmas);

            var none = reopened.SetTuning(ShardProfile.Durable, ShardWorkload.None);
            Assert.Equal(Effective(ShardProfile.Durable), none.Pragmas);
        }

        using var again = Shard.Open(path);
        Assert.Equal(ShardWorkload.None, again.Describe().Workload);
        Assert.Equal(Effective(ShardProfile.Durable), again.Describe().Pragmas);
    }

    public static TheoryData<WorkloadKind, int> InvalidWorkloads() => new()
    {
        { WorkloadKind.ReadHeavy, 0 },
        { WorkloadKind.ReadHeavy, -5 },
        { WorkloadKind.WriteHeavy, 0 },
        { WorkloadKind.WriteHeavy, int.MinValue },
        { WorkloadKind.Mixed, -1 },
        { WorkloadKind.Mixed, 101 },
    };

    [Theory]
    [MemberData(nameof(InvalidWorkloads))]
    public void InvalidWorkload_IsRejectedEverywhere_AndChangesNothing(WorkloadKind kind, int value)
    {
        var workload = new ShardWorkload(kind, value);
        ShardAssert.Throws("InvalidWorkload", ShardErrorCategory.InvalidArgument, () => PragmaPlan.Validate(ShardProfile.Balanced, workload));

        var refused = _temp.File("refused.vshard");
        var error = ShardAssert.Throws("InvalidWorkload", ShardErrorCategory.InvalidArgument,
            () => Shard.Create(refused, new ShardOptions(2, Workload: workload)));
        Assert.Equal(workload, error.TargetObject);
        Assert.Empty(Directory.GetFiles(_temp.FullPath));

        var path = _temp.File("tuned.vshard");
        var good = new ShardWorkload(WorkloadKind.WriteHeavy, 3000);
        using (var shard = Shard.Create(path, new ShardOptions(2, DistanceMetric.L2, ShardProfile.Durable, good)))
        {
            var before = shard.Describe();
            ShardAssert.Throws("InvalidWorkload", ShardErrorCategory.InvalidArgument, () => shard.SetTuning(ShardProfile.Balanced, workload));
            var after = shard.Describe();
            Assert.Equal(ShardProfile.Durable, after.Profile);
            Assert.Equal(good, after.Workload);
            Assert.Equal(before.Pragmas, after.Pragmas);
        }

        using var reopened = Shard.Open(path);
        Assert.Equal(ShardProfile.Durable, reopened.Describe().Profile);
        Assert.Equal(good, reopened.Describe().Workload);

        using var memory = Shard.Create(MemoryShard.NewPath(), new ShardOptions(2));
        ShardAssert.Throws("InvalidWorkload", ShardErrorCategory.InvalidArgument, () => memory.SetTuning(ShardProfile.UltraFast, workload));
    }

    [Theory]
    [InlineData(WorkloadKind.None, 0)]
    [InlineData(WorkloadKind.None, -1)]
    [InlineData(WorkloadKind.ReadHeavy, 1)]
    [InlineData(WorkloadKind.WriteHeavy, int.MaxValue)]
    [InlineData(WorkloadKind.Mixed, 0)]
    [InlineData(WorkloadKind.Mixed, 100)]
    public void ValidWorkload_Boundaries_AreAccepted(WorkloadKind kind, int value)
    {
        var workload = new ShardWorkload(kind, value);
        PragmaPlan.Validate(ShardProfile.Balanced, workload);
        using var shard = Shard.Create(_temp.File("ok.vshard"), new ShardOptions(2, Workload: workload));
        Assert.Equal(workload, shard.Describe().Workload);
        Assert.Equal(PragmaPlan.For(ShardProfile.Balanced, workload, 0) with { PageSize = 4096 }, shard.Describe().Pragmas);
    }

    public static TheoryData<WorkloadKind, int> Workloads() => new()
    {
        { WorkloadKind.ReadHeavy, 1 }, { WorkloadKind.ReadHeavy, 99 }, { WorkloadKind.ReadHeavy, 100 }, { WorkloadKind.ReadHeavy, 999 },
        { WorkloadKind.ReadHeavy, 1000 }, { WorkloadKind.ReadHeavy, 1_000_000 },
        { WorkloadKind.WriteHeavy, 1 }, { WorkloadKind.WriteHeavy, 5000 }, { WorkloadKind.WriteHeavy, 1_000_000 },
        { WorkloadKind.Mixed, 0 }, { WorkloadKind.Mixed, 49 }, { WorkloadKind.Mixed, 50 }, { WorkloadKind.Mixed, 100 },
    };

    private static readonly long[] FileSizes = [0, 10 * MiB, 600 * MiB, 4096 * MiB];

    [Theory]
    [MemberData(nameof(Workloads))]
    public void Workload_NeverTouchesJournalSynchronousLockingPageSizeOrSecureDelete(WorkloadKind kind, int value)
    {
        foreach (var profile in Enum.GetValues<ShardProfile>())
        {
            var baseline = PragmaPlan.ForProfile(profile);
            foreach (var size in FileSizes)
            {
                var tuned = PragmaPlan.For(profile, new ShardWorkload(kind, value), size);
                Assert.Equal(baseline.JournalMode, tuned.JournalMode);
                Assert.Equal(baseline.Synchronous, tuned.Synchronous);
                Assert.Equal(baseline.LockingMode, tuned.LockingMode);
                Assert.Equal(baseline.PageSize, tuned.PageSize);
                Assert.Equal(baseline.SecureDelete, tuned.SecureDelete);

                // Tuning only ever raises a profile's resources.
                Assert.True(tuned.CacheSizeKiB >= baseline.CacheSizeKiB);
                Assert.True(tuned.MmapSize >= baseline.MmapSize);
                Assert.True(tuned.WalAutoCheckpoint >= baseline.WalAutoCheckpoint);
                Assert.True(tuned.MmapSize <= Math.Max(baseline.MmapSize, 1024 * MiB));
            }
        }
    }

    [Theory]
    [InlineData(1, 65536)]
    [InlineData(99, 65536)]
    [InlineData(100, 131072)]
    [InlineData(999, 131072)]
    [InlineData(1000, 262144)]
    [InlineData(1_000_000, 262144)]
    public void ReadHeavy_RaisesCacheByQueryRate_AndKeepsTempInMemory(int qps, long cacheKiB)
    {
        foreach (var profile in Enum.GetValues<ShardProfile>())
        {
            var baseline = Specified(profile);
            var tuned = PragmaPlan.For(profile, new ShardWorkload(WorkloadKind.ReadHeavy, qps), 0);
            Assert.Equal(baseline with { CacheSizeKiB = Math.Max(baseline.CacheSizeKiB, cacheKiB), TempStore = "MEMORY" }, tuned);
        }
    }

    [Fact]
    public void ReadHeavy_MapsBigFilesWhole()
    {
        var workload = new ShardWorkload(WorkloadKind.ReadHeavy, 10);
        var halfOfMemory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 2;

        Assert.Equal(256 * MiB, PragmaPlan.For(ShardProfile.Balanced, workload, 10 * MiB).MmapSize);
        Assert.Equal(Math.Max(256 * MiB, Math.Min(900 * MiB, halfOfMemory)), PragmaPlan.For(ShardProfile.Balanced, workload, 600 * MiB).MmapSize);
        Assert.Equal(Math.Max(256 * MiB, Math.Min(1024 * MiB, halfOfMemory)), PragmaPlan.For(ShardProfile.Durable, workload, 4096 * MiB).MmapSize);
        if (halfOfMemory >= 1024 * MiB)
        {
            Assert.Equal(900 * MiB, PragmaPlan.For(ShardProfile.Balanced, workload, 600 * MiB).MmapSize);
            Assert.Equal(1024 * MiB, PragmaPlan.For(ShardProfile.Balanced, workload, 100_000 * MiB).MmapSize);
        }
    }

    [Theory]
    [InlineData(1, 1000)]
    [InlineData(999, 1000)]
    [InlineData(5000, 5000)]
    [InlineData(10_000, 10_000)]
    [InlineData(1_000_000, 10_000)]
    public void WriteHeavy_RaisesOnlyTheCheckpointInterval(int tps, int checkpoint)
    {
        foreach (var profile in Enum.GetValues<ShardProfile>())
        {
            var baseline = Specified(profile);
            foreach (var size in FileSizes)
            {
                var tuned = PragmaPlan.For(profile, new ShardWorkload(WorkloadKind.WriteHeavy, tps), size);
                Assert.Equal(baseline with { WalAutoCheckpoint = Math.Max(baseline.WalAutoCheckpoint, checkpoint) }, tuned);
            }
        }
    }

    [Fact]
    public void Mixed_LiesBetweenReadHeavyAndWriteHeavy_InProportionToReads()
    {
        foreach (var profile in Enum.GetValues<ShardProfile>())
        {
            var baseline = PragmaPlan.ForProfile(profile);
            var mostRead = PragmaPlan.For(profile, new ShardWorkload(WorkloadKind.ReadHeavy, 1_000_000), 600 * MiB);
            var mostWritten = PragmaPlan.For(profile, new ShardWorkload(WorkloadKind.WriteHeavy, 1_000_000), 600 * MiB);
            PragmaSettings? previous = null;
            for (var reads = 0; reads <= 100; reads++)
            {
                var mixed = PragmaPlan.For(profile, new ShardWorkload(WorkloadKind.Mixed, reads), 600 * MiB);
                Assert.InRange(mixed.CacheSizeKiB, baseline.CacheSizeKiB, mostRead.CacheSizeKiB);
                Assert.InRange(mixed.WalAutoCheckpoint, baseline.WalAutoCheckpoint, mostWritten.WalAutoCheckpoint);
                Assert.Equal(reads >= 50 ? mostRead.MmapSize : baseline.MmapSize, mixed.MmapSize);
                Assert.Equal(baseline.TempStore, mixed.TempStore);
                if (previous is not null)
                {
                    Assert.True(mixed.CacheSizeKiB >= previous.CacheSizeKiB, $"cache shrinks at {reads}% reads");
                    Assert.True(mixed.WalAutoCheckpoint <= previous.WalAutoCheckpoint, $"checkpoint grows at {reads}% reads");
                }

                previous = mixed;
            }

            // The ends meet the pure workloads.
            Assert.Equal(mostRead.CacheSizeKiB, PragmaPlan.For(profile, new ShardWorkload(WorkloadKind.Mixed, 100), 0).CacheSizeKiB);
            Assert.Equal(mostWritten.WalAutoCheckpoint, PragmaPlan.For(profile, new ShardWorkload(WorkloadKind.Mixed, 0), 0).WalAutoCheckpoint);
        }

        var balancedHalf = PragmaPlan.For(ShardProfile.Balanced, new ShardWorkload(WorkloadKind.Mixed, 50), 0);
        Assert.Equal(Specified(ShardProfile.Balanced) with { CacheSizeKiB = 139264, WalAutoCheckpoint = 5500 }, balancedHalf);
    }

    [Fact]
    public void AdaptiveMmapSize_IsOneAndAHalfTimesTheFile_CappedAtHalfOfMemoryAndOneGiB()
    {
        var halfOfMemory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 2;
        Assert.Equal(0, PragmaPlan.AdaptiveMmapSize(0));
        Assert.Equal(Math.Min(150 * MiB, halfOfMemory), PragmaPlan.AdaptiveMmapSize(100 * MiB));
        Assert.Equal(Math.Min(1024 * MiB, halfOfMemory), PragmaPlan.AdaptiveMmapSize(100_000 * MiB));

        var previous = 0L;
        foreach (var size in (long[])[1, 1000, MiB, 64 * MiB, 512 * MiB, 700 * MiB, 2048 * MiB, long.MaxValue / 4])
        {
            var mmap = PragmaPlan.AdaptiveMmapSize(size);
            Assert.True(mmap >= previous);
            Assert.True(mmap <= 1024 * MiB);
            Assert.True(mmap <= halfOfMemory);
            Assert.True(mmap <= size * 3 / 2);
            previous = mmap;
        }
    }

    [Fact]
    public void SetTuning_UndefinedProfile_DoesNotDamageTheShard()
    {
        var path = _temp.File("undefined.vshard");
        using (var shard = Shard.Create(path, new ShardOptions(2, DistanceMetric.L2)))
        {
            shard.Add([new VectorInput("a", [1, 2])]);
            ShardAssert.Throws("UnknownProfile", ShardErrorCategory.InvalidArgument, () => shard.SetTuning((ShardProfile)42, ShardWorkload.None));
        }

        using var reopened = Shard.Open(path);
        Assert.Equal(ShardProfile.Balanced, reopened.Describe().Profile);
        Assert.Equal(1, reopened.Describe().Count);
    }

    private static string ReadJournalMode(string path)
    {
        using var connection = RawSqlite.Open(path);
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        return ((string)command.ExecuteScalar()!).ToLowerInvariant();
    }
}
