namespace RedisSessions;

/// <summary>What <see cref="SessionManager.LoadSessionAsync"/> found: the live session, or why it is gone.</summary>
/// <param name="Session">The session, loaded for use (its expiry slid); null when it is gone.</param>
/// <param name="EndReason">Why it ended, while Redis still remembers; null for a live session, an unknown id, or one
/// that ended too long ago.</param>
public sealed record SessionLoad(Session? Session, TerminationReason? EndReason)
{
    internal static SessionLoad Unknown { get; } = new(null, null);
}
