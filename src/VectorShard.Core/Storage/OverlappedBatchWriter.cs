namespace VectorShard.Core.Storage;

/// <summary>
/// Writes a stream of batches to a shard one at a time, in order, each on a pool thread while the producer
/// prepares the next: on two cores, Add-Vector binds piped objects while the previous batch is inserted. At
/// most one batch is in flight; its records, or its error, come back at the next <see cref="Submit"/> or at
/// <see cref="Complete"/>, so a failing batch stops everything after it, as writing in line would.
/// </summary>
public sealed class OverlappedBatchWriter(Shard shard, bool replaceExisting) : IDisposable
{
    private Task<IReadOnlyList<VectorRecord>>? _inFlight;

    /// <summary>
    /// Waits for the batch in flight (returning its records, or throwing its error, in which case
    /// <paramref name="batch"/> is not written), then starts writing <paramref name="batch"/>, which the caller must
    /// no longer change. Rows are numbered in errors from <paramref name="firstPosition"/>.
    /// </summary>
    public IReadOnlyList<VectorRecord> Submit(IReadOnlyList<VectorInput> batch, long firstPosition)
    {
        var previous = Complete();
        _inFlight = Task.Run(() => shard.Add(batch, replaceExisting, firstPosition));
        return previous;
    }

    /// <summary>Waits for the batch in flight: its records (none if there is none), or its error as Shard.Add threw it.</summary>
    public IReadOnlyList<VectorRecord> Complete()
    {
        var inFlight = _inFlight;
        _inFlight = null;
        return inFlight is null ? [] : inFlight.GetAwaiter().GetResult();
    }

    /// <summary>Waits for the batch in flight, if any, so nothing is still writing once the producer is gone; its error is dropped.</summary>
    public void Dispose()
    {
        try
        {
            _inFlight?.Wait();
        }
        catch (AggregateException)
        {
            // Whoever stopped early has reported (or is reporting) a failure of their own.
        }

        _inFlight = null;
    }
}
