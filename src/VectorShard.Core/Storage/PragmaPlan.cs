namespace VectorShard.Core.Storage;

/// <summary>
/// The pragmas a shard wants: its profile's base values, then its workload's tuning. Page size is not a
/// profile's: it is fixed when the file is created, by the row size (ShardSchema.PageSize). Workload tuning
/// changes only cache, mmap, temp store and checkpoint size, never journal, synchronous or locking: how
/// much a crash may cost is the profile's choice alone.
/// </summary>
public static class PragmaPlan
{
    private const long MiB = 1024 * 1024;

    // Every profile's page cache before workload tuning. Writes cycle through it: a bulk write fills it with
    // new pages, and each buffer SQLite has not used before is fresh memory the OS must fault in (about 20 µs
    // a 4 KiB page on this development VM), while reads of the file come through mmap, not the cache. Measured
    // on 100,000 × 384 inserts into a new Balanced shard: 16 MiB writes 1.4× as fast as 64 MiB, and
    // later batches on the same connection run as fast as with 64 MiB (bench/CMDLETS.md).
    private const int BaseCacheKiB = 16 * 1024;

    // The most read tuning gives: 256 MiB, for a shard searched above 1000 times a second.
    private const int MaxReadCacheKiB = 256 * 1024;

    /// <summary>The pragmas for a profile before workload tuning.</summary>
    public static PragmaSettings ForProfile(ShardProfile profile) => profile switch
    {
        ShardProfile.UltraFast => new PragmaSettings
        {
            JournalMode = "memory", Synchronous = "OFF", LockingMode = "EXCLUSIVE", CacheSizeKiB = BaseCacheKiB,
            MmapSize = 256 * MiB, WalAutoCheckpoint = 1000, TempStore = "MEMORY", SecureDelete = false,
        },
        ShardProfile.Balanced => new PragmaSettings
        {
            JournalMode = "wal", Synchronous = "NORMAL", LockingMode = "NORMAL", CacheSizeKiB = BaseCacheKiB,
            MmapSize = 256 * MiB, WalAutoCheckpoint = 1000, TempStore = "DEFAULT", SecureDelete = false,
        },
        ShardProfile.Durable => new PragmaSettings
        {
            JournalMode = "wal", Synchronous = "FULL", LockingMode = "NORMAL", CacheSizeKiB = BaseCacheKiB,
            MmapSize = 256 * MiB, WalAutoCheckpoint = 100, TempStore = "DEFAULT", SecureDelete = true,
        },
        ShardProfile.Exclusive => ForProfile(ShardProfile.Balanced) with { LockingMode = "EXCLUSIVE" },
        _ => throw new ArgumentOutOfRangeException(nameof(profile), profile, null),
    };

    /// <summary>The pragmas for a profile tuned for a workload on a file of the given size.</summary>
    public static PragmaSettings For(ShardProfile profile, ShardWorkload workload, long fileSizeBytes)
    {
        var baseline = ForProfile(profile);
        return workload.Kind switch
        {
            WorkloadKind.None => baseline,
            // Searches read every vector: keep the whole file mapped and a large cache.
            WorkloadKind.ReadHeavy => baseline with
            {
                CacheSizeKiB = Math.Max(baseline.CacheSizeKiB, ReadCacheKiB(workload.Value)),
                MmapSize = Math.Max(baseline.MmapSize, AdaptiveMmapSize(fileSizeBytes)),
                TempStore = "MEMORY",
            },
            // Writers stall on checkpoints: checkpoint less often, in bigger steps.
            WorkloadKind.WriteHeavy => baseline with
            {
                WalAutoCheckpoint = Math.Max(baseline.WalAutoCheckpoint, Math.Clamp(workload.Value, 1000, 10_000)),
            },
            // Between the two, in proportion to the share of reads: the cache grows from the base to read tuning's most.
            WorkloadKind.Mixed => baseline with
            {
                CacheSizeKiB = baseline.CacheSizeKiB + workload.Value * (MaxReadCacheKiB - baseline.CacheSizeKiB) / 100,
                MmapSize = workload.Value >= 50 ? Math.Max(baseline.MmapSize, AdaptiveMmapSize(fileSizeBytes)) : baseline.MmapSize,
                WalAutoCheckpoint = Math.Max(baseline.WalAutoCheckpoint, 1000 + (100 - workload.Value) * 90),
            },
            _ => throw new ArgumentOutOfRangeException(nameof(workload), workload, null),
        };
    }

    /// <summary>Checks that the profile and workload kind are defined and the workload's number is in its kind's range.</summary>
    public static void Validate(ShardProfile profile, ShardWorkload workload)
    {
        if (!Enum.IsDefined(profile))
        {
            throw ShardErrors.UnknownSetting("Profile", profile);
        }

        if (!Enum.IsDefined(workload.Kind))
        {
            throw ShardErrors.UnknownSetting("WorkloadKind", workload.Kind);
        }

        var valid = workload.Kind switch
        {
            WorkloadKind.None => true,
            WorkloadKind.Mixed => workload.Value is >= 0 and <= 100,
            _ => workload.Value > 0,
        };
        if (!valid)
        {
            throw ShardErrors.InvalidWorkload(workload,
                workload.Kind == WorkloadKind.Mixed ? "the read percentage must be from 0 to 100" : "the rate must be positive");
        }
    }

    /// <summary>
    /// mmap of 1.5× the file, so it can grow before the next open, at most half of physical memory and
    /// at most 1 GiB.
    /// </summary>
    public static long AdaptiveMmapSize(long fileSizeBytes)
    {
        var halfOfMemory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 2;
        return Math.Min(Math.Min(fileSizeBytes * 3 / 2, halfOfMemory), 1024 * MiB);
    }

    // 64 MiB below 100 qps, 128 MiB below 1000 qps, 256 MiB above.
    private static long ReadCacheKiB(int queriesPerSecond) =>
        queriesPerSecond < 100 ? 64 * 1024 : queriesPerSecond < 1000 ? 128 * 1024 : MaxReadCacheKiB;
}
