namespace RedisSessions.Administration;

/// <summary>The store's figures.</summary>
public sealed partial class SessionAdmin
{
    /// <summary>The farm-wide figures of <see cref="SessionManager.GetStatsAsync"/> (1,024 small reads, no walk) and,
    /// with <paramref name="walkSessions"/>, the active sessions per creating node and the most idle one. Sessions
    /// store their node in their hash only, so those need a walk of every session (O(sessions), see
    /// <see cref="ListSessionsAsync"/>).</summary>
    /// <exception cref="SessionStoreUnavailableException">Redis can't be reached.</exception>
    public async Task<StoreStatistics> GetStatisticsAsync(bool walkSessions = false, CancellationToken cancellationToken = default)
    {
        var totals = await _manager.GetStatsAsync(cancellationToken).ConfigureAwait(false);
        if (!walkSessions)
        {
            return new StoreStatistics { Totals = totals, Walked = false };
        }
        var perNode = new Dictionary<string, long>(StringComparer.Ordinal);
        SessionSummary? mostIdle = null;
        await foreach (var session in ListSessionsAsync(null, cancellationToken).ConfigureAwait(false))
        {
            perNode[session.Node] = perNode.GetValueOrDefault(session.Node) + 1;
            if (mostIdle is null || session.LastActivity < mostIdle.LastActivity
                || (session.LastActivity == mostIdle.LastActivity && string.CompareOrdinal(session.SessionId, mostIdle.SessionId) < 0))
            {
                mostIdle = session;
            }
        }
        return new StoreStatistics { Totals = totals, SessionsPerNode = perNode, MostIdleSession = mostIdle, Walked = true };
    }
}
