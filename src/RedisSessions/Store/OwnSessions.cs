using System.Collections.Concurrent;

namespace RedisSessions.Store;

/// <summary>The sessions this process created (id → user), for <see cref="SessionOptions.TerminateOnShutdown"/>.
/// Sessions that end elsewhere (another server's logout, expiry) are forgotten by a prune that runs each time the set
/// has doubled since the last one, so the set stays about as large as this node's live sessions.</summary>
internal sealed class OwnSessions
{
    private const int FirstPrune = 1024;
    private readonly ConcurrentDictionary<string, string> _sessions = new(StringComparer.Ordinal);
    private int _pruneAt = FirstPrune;
    private int _pruning;

    public int Count => _sessions.Count;

    public void Add(string sessionId, string userId) => _sessions.TryAdd(sessionId, userId);

    public bool Remove(string sessionId, out string? userId) => _sessions.TryRemove(sessionId, out userId);

    public IReadOnlyCollection<KeyValuePair<string, string>> Snapshot() => _sessions.ToArray();

    /// <summary>True (once, to one caller) when the set has grown enough that a prune is due.</summary>
    public bool TryStartPrune() => _sessions.Count >= Volatile.Read(ref _pruneAt) && Interlocked.Exchange(ref _pruning, 1) == 0;

    /// <summary>Drops the ids <paramref name="live"/> reports ended, then waits for the set to double again: twice what
    /// the prune found live, not twice the set when it finishes (sessions added while a slow prune ran would otherwise
    /// push the next one past the size they bring the set to).</summary>
    public async Task PruneAsync(Func<IReadOnlyList<string>, Task<bool[]>> live)
    {
        var checkedIds = _sessions.Keys.ToArray();
        var stillLive = checkedIds.Length;
        try
        {
            foreach (var batch in checkedIds.Chunk(500))
            {
                var alive = await live(batch).ConfigureAwait(false);
                for (var i = 0; i < batch.Length; i++)
                {
                    if (!alive[i])
                    {
                        _sessions.TryRemove(batch[i], out _);
                        stillLive--;
                    }
                }
            }
        }
        finally
        {
            Volatile.Write(ref _pruneAt, Math.Max(FirstPrune, 2 * stillLive));
            Volatile.Write(ref _pruning, 0);
        }
    }
}
