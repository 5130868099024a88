namespace RedisSessions;

/// <summary>Farm-wide figures read from Redis, plus this process's own counters.</summary>
public sealed record SessionStats
{
    /// <summary>Sessions whose time is not up, across the farm.</summary>
    public long TotalActiveSessions { get; init; }

    /// <summary>Users with at least one session in the index.</summary>
    public long UniqueUsers { get; init; }

    /// <summary>Ended sessions whose callbacks have not finished yet.</summary>
    public long PendingTerminations { get; init; }

    /// <summary>Sessions whose time is up and that the sweep has not processed yet.</summary>
    public long OverdueSessions { get; init; }

    /// <summary>Whether this manager runs the background sweep.</summary>
    public bool AutoCleanupRunning { get; init; }

    /// <summary>Sessions this process created.</summary>
    public long SessionsCreatedByThisNode { get; init; }

    /// <summary>Terminations whose callbacks ran in this process.</summary>
    public long TerminationsHandledByThisNode { get; init; }

    /// <summary>This process's <see cref="SessionOptions.NodeName"/>.</summary>
    public string NodeName { get; init; } = string.Empty;

    /// <summary>The options in force.</summary>
    public required SessionOptions Options { get; init; }
}
