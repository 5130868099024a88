namespace RedisSessions.Cli.Inspection;

/// <summary>One member of a bucket's expiry index, with the summary fields of the session hash it names
/// (<see cref="HasSession"/> false when the hash is gone: a stale entry).</summary>
internal sealed record IndexEntry(string Bucket, string SessionId, long Score, string? User, string Node, long Created, long Last, long Expires, long IdleMs, long? Absolute)
{
    public bool HasSession => User is not null;

    public DateTimeOffset CreatedAt => DateTimeOffset.FromUnixTimeMilliseconds(Created);

    public DateTimeOffset LastActivity => DateTimeOffset.FromUnixTimeMilliseconds(Last);

    public DateTimeOffset ExpiresAt => DateTimeOffset.FromUnixTimeMilliseconds(Expires);

    /// <summary>A session whose time is still running at <paramref name="nowMs"/>.</summary>
    public bool IsLive(long nowMs) => HasSession && Expires > nowMs;

    /// <summary>A session whose time is up but that nobody has ended yet.</summary>
    public bool IsOverdue(long nowMs) => HasSession && Expires <= nowMs;
}
