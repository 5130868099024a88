namespace RedisSessions;

/// <summary>One session that ended, handed to termination callbacks exactly once in the farm.</summary>
public sealed class SessionTermination
{
    internal SessionTermination(Session session, TerminationReason reason, DateTimeOffset terminatedAt, int attempt)
    {
        Session = session;
        Reason = reason;
        TerminatedAt = terminatedAt;
        Attempt = attempt;
    }

    /// <summary>The session's final snapshot: user, data, timestamps.</summary>
    public Session Session { get; }

    /// <summary>Why it ended.</summary>
    public TerminationReason Reason { get; }

    /// <summary>When it ended (for expiry: when it was found and ended, at or after <see cref="Session.ExpiresAt"/>).</summary>
    public DateTimeOffset TerminatedAt { get; }

    /// <summary>1 for the first delivery; more when a process that claimed it died before finishing.</summary>
    public int Attempt { get; }
}
