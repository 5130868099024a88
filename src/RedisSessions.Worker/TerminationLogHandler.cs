using Microsoft.Extensions.Logging;

namespace RedisSessions.Worker;

/// <summary>One structured log line per ended session: id, user, reason, age, owning node, and how long after its
/// deadline (expiry) or its end (other reasons) it was handled.</summary>
internal sealed class TerminationLogHandler(ILogger<TerminationLogHandler> logger, TimeProvider clock) : ISessionTerminationHandler
{
    public Task HandleAsync(SessionTermination termination, CancellationToken cancellationToken)
    {
        var session = termination.Session;
        var due = termination.Reason is TerminationReason.Expired or TerminationReason.AbsoluteTimeout ? session.ExpiresAt : termination.TerminatedAt;
        var latency = (long)Math.Max(0, (clock.GetUtcNow() - due).TotalMilliseconds);
        WorkerLog.SessionEnded(logger, session.SessionId, session.UserId, TerminationReasonNames.ToWire(termination.Reason),
            (termination.TerminatedAt - session.CreatedAt).TotalSeconds, session.Node, latency, termination.Attempt);
        return Task.CompletedTask;
    }
}
