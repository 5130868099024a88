namespace RedisSessions.Administration;

/// <summary>One active session as <see cref="SessionAdmin.ListSessionsAsync"/> read it: its stored fields and Redis's
/// clock at the moment it was read, from which its idle time and time left are computed (never the local clock).</summary>
public sealed class SessionSummary
{
    internal SessionSummary()
    {
    }

    /// <summary>The session id.</summary>
    public required string SessionId { get; init; }

    /// <summary>The user it belongs to (field <c>user</c>).</summary>
    public required string UserId { get; init; }

    /// <summary>The node that created it (field <c>node</c>).</summary>
    public required string Node { get; init; }

    /// <summary>When it was created (field <c>created</c>).</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>Its last recorded activity (field <c>last</c>).</summary>
    public required DateTimeOffset LastActivity { get; init; }

    /// <summary>When it ends unless there is more activity (field <c>expires</c>).</summary>
    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>Its absolute deadline (field <c>absolute</c>), when it has one.</summary>
    public DateTimeOffset? AbsoluteExpiresAt { get; init; }

    /// <summary>How many data values it holds (its <c>d:</c> fields).</summary>
    public required int DataCount { get; init; }

    /// <summary>Its data values, when <see cref="SessionFilter.IncludeData"/> asked for them; else null.</summary>
    public IReadOnlyDictionary<string, string>? Data { get; init; }

    /// <summary>Redis's clock when the session was read.</summary>
    public required DateTimeOffset ReadAt { get; init; }

    /// <summary>Time since <see cref="LastActivity"/>, on Redis's clock when it was read.</summary>
    public TimeSpan IdleTime => ReadAt > LastActivity ? ReadAt - LastActivity : TimeSpan.Zero;

    /// <summary>Time left until <see cref="ExpiresAt"/>, on Redis's clock when it was read.</summary>
    public TimeSpan ExpiresIn => ExpiresAt - ReadAt;
}
