namespace RedisSessions.Administration;

/// <summary>What <see cref="SessionAdmin.GetStatisticsAsync"/> read: the farm-wide figures of
/// <see cref="SessionManager.GetStatsAsync"/> and, when asked for (a walk of every session), sessions per node and the
/// most idle session.</summary>
public sealed class StoreStatistics
{
    internal StoreStatistics()
    {
    }

    /// <summary>The farm-wide figures (1,024 small reads, no walk).</summary>
    public required SessionStats Totals { get; init; }

    /// <summary>Active sessions per creating node; null unless the walk was asked for.</summary>
    public IReadOnlyDictionary<string, long>? SessionsPerNode { get; init; }

    /// <summary>The active session with the oldest last activity; null unless the walk was asked for (or there is none).</summary>
    public SessionSummary? MostIdleSession { get; init; }

    /// <summary>Whether the sessions were walked (<see cref="SessionsPerNode"/> and <see cref="MostIdleSession"/> filled).</summary>
    public required bool Walked { get; init; }
}
