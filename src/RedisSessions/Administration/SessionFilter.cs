namespace RedisSessions.Administration;

/// <summary>Which sessions <see cref="SessionAdmin.ListSessionsAsync"/> returns. Every criterion given must hold; none
/// given returns every active session.</summary>
public sealed class SessionFilter
{
    /// <summary>Only this user's sessions: reads the user's index, no walk of the store. Defaults to none (every user).</summary>
    public string? UserId { get; init; }

    /// <summary>Only sessions created by this node (<see cref="SessionOptions.NodeName"/>, as stored in the session's
    /// <c>node</c> field). Defaults to none (every node).</summary>
    public string? Node { get; init; }

    /// <summary>Only sessions whose last recorded activity is at least this old on Redis's clock. Defaults to none.</summary>
    public TimeSpan? IdleFor { get; init; }

    /// <summary>Whether each <see cref="SessionSummary"/> carries the session's data values
    /// (<see cref="SessionSummary.Data"/>); the count of values is always there. Defaults to false.</summary>
    public bool IncludeData { get; init; }
}
