namespace RedisSessions.Administration;

/// <summary>
/// Everything Redis holds about one session id, read at one instant by <see cref="SessionAdmin.InspectSessionAsync"/>:
/// the hash's fields as stored, its TTL, where the indexes list it, and, once it ended, the state of its termination.
/// The key names are the ones <c>redis-cli</c> takes. Reading it never counts as activity.
/// </summary>
public sealed class SessionInspection
{
    internal SessionInspection()
    {
    }

    /// <summary>The session id inspected.</summary>
    public required string SessionId { get; init; }

    /// <summary>What the id names right now.</summary>
    public required SessionStatus Status { get; init; }

    /// <summary>Redis's clock when it was read (every "in" and "ago" derives from it).</summary>
    public required DateTimeOffset ReadAt { get; init; }

    /// <summary>The hash tag shared by every key of the session's user: the id's first three characters.</summary>
    public required string Tag { get; init; }

    /// <summary>The session hash: <c>{prefix}:{tag}:session:{id}</c>.</summary>
    public required string SessionKey { get; init; }

    /// <summary>Every field of the hash as stored (data fields keep their <c>d:</c> prefix), in the order HGETALL
    /// returns them; empty when there is no hash.</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> Fields { get; init; }

    /// <summary>The hash's time to live (PTTL); null when there is no hash or it has no TTL.</summary>
    public TimeSpan? KeyTimeToLive { get; init; }

    /// <summary>When Redis deletes the hash (PEXPIRETIME): the session's expiry plus
    /// <see cref="SessionOptions.ExpiredSessionGrace"/> while live, the retention or notice period once ended.</summary>
    public DateTimeOffset? KeyExpiresAt { get; init; }

    /// <summary>Field <c>user</c>.</summary>
    public string? UserId { get; init; }

    /// <summary>Field <c>node</c>: the node that created the session.</summary>
    public string? Node { get; init; }

    /// <summary>Field <c>created</c>.</summary>
    public DateTimeOffset? CreatedAt { get; init; }

    /// <summary>Field <c>last</c>: the last recorded activity.</summary>
    public DateTimeOffset? LastActivity { get; init; }

    /// <summary>Field <c>expires</c>: when the session ends unless there is more activity.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>Field <c>absolute</c>: the absolute deadline, when the session has one.</summary>
    public DateTimeOffset? AbsoluteExpiresAt { get; init; }

    /// <summary>The data values (the <c>d:</c> fields without the prefix).</summary>
    public required IReadOnlyDictionary<string, string> Data { get; init; }

    /// <summary>Field <c>ended</c>: when the session ended.</summary>
    public DateTimeOffset? EndedAt { get; init; }

    /// <summary>Field <c>reason</c> as stored (<c>expired</c>, <c>admin</c>, ...).</summary>
    public string? Reason { get; init; }

    /// <summary>Field <c>attempt</c>: 0 while no handler has claimed the termination, then the claim's attempt.</summary>
    public long? Attempt { get; init; }

    /// <summary>Field <c>owner</c>: the process holding the termination's lease ('' when it is ready for any handler).</summary>
    public string? Owner { get; init; }

    /// <summary>The user's index: <c>{prefix}:{tag}:user:{user}</c> (null when the hash names no user).</summary>
    public string? UserIndexKey { get; init; }

    /// <summary>The user's part of its key names and its member in the due index (the id, escaped or hashed when it
    /// isn't short and plain).</summary>
    public string? UserMember { get; init; }

    /// <summary>The session's score in its user's index (its expiry as the index keeps it); null when the index doesn't
    /// list it, which is right once it ended.</summary>
    public double? UserIndexScore { get; init; }

    /// <summary>The lowest score in the user's index: the user's earliest expiry.</summary>
    public double? UserEarliestScore { get; init; }

    /// <summary>The session with the lowest score in the user's index (the one the user's due score follows).</summary>
    public string? UserEarliestSessionId { get; init; }

    /// <summary>The tag's due index: <c>{prefix}:{tag}:due</c>.</summary>
    public required string DueIndexKey { get; init; }

    /// <summary>The user's score in the due index: it should equal <see cref="UserEarliestScore"/>; null when the due
    /// index doesn't list the user.</summary>
    public double? DueIndexScore { get; init; }

    /// <summary>The tag's pending index: <c>{prefix}:{tag}:pending</c>.</summary>
    public required string PendingKey { get; init; }

    /// <summary>The session's score in the pending index: 0 = ready for any handler, else when the lease of the process
    /// running it runs out (Unix ms); null when not pending.</summary>
    public double? PendingScore { get; init; }

    /// <summary>When the lease on the termination runs out (a pending score above 0).</summary>
    public DateTimeOffset? LeasedUntil => PendingScore is > 0 and var score ? DateTimeOffset.FromUnixTimeMilliseconds((long)score) : null;

    /// <summary>The tag's wake key: <c>{prefix}:{tag}:wake</c>.</summary>
    public required string WakeKey { get; init; }

    /// <summary>When the wake key expires (its keyspace event wakes a sweep of the tag); null when there is none.</summary>
    public DateTimeOffset? WakeAt { get; init; }

    /// <summary>The tag's sessions counter: <c>{prefix}:{tag}:sessions</c>.</summary>
    public required string CounterKey { get; init; }

    /// <summary>The counter's value as stored (null when missing: no session of the tag is open).</summary>
    public string? Counter { get; init; }
}
