using System.Collections.Concurrent;

namespace RedisSessions.Internal;

/// <summary>The ids of sessions this process created, for <see cref="SessionOptions.TerminateOnShutdown"/>. Sessions
/// that end elsewhere (another server's logout, expiry) are forgotten by a prune that runs each time the set has
/// doubled since the last one, so the set stays about as large as this node's live sessions.</summary>
internal sealed class SessionIdTracker
{
    private const int FirstPrune = 1024;
    private readonly ConcurrentDictionary<string, byte> _ids = new(StringComparer.Ordinal);
    private int _pruneAt = FirstPrune;
    private int _pruning;

    public int Count => _ids.Count;

    public void Add(string sessionId) => _ids.TryAdd(sessionId, 0);

    public bool Remove(string sessionId) => _ids.TryRemove(sessionId, out _);

    public IReadOnlyCollection<string> Snapshot() => _ids.Keys.ToArray();

    /// <summary>True (once, to one caller) when the set has grown enough that a prune is due.</summary>
    public bool TryStartPrune() => _ids.Count >= Volatile.Read(ref _pruneAt) && Interlocked.Exchange(ref _pruning, 1) == 0;

    /// <summary>Drops the ids <paramref name="exists"/> reports gone, then waits for the set to double again.</summary>
    public async Task PruneAsync(Func<IReadOnlyList<string>, Task<bool[]>> exists)
    {
        try
        {
            foreach (var batch in Snapshot().Chunk(500))
            {
                var alive = await exists(batch).ConfigureAwait(false);
                for (var i = 0; i < batch.Length; i++)
                {
                    if (!alive[i])
                    {
                        _ids.TryRemove(batch[i], out _);
                    }
                }
            }
        }
        finally
        {
            Volatile.Write(ref _pruneAt, Math.Max(FirstPrune, 2 * _ids.Count));
            Volatile.Write(ref _pruning, 0);
        }
    }
}
