using System.Collections.Concurrent;

namespace RedisSessions.Tests.Infrastructure;

/// <summary>Collects what termination callbacks receive.</summary>
public sealed class TerminationRecorder
{
    private readonly ConcurrentQueue<SessionTermination> _seen = new();

    public IReadOnlyList<SessionTermination> Seen => _seen.ToArray();

    public Task Record(SessionTermination termination, CancellationToken cancellationToken)
    {
        _seen.Enqueue(termination);
        return Task.CompletedTask;
    }

    public IReadOnlyList<SessionTermination> For(string sessionId) => Seen.Where(t => t.Session.SessionId == sessionId).ToArray();
}
