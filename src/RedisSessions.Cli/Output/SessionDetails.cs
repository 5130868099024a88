namespace RedisSessions.Cli.Output;

/// <summary>What <c>show</c> prints: every field of the session hash, its data, its hash's TTL and its bucket's due key TTL.</summary>
internal sealed class SessionDetails
{
    public required string SessionId { get; init; }
    public required string UserId { get; init; }
    public required string Node { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset LastActivity { get; init; }
    public required DateTimeOffset ExpiresAt { get; init; }
    public DateTimeOffset? AbsoluteExpiresAt { get; init; }
    public required double IdleTimeoutSeconds { get; init; }
    /// <summary>Where <see cref="IdleTimeoutSeconds"/> came from: <c>node</c> (the creating node's InactiveTimeout, from
    /// the node registry), <c>option</c> (<c>--inactive-timeout</c>) or <c>default</c> (the node registered none:
    /// RedisSessions:InactiveTimeout, else 30 minutes).</summary>
    public required string IdleTimeoutSource { get; init; }
    public required double IdleSeconds { get; init; }
    public required double ExpiresInSeconds { get; init; }
    public double? SessionKeyTtlSeconds { get; init; }
    /// <summary>TTL of the bucket's due key (<c>{prefix}:{b}:due</c>): when the keyspace event that wakes a sweep of the
    /// session's bucket fires.</summary>
    public double? DueKeyTtlSeconds { get; init; }
    public required SortedDictionary<string, string> Data { get; init; }
}
