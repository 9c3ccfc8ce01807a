using Microsoft.Data.Sqlite;
using VectorShard.Core.Search;
using VectorShard.Core.Search.Kernels;
using VectorShard.Core.Storage;

namespace VectorShard.Core;

/// <summary>
/// An open shard: one SQLite connection with the shard's pragmas applied, and every operation on it.
/// Thread-safe (one operation at a time). Get shards from <see cref="ShardRegistry"/> so that each file
/// has one connection per process.
/// </summary>
public sealed class Shard : IDisposable
{
    private readonly object _gate = new();
    private SqliteConnection _connection;
    private StatementCache _statements;
    private ShardHeader _header;

    // Built on the first unfiltered search; kept in step with this shard's writes.
    private VectorImage? _image;

    // Whether the indexes match the IndexPlan: a file from before the plan gets it on its first write.
    private bool _indexesPlanned;

    // Started on the first bulk write to a WAL shard whose lock lets a second connection in.
    private WalCheckpointer? _checkpointer;

    // How this connection learns of other connections' commits, settled on its first search: a writable WAL file in
    // normal locking watches its wal-index header; a file locked exclusively has no other writer (it holds its lock from
    // the first read on); anything else asks data_version.
    private WalIndexWatch? _walWatch;
    private bool _othersLockedOut;
    private bool _commitsWatched;

    private Shard(string path, bool readOnly, SqliteConnection connection, ShardHeader header)
    {
        Path = path;
        IsReadOnly = readOnly;
        _connection = connection;
        _statements = new StatementCache(connection);
        _header = header;
    }

    /// <summary>The full path, or memory:name for an in-memory shard.</summary>
    public string Path { get; }

    /// <summary>Whether the file is read-only: searches work, writes fail with ShardReadOnly.</summary>
    public bool IsReadOnly { get; }

    /// <summary>Whether the shard lives only in this process's memory.</summary>
    public bool IsInMemory => Path.StartsWith(ShardInfo.InMemoryPrefix, StringComparison.Ordinal);

    /// <summary>The dimension, metric, profile, workload and storage precision recorded in the shard.</summary>
    public ShardHeader Header => _header;

    /// <summary>Creates a new shard file (or in-memory shard, for a memory:name path) and opens it.</summary>
    public static Shard Create(string path, ShardOptions options)
    {
        if (options.Dimension is < 1 or > ShardLimits.MaxDimension)
        {
            throw ShardErrors.InvalidDimension(options.Dimension);
        }

        if (!Enum.IsDefined(options.Metric))
        {
            throw ShardErrors.UnknownSetting("Metric", options.Metric);
        }

        if (!Enum.IsDefined(options.Precision))
        {
            throw ShardErrors.UnknownSetting("Precision", options.Precision);
        }

        var workload = options.Workload ?? ShardWorkload.None;
        var inMemory = path.StartsWith(ShardInfo.InMemoryPrefix, StringComparison.Ordinal);
        var profile = inMemory ? ShardProfile.UltraFast : options.Profile;
        PragmaPlan.Validate(profile, workload);
        if (!inMemory)
        {
            path = System.IO.Path.GetFullPath(path);
            if (File.Exists(path))
            {
                throw ShardErrors.ShardExists(path);
            }

            if (!Directory.Exists(System.IO.Path.GetDirectoryName(path)))
            {
                throw ShardErrors.DirectoryNotFound(path);
            }
        }

        var header = new ShardHeader(options.Dimension, options.Metric, profile, workload, ShardLimits.FormatVersion, options.Precision);
        var connection = Connect(path, readOnly: false, create: true);
        try
        {
            // A shared-cache memory database of this name may be open already (outside any registry).
            if (inMemory && connection.ScalarInteger("SELECT count(*) FROM sqlite_schema") > 0)
            {
                connection.Dispose();
                throw ShardErrors.ShardExists(path);
            }

            ShardSchema.Create(connection, header);
            ApplyPragmas(connection, path, header, readOnly: false);
            return new Shard(path, false, connection, header) { _indexesPlanned = true };
        }
        catch (Exception e)
        {
            connection.Dispose();
            if (!inMemory && e is not VectorShardException { ErrorId: "ShardExists" })
            {
                DeleteFiles(path);
            }

            throw Translate(e, path);
        }
    }

    /// <summary>Opens an existing shard file, checking that it is one and applying its stored profile.</summary>
    public static Shard Open(string path)
    {
        if (path.StartsWith(ShardInfo.InMemoryPrefix, StringComparison.Ordinal) || !File.Exists(path))
        {
            // An in-memory shard exists only while it is open in the registry.
            throw ShardErrors.ShardNotFound(path);
        }

        path = System.IO.Path.GetFullPath(path);

        var readOnly = new FileInfo(path).IsReadOnly;
        var connection = Connect(path, readOnly, create: false);
        try
        {
            var header = ShardSchema.Read(connection, path);
            ApplyPragmas(connection, path, header, readOnly);
            return new Shard(path, readOnly, connection, header);
        }
        catch (Exception e)
        {
            connection.Dispose();
            throw Translate(e, path);
        }
    }

    /// <summary>Deletes a shard file with its WAL and shared-memory files. The shard must not be open.</summary>
    public static void DeleteFiles(string path)
    {
        if (!Directory.Exists(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))))
        {
            return;
        }

        foreach (var suffix in (ReadOnlySpan<string>)["", "-wal", "-shm", "-journal"])
        {
            File.Delete(path + suffix);
        }
    }

    /// <summary>A snapshot of the shard: settings, count, version, size and effective pragmas.</summary>
    public ShardInfo Describe() => Run(() => new ShardInfo(Path, _header.Dimension, _header.Metric, _header.Profile,
        _header.Workload, ShardSchema.CountVectors(_statements), ShardSchema.ReadVersion(_statements),
        _header.FormatVersion, FileSize(Path), ShardPragmas.Read(_connection), VectorKernels.Current.Backend, _statements.Stats,
        _header.Precision, ShardIndexes.Present(_connection)));

    /// <summary>
    /// Stores a batch of vectors in one transaction. With <paramref name="replaceExisting"/>, a key that
    /// exists is updated in place; without it, an existing key fails the whole batch. Errors name a row
    /// without a key by its position, counted from <paramref name="firstPosition"/> (for streamed input).
    /// </summary>
    public IReadOnlyList<VectorRecord> Add(IReadOnlyList<VectorInput> batch, bool replaceExisting = false, long firstPosition = 0) =>
        RunWrite(() =>
        {
            PlanIndexes();
            var records = VectorWriter.Write(_statements, _header, Path, batch, replaceExisting, firstPosition);
            foreach (var record in _image is null ? [] : records)
            {
                _image!.Upsert(record.Id, record.Vector, record.Norm, new RowLabel(record.Key, record.Metadata is not null));
            }

            Checkpointer()?.Committed((long)records.Count * _header.Dimension * VectorBlob.BytesPerComponent(_header.Precision));

            return records;
        });

    /// <summary>The stored vectors with these keys (missing keys are left out).</summary>
    public IReadOnlyList<VectorRecord> GetByKeys(IEnumerable<string> keys) => Run(() => VectorReader.ByKeys(_statements, _header, Path, keys));

    /// <summary>The stored vectors with these ids (missing ids are left out).</summary>
    public IReadOnlyList<VectorRecord> GetByIds(IEnumerable<long> ids) => Run(() => VectorReader.ByIds(_statements, _header, Path, ids));

    /// <summary>Every stored vector, by id, read a page at a time so the shard is not locked while the caller works.</summary>
    public IEnumerable<VectorRecord> GetAll(int pageSize = 1000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        return Pages(pageSize);
    }

    private IEnumerable<VectorRecord> Pages(int pageSize)
    {
        var after = 0L;
        while (true)
        {
            var page = Run(() => VectorReader.Page(_statements, _header, Path, after, pageSize));
            foreach (var record in page)
            {
                yield return record;
            }

            if (page.Count < pageSize)
            {
                yield break;
            }

            after = page[^1].Id;
        }
    }

    /// <summary>Removes the vectors with these ids in one transaction; returns the ids that existed and were removed.</summary>
    public IReadOnlyList<long> Remove(IReadOnlyCollection<long> ids) => RunWrite(() => RemoveInLock(ids));

    /// <summary>Removes every vector written before <paramref name="cutoff"/> in one transaction; returns their ids.</summary>
    public IReadOnlyList<long> RemoveOlderThan(DateTimeOffset cutoff) =>
        RunWrite(() => RemoveInLock(VectorRemover.IdsOlderThan(_statements, ExactScan.ToStoredTime(cutoff))));

    /// <summary>SQLite's plan for <paramref name="sql"/> on this shard with these values of ?1, ?2, …, one line per step.</summary>
    public IReadOnlyList<string> ExplainQueryPlan(string sql, IReadOnlyList<object?> parameters) =>
        Run(() => ShardIndexes.Explain(_connection, sql, parameters));

    private IReadOnlyList<long> RemoveInLock(IReadOnlyCollection<long> ids)
    {
        PlanIndexes();
        var removed = VectorRemover.RemoveIds(_statements, ids);
        foreach (var id in _image is null ? [] : removed)
        {
            _image!.Remove(id);
        }

        return removed;
    }

    /// <summary>
    /// Records a new profile and workload in the shard and applies them. A file shard is reopened, since
    /// journal and locking modes cannot always change on a live connection.
    /// </summary>
    public ShardInfo SetTuning(ShardProfile profile, ShardWorkload workload)
    {
        PragmaPlan.Validate(profile, workload);
        if (IsInMemory && profile != ShardProfile.UltraFast)
        {
            throw ShardErrors.InMemoryProfileFixed(Path, profile);
        }

        RunWrite(() =>
        {
            using (var transaction = _statements.BeginTransaction())
            {
                ShardSchema.WriteTuning(_connection, profile, workload);
                ShardIndexes.Reconcile(_connection, IndexPlan.For(profile, workload));
                transaction.Commit();
            }

            _indexesPlanned = true;

            _header = _header with { Profile = profile, Workload = workload };
            if (IsInMemory)
            {
                ApplyPragmas(_connection, Path, _header, readOnly: false);
            }
            else
            {
                // The new profile may lock the file exclusively or leave WAL: the next bulk write decides anew.
                _checkpointer?.Dispose();
                _checkpointer = null;
                _walWatch?.Dispose();
                (_walWatch, _othersLockedOut, _commitsWatched) = (null, false, false);
                _statements.Dispose();
                _connection.Dispose();
                _connection = Connect(Path, readOnly: false, create: false);
                _statements = new StatementCache(_connection);
                // data_version is per connection: the image's baseline is gone, so rebuild on the next search.
                _image = null;
                ApplyPragmas(_connection, Path, _header, readOnly: false);
            }

            return 0;
        });
        return Describe();
    }

    /// <summary>The k nearest stored vectors to <paramref name="query"/>, nearest first.</summary>
    public IReadOnlyList<SearchResult> Search(float[] query, SearchOptions options, int queryIndex = 0) =>
        SearchMany([query], options, queryIndex)[0];

    /// <summary>
    /// The k nearest stored vectors to each query, nearest first. Without a metadata filter, the queries
    /// share one pass over the shard's vectors, so a batch costs little more than one query.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<SearchResult>> SearchMany(IReadOnlyList<float[]> queries, SearchOptions options, int firstQueryIndex = 0)
    {
        if (options.K < 1)
        {
            throw ShardErrors.InvalidK(options.K);
        }

        var norms = new float[queries.Count];
        for (var i = 0; i < norms.Length; i++)
        {
            norms[i] = CheckQuery(queries[i], firstQueryIndex + i);
        }

        return Run(() =>
        {
            var image = options.Filter is null && options.CreatedAfter is null ? CurrentImage() : null;
            var nearest = image is null
                ? queries.Select((query, i) => ExactScan.Run(_statements, _header, query, norms[i], options.K, options.MaxDistance, options.Filter,
                    options.CreatedAfter)).ToArray()
                : options.Quantization != SearchQuantization.None
                ? QuantizedScan.Run(image, _header.Metric, queries, norms, options.K, options.MaxDistance,
                    Math.Max(1, options.Oversample ?? QuantizedScan.DefaultOversample(options.Quantization)),
                    VectorKernels.Current, options.Quantization, options.MaxThreads)
                : !options.FullScan && BoundedScan.Pays(image, queries.Count, options.K, VectorKernels.Current.Backend)
                ? BoundedScan.Run(image, _header.Metric, queries, norms, options.K, options.MaxDistance, VectorKernels.Current, options.MaxThreads)
                : ImageScan.Run(image, _header.Metric, queries, norms, options.K, options.MaxDistance, VectorKernels.Current, options.MaxThreads);
            return Results(image, nearest, firstQueryIndex);
        });
    }

    // The results with their keys and metadata. The image knows each row's key and whether it has metadata, so only rows
    // with metadata are read from the row table: a cold lookup there costs more than a quantized W1 scan (0.3 of 0.5 ms).
    // Plain loops: with caches evicted, building 10 results through LINQ took about 0.05 ms of a 0.4 ms search.
    private IReadOnlyList<SearchResult>[] Results(VectorImage? image, (long Id, float Distance)[][] nearest, int firstQueryIndex)
    {
        // Each result's label, looked up once (a cold lookup is a cache miss or two); null where the row table has it.
        var keys = new string?[nearest.Length][];
        var unread = new List<long>();
        for (var q = 0; q < nearest.Length; q++)
        {
            keys[q] = new string?[nearest[q].Length];
            for (var rank = 0; rank < nearest[q].Length; rank++)
            {
                var id = nearest[q][rank].Id;
                if (image is null || (image.TryGetLabel(id, out var label) && label.HasMetadata))
                {
                    unread.Add(id);
                }
                else
                {
                    keys[q][rank] = label.Key;
                }
            }
        }

        var read = unread.Count == 0 ? null : VectorReader.Labels(_statements, unread);
        var results = new IReadOnlyList<SearchResult>[nearest.Length];
        for (var q = 0; q < nearest.Length; q++)
        {
            var rows = new SearchResult[nearest[q].Length];
            for (var rank = 0; rank < rows.Length; rank++)
            {
                var (id, distance) = nearest[q][rank];
                var (key, metadata) = read is not null && read.TryGetValue(id, out var fromTable) ? fromTable : (keys[q][rank], null);
                rows[rank] = new SearchResult(firstQueryIndex + q, rank + 1, id, key, distance, metadata, Path);
            }

            results[q] = rows;
        }

        return results;
    }

    /// <summary>Checks a query like a stored vector (dimension, finite, not zero under cosine) and returns its norm.</summary>
    public float CheckQuery(float[] query, int queryIndex) =>
        VectorValidator.Validate(query, _header.Dimension, _header.Metric, $"query #{queryIndex + 1}");

    /// <summary>Closes the connection. An in-memory shard's data is gone.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _checkpointer?.Dispose();
            _walWatch?.Dispose();
            _statements.Dispose();
            _connection.Dispose();
        }
    }

    // The background checkpointer, for a WAL file shard in normal locking (an exclusive lock keeps other
    // connections out). It starts a checkpoint each quarter of the autocheckpoint's WAL size.
    private WalCheckpointer? Checkpointer()
    {
        var plan = PragmaPlan.For(_header.Profile, _header.Workload, 0);
        if (_checkpointer is not null || IsInMemory || plan.JournalMode != "wal" || plan.LockingMode != "NORMAL")
        {
            return _checkpointer;
        }

        var walBytes = plan.WalAutoCheckpoint * _connection.ScalarInteger("PRAGMA page_size");
        return _checkpointer = new WalCheckpointer(() => Connect(Path, readOnly: false, create: false), plan.Synchronous,
            Math.Max(1, walBytes / 4));
    }

    // The image, rebuilt when another connection (another process) has written since it was read. data_version is not
    // asked while the wal-index header is as it was at the last check (nothing has been committed), nor ever again once
    // the image is read where this connection locks others out.
    private VectorImage CurrentImage()
    {
        var watch = WatchCommits();
        if (_image is not null && (_othersLockedOut || watch?.Unchanged() == true))
        {
            return _image;
        }

        var header = watch?.Read();
        if (_image is null || _image.DataVersion != DataVersion())
        {
            _image = VectorImage.Load(_connection, _header.Dimension, _header.Precision);
            if (NormPrefilter.Worthwhile(_image, _header.Metric))
            {
                _image.SortByNorm();
            }
        }

        if (header is not null)
        {
            watch!.Rebase(header);
        }

        return _image;
    }

    // The watch on the connection's wal-index, if it has one (see _walWatch). The connection read the file when it opened:
    // in WAL mode its -shm file exists and stays while the connection is open, and an exclusive lock is already held.
    private WalIndexWatch? WatchCommits()
    {
        if (!_commitsWatched && !IsInMemory)
        {
            var locking = _connection.ScalarText("PRAGMA locking_mode");
            _othersLockedOut = locking == "exclusive";
            _walWatch = locking == "normal" && !IsReadOnly && _connection.ScalarText("PRAGMA journal_mode") == "wal"
                ? WalIndexWatch.TryOpen(Path) : null;
        }

        _commitsWatched = true;
        return _walWatch;
    }

    // Brings the indexes to the plan once per open, before the first write (never on a read-only file).
    private void PlanIndexes()
    {
        if (_indexesPlanned)
        {
            return;
        }

        var wanted = IndexPlan.For(_header.Profile, _header.Workload);
        if (ShardIndexes.Differ(_connection, wanted))
        {
            using var transaction = _statements.BeginTransaction();
            ShardIndexes.Reconcile(_connection, wanted);
            transaction.Commit();
        }

        _indexesPlanned = true;
    }

    // Changes whenever another connection commits to the file (never for this connection's own commits).
    private long DataVersion()
    {
        using var lease = _statements.GetRaw("PRAGMA data_version");
        lease.Statement.Step();
        return lease.Statement.Int64(0);
    }

    private static SqliteConnection Connect(string path, bool readOnly, bool create)
    {
        var inMemory = path.StartsWith(ShardInfo.InMemoryPrefix, StringComparison.Ordinal);
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = inMemory ? path[ShardInfo.InMemoryPrefix.Length..] : path,
            Mode = inMemory ? SqliteOpenMode.Memory
                : readOnly ? SqliteOpenMode.ReadOnly
                : create ? SqliteOpenMode.ReadWriteCreate : SqliteOpenMode.ReadWrite,
            Cache = inMemory ? SqliteCacheMode.Shared : SqliteCacheMode.Private,
            // Closing must really close: profile changes reopen, and removal deletes the file.
            Pooling = false,
            // Another process holding the shard locked: fail after a short wait, not the 30 s default.
            DefaultTimeout = 5,
        };
        var connection = new SqliteConnection(builder.ToString());
        try
        {
            connection.Open();
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw Translate(e, path);
        }

        return connection;
    }

    private static void ApplyPragmas(SqliteConnection connection, string path, ShardHeader header, bool readOnly) =>
        ShardPragmas.Apply(connection, PragmaPlan.For(header.Profile, header.Workload, FileSize(path)), readOnly);

    private static long FileSize(string path) =>
        (File.Exists(path) ? new FileInfo(path).Length : 0) + (File.Exists(path + "-wal") ? new FileInfo(path + "-wal").Length : 0);

    private static Exception Translate(Exception error, string path) =>
        error is SqliteException sqlite ? SqliteErrorMap.Translate(sqlite, path) ?? error : error;

    private T Run<T>(Func<T> operation)
    {
        lock (_gate)
        {
            try
            {
                return operation();
            }
            catch (SqliteException e) when (SqliteErrorMap.Translate(e, Path) is { } translated)
            {
                throw translated;
            }
        }
    }

    private T RunWrite<T>(Func<T> operation) => IsReadOnly ? throw ShardErrors.ShardReadOnly(Path) : Run(operation);
}
