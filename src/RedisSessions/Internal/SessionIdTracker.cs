using System.Collections.Concurrent;

namespace RedisSessions.Internal;

/// <summary>The ids of sessions this process created, for <see cref="SessionOptions.TerminateOnShutdown"/>.</summary>
internal sealed class SessionIdTracker
{
    private readonly ConcurrentDictionary<string, byte> _ids = new(StringComparer.Ordinal);

    public void Add(string sessionId) => _ids.TryAdd(sessionId, 0);

    public bool Remove(string sessionId) => _ids.TryRemove(sessionId, out _);

    public IReadOnlyCollection<string> Snapshot() => _ids.Keys.ToArray();
}
