namespace RedisSessions.Administration;

/// <summary>What <see cref="SessionAdmin.TerminateUserSessionsAsync"/> and <see cref="SessionAdmin.TerminateNodeSessionsAsync"/> ended.</summary>
public sealed class AdminTerminationResult
{
    internal AdminTerminationResult(int count, IReadOnlyList<string> sessionIds)
    {
        Count = count;
        SessionIds = sessionIds;
    }

    /// <summary>How many sessions ended (reason <see cref="TerminationReason.Admin"/>).</summary>
    public int Count { get; }

    /// <summary>The sessions ended. For a node: exactly those. For a user: the user's active sessions read just before
    /// ending them (a session the user created meanwhile is ended and counted, but not listed).</summary>
    public IReadOnlyList<string> SessionIds { get; }
}
