namespace RedisSessions.AspNetCore;

/// <summary>A session a browser's cookie still names but which has ended: see <see cref="RedisSessionsFeature.EndedSession"/>.</summary>
public sealed class SessionEnd
{
    internal SessionEnd(string sessionId, TerminationReason? reason)
    {
        SessionId = sessionId;
        Reason = reason;
    }

    /// <summary>The ended session's id.</summary>
    public string SessionId { get; }

    /// <summary>Why it ended, while Redis still remembers (<see cref="SessionManager.FindTerminationReasonAsync"/>:
    /// until the termination was handled and <see cref="SessionOptions.TerminationNoticePeriod"/> after that); null when
    /// no longer known. The cookie is kept while the reason is known, so every page the browser loads meanwhile can say
    /// why; once the reason is forgotten the store deletes the cookie.</summary>
    public TerminationReason? Reason { get; }
}
