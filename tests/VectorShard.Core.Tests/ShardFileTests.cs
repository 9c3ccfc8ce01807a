using System.Security.Cryptography;

namespace VectorShard.Core.Tests;

/// <summary>Opening and creating shard files: missing, foreign, newer, existing, read-only.</summary>
public sealed class ShardFileTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private string NewShardFile(string name, ShardProfile profile = ShardProfile.Balanced)
    {
        var path = _temp.File(name);
        using var shard = Shard.Create(path, new ShardOptions(3, DistanceMetric.L2, profile));
        shard.Add([new VectorInput("a", [1, 0, 0], new Dictionary<string, object?> { ["n"] = 1L }),
            new VectorInput("b", [0, 1, 0]), new VectorInput("c", [0, 0, 1])]);
        return path;
    }

    [Fact]
    public void Open_MissingFile_IsShardNotFound()
    {
        var path = _temp.File("nope.vshard");
        var error = ShardAssert.Throws("ShardNotFound", ShardErrorCategory.ObjectNotFound, () => Shard.Open(path));
        Assert.Equal(path, error.TargetObject);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Open_AFolder_IsShardNotFound() =>
        ShardAssert.Throws("ShardNotFound", ShardErrorCategory.ObjectNotFound, () => Shard.Open(_temp.FullPath));

    [Fact]
    public void Open_InMemoryPath_IsShardNotFound() =>
        ShardAssert.Throws("ShardNotFound", ShardErrorCategory.ObjectNotFound, () => Shard.Open(MemoryShard.NewPath()));

    [Fact]
    public void Open_TextFile_IsNotAShard_AndLeavesItAlone()
    {
        var path = _temp.File("notes.txt");
        File.WriteAllText(path, "These are not the vectors you are looking for.\n" + new string('x', 5000));
        var bytes = File.ReadAllBytes(path);

        var error = ShardAssert.Throws("NotAShard", ShardErrorCategory.InvalidData, () => Shard.Open(path));

        Assert.Equal(path, error.TargetObject);
        Assert.Equal(bytes, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(_temp.FullPath));
    }

    [Fact]
    public void Open_RandomBytes_IsNotAShard()
    {
        var path = _temp.File("noise.bin");
        var bytes = new byte[16384];
        new Random(42).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);

        ShardAssert.Throws("NotAShard", ShardErrorCategory.InvalidData, () => Shard.Open(path));

        Assert.Equal(bytes, File.ReadAllBytes(path));
    }

    [Fact]
    public void Open_EmptyFile_IsNotAShard()
    {
        var path = _temp.File("empty.vshard");
        File.WriteAllBytes(path, []);

        ShardAssert.Throws("NotAShard", ShardErrorCategory.InvalidData, () => Shard.Open(path));

        Assert.Equal(0, new FileInfo(path).Length);
    }

    [Fact]
    public void Open_PlainSqliteDatabase_IsNotAShard_AndLeavesItAlone()
    {
        var path = _temp.File("plain.db");
        RawSqlite.Execute(path, "CREATE TABLE vectors (id INTEGER PRIMARY KEY, vector BLOB); INSERT INTO vectors (vector) VALUES (x'00');");
        var bytes = File.ReadAllBytes(path);

        var error = ShardAssert.Throws("NotAShard", ShardErrorCategory.InvalidData, () => Shard.Open(path));

        Assert.Contains("mark", error.Message);
        Assert.Equal(bytes, File.ReadAllBytes(path));
        Assert.Equal(1, RawSqlite.Scalar(path, "SELECT count(*) FROM vectors"));
    }

    [Fact]
    public void Open_NewerFormat_IsShardFormatTooNew()
    {
        var path = NewShardFile("newer.vshard");
        RawSqlite.Execute(path, "PRAGMA user_version = 99");

        var error = ShardAssert.Throws("ShardFormatTooNew", ShardErrorCategory.InvalidData, () => Shard.Open(path));

        Assert.Contains("99", error.Message);
        Assert.Equal(99, RawSqlite.Scalar(path, "PRAGMA user_version"));
    }

    [Fact]
    public void FormatOneFile_KeepsItsUniqueKeyColumn_AndTakesUpsertsDuplicatesAndLookups()
    {
        // Format 1 kept keys unique by a UNIQUE column; the file is rebuilt that way from a new shard's rows.
        var path = NewShardFile("format1.vshard");
        RawSqlite.Execute(path, """
            CREATE TABLE v1 (id INTEGER PRIMARY KEY, key TEXT UNIQUE, vector BLOB NOT NULL, norm REAL NOT NULL, metadata TEXT,
                created_at INTEGER NOT NULL, shard_version INTEGER NOT NULL);
            INSERT INTO v1 SELECT * FROM vectors;
            DROP TABLE vectors;
            ALTER TABLE v1 RENAME TO vectors;
            PRAGMA user_version = 1;
            """);

        using (var shard = Shard.Open(path))
        {
            Assert.Equal(1, shard.Describe().FormatVersion);
            var a = shard.GetByKeys(["a"]).Single();
            var replaced = shard.Add([new VectorInput("a", [2, 0, 0]), new VectorInput(null, [0, 2, 0]), new VectorInput(null, [0, 0, 2])],
                replaceExisting: true);
            Assert.Equal(a.Id, replaced[0].Id);
            Assert.Equal([2f, 0, 0], shard.GetByKeys(["a"]).Single().Vector);
            ShardAssert.Throws("DuplicateKey", ShardErrorCategory.ResourceExists, () => shard.Add([new VectorInput("b", [1, 1, 1])]));
            Assert.Equal(5, shard.Describe().Count);
        }

        Assert.Equal(1, RawSqlite.Scalar(path, "PRAGMA user_version"));
    }

    [Fact]
    public void CurrentFormat_IndexesKeysButNotRowsWithoutOne_AndLooksKeysUpThroughIt()
    {
        var path = NewShardFile("keys.vshard");
        using (var shard = Shard.Open(path))
        {
            shard.Add([new VectorInput(null, [1, 1, 0]), new VectorInput(null, [1, 1, 1])]);
            var replaced = shard.Add([new VectorInput("c", [0, 0, 3]), new VectorInput(null, [3, 0, 0])], replaceExisting: true);
            Assert.Equal(shard.GetByKeys(["c"]).Single().Id, replaced[0].Id);
            ShardAssert.Throws("DuplicateKey", ShardErrorCategory.ResourceExists, () => shard.Add([new VectorInput("a", [1, 1, 1])]));
            Assert.Equal(6, shard.Describe().Count);
        }

        // The key index leaves rows without a key out, and a lookup by key searches it.
        using var connection = RawSqlite.Open(path);
        using (var definition = connection.CreateCommand())
        {
            definition.CommandText = $"SELECT sql FROM sqlite_schema WHERE name = '{ShardSchema.KeyIndex}'";
            Assert.EndsWith("WHERE key IS NOT NULL", (string)definition.ExecuteScalar()!, StringComparison.Ordinal);
        }

        Assert.Contains(ShardIndexes.Explain(connection, "SELECT id FROM vectors WHERE key = ?1", ["c"]),
            step => step.Contains(ShardSchema.KeyIndex, StringComparison.Ordinal));
    }

    [Fact]
    public void Open_CurrentFormat_IsAccepted()
    {
        var path = NewShardFile("current.vshard");
        Assert.Equal(ShardLimits.FormatVersion, RawSqlite.Scalar(path, "PRAGMA user_version"));
        Assert.Equal(ShardLimits.ApplicationId, RawSqlite.Scalar(path, "PRAGMA application_id"));

        using var shard = Shard.Open(path);
        Assert.Equal(ShardLimits.FormatVersion, shard.Describe().FormatVersion);
        Assert.Equal(3, shard.Describe().Count);
    }

    [Theory]
    [InlineData("DELETE FROM shard_info WHERE name = 'dimension'")]
    [InlineData("UPDATE shard_info SET value = 'Manhattan' WHERE name = 'metric'")]
    [InlineData("UPDATE shard_info SET value = 'three' WHERE name = 'dimension'")]
    public void Open_DamagedShardInfo_IsNotAShard(string damage)
    {
        var path = NewShardFile("damaged.vshard");
        RawSqlite.Execute(path, damage);

        ShardAssert.Throws("NotAShard", ShardErrorCategory.InvalidData, () => Shard.Open(path));
    }

    [Fact]
    public void Open_ReadsTheHeaderWrittenAtCreate()
    {
        var path = _temp.File("header.vshard");
        var workload = new ShardWorkload(WorkloadKind.ReadHeavy, 250);
        Shard.Create(path, new ShardOptions(7, DistanceMetric.Dot, ShardProfile.Durable, workload)).Dispose();

        using var shard = Shard.Open(path);

        Assert.Equal(new ShardHeader(7, DistanceMetric.Dot, ShardProfile.Durable, workload, ShardLimits.FormatVersion), shard.Header);
        Assert.False(shard.IsReadOnly);
        Assert.False(shard.IsInMemory);
        Assert.Equal(path, shard.Path);
    }

    [Fact]
    public void Create_OnExistingFile_IsShardExists_AndLeavesItAlone()
    {
        var text = _temp.File("taken.txt");
        File.WriteAllText(text, "mine");
        var shardPath = NewShardFile("taken.vshard");
        var shardBytes = File.ReadAllBytes(shardPath);

        var error = ShardAssert.Throws("ShardExists", ShardErrorCategory.ResourceExists,
            () => Shard.Create(text, new ShardOptions(3)));
        ShardAssert.Throws("ShardExists", ShardErrorCategory.ResourceExists,
            () => Shard.Create(shardPath, new ShardOptions(3)));

        Assert.Equal(text, error.TargetObject);
        Assert.Equal("mine", File.ReadAllText(text));
        Assert.Equal(shardBytes, File.ReadAllBytes(shardPath));
        using var shard = Shard.Open(shardPath);
        Assert.Equal(3, shard.Describe().Count);
    }

    [Fact]
    public void Create_InMissingFolder_IsDirectoryNotFound_AndCreatesNothing()
    {
        var folder = System.IO.Path.Combine(_temp.FullPath, "missing", "deeper");
        var path = System.IO.Path.Combine(folder, "x.vshard");

        ShardAssert.Throws("DirectoryNotFound", ShardErrorCategory.ObjectNotFound, () => Shard.Create(path, new ShardOptions(3)));

        Assert.False(Directory.Exists(System.IO.Path.Combine(_temp.FullPath, "missing")));
    }

    [Fact]
    public void Create_WritesOnlyTheShardFiles()
    {
        var path = _temp.File("fresh.vshard");
        using (var shard = Shard.Create(path, new ShardOptions(3)))
        {
            Assert.True(File.Exists(path));
        }

        // Closing the last connection folds the WAL back in and removes it.
        Assert.Equal([path], Directory.GetFiles(_temp.FullPath));
        Shard.DeleteFiles(path);
        Assert.Empty(Directory.GetFiles(_temp.FullPath));
    }

    public static TheoryData<string> ReadOnlyWays()
    {
        var data = new TheoryData<string> { "attribute" };
        if (!OperatingSystem.IsWindows())
        {
            data.Add("unix mode");
        }

        return data;
    }

    private static void MakeReadOnly(string path, string how)
    {
        if (how == "attribute")
        {
            File.SetAttributes(path, File.GetAttributes(path) | FileAttributes.ReadOnly);
        }
        else if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead);
        }
    }

    [Theory]
    [MemberData(nameof(ReadOnlyWays))]
    public void ReadOnlyFile_OpensAndSearches_ButRefusesWrites_AndStaysUnchanged(string how)
    {
        foreach (var profile in Enum.GetValues<ShardProfile>())
        {
            var path = NewShardFile($"ro-{profile}.vshard", profile);
            MakeReadOnly(path, how);
            Assert.True(new FileInfo(path).IsReadOnly);
            var hash = SHA256.HashData(File.ReadAllBytes(path));
            var written = File.GetLastWriteTimeUtc(path);

            using (var shard = Shard.Open(path))
            {
                Assert.True(shard.IsReadOnly, $"{profile}");
                var info = shard.Describe();
                Assert.Equal(3, info.Count);
                Assert.Equal(3, info.Version);
                Assert.Equal(profile, info.Profile);
                Assert.Equal("b", shard.Search([0, 1, 0], new SearchOptions(1))[0].Key);
                Assert.Equal(1L, shard.GetByKeys(["a"]).Single().Metadata!["n"]);
                Assert.Equal(3, shard.GetAll().Count());

                var id = shard.GetByKeys(["a"]).Single().Id;
                ShardAssert.Throws("ShardReadOnly", ShardErrorCategory.PermissionDenied, () => shard.Add([new VectorInput("d", [1, 1, 1])]));
                ShardAssert.Throws("ShardReadOnly", ShardErrorCategory.PermissionDenied,
                    () => shard.Add([new VectorInput("a", [1, 1, 1])], replaceExisting: true));
                ShardAssert.Throws("ShardReadOnly", ShardErrorCategory.PermissionDenied, () => shard.Remove([id]));
                ShardAssert.Throws("ShardReadOnly", ShardErrorCategory.PermissionDenied,
                    () => shard.SetTuning(ShardProfile.Durable, new ShardWorkload(WorkloadKind.ReadHeavy, 10)));

                Assert.Equal(3, shard.Describe().Count);
                Assert.Equal(3, shard.Describe().Version);
                Assert.Equal(profile, shard.Describe().Profile);
            }

            Assert.Equal(hash, SHA256.HashData(File.ReadAllBytes(path)));
            Assert.Equal(written, File.GetLastWriteTimeUtc(path));
            Assert.False(File.Exists(path + "-wal") && new FileInfo(path + "-wal").Length > 0, $"{profile}: WAL written");

            // Writable again, the shard is as it was.
            File.SetAttributes(path, FileAttributes.Normal);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            using var writable = Shard.Open(path);
            Assert.False(writable.IsReadOnly);
            writable.Add([new VectorInput("d", [1, 1, 1])]);
            Assert.Equal(4, writable.Describe().Version);
        }
    }
}
