namespace RedisSessions;

/// <summary>What <see cref="SessionManager.CreateSessionAsync"/> does when a user already has
/// <see cref="SessionOptions.MaxSessionsPerUser"/> live sessions.</summary>
public enum SessionLimitPolicy
{
    /// <summary>The user's oldest sessions (by creation time) are terminated with reason
    /// <see cref="TerminationReason.Evicted"/> to make room. This is the default.</summary>
    EvictOldest = 0,

    /// <summary>The new session is refused with a <see cref="SessionLimitExceededException"/>
    /// ("session already active").</summary>
    RejectNew = 1,
}
