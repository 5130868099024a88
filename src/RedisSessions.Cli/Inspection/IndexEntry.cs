using RedisSessions.Internal;

namespace RedisSessions.Cli.Inspection;

/// <summary>One session id listed in a bucket's users hash (under <see cref="UserPart"/>), with the summary fields of the
/// session hash it names (<see cref="Session"/> null when the hash is gone: a stale entry). The node name is resolved
/// through the node registry; last activity is derived as the library does (see <see cref="SessionRecord"/>), with the
/// creating node's idle timeout (see <see cref="NodeDirectory"/>).</summary>
internal sealed record IndexEntry(string Bucket, string UserPart, string SessionId, SessionRecord? Session)
{
    public bool HasSession => Session is not null;

    public string? User => Session?.UserId;

    public string Node => Session?.Node ?? string.Empty;

    public long Created => Session?.CreatedMs ?? 0;

    public long Last => Session?.LastActivity.ToUnixTimeMilliseconds() ?? 0;

    public long Expires => Session?.ExpiresMs ?? 0;

    public DateTimeOffset CreatedAt => DateTimeOffset.FromUnixTimeMilliseconds(Created);

    public DateTimeOffset LastActivity => DateTimeOffset.FromUnixTimeMilliseconds(Last);

    public DateTimeOffset ExpiresAt => DateTimeOffset.FromUnixTimeMilliseconds(Expires);

    /// <summary>A session whose time is still running at <paramref name="nowMs"/>.</summary>
    public bool IsLive(long nowMs) => HasSession && Expires > nowMs;

    /// <summary>A session whose time is up but that nobody has ended yet.</summary>
    public bool IsOverdue(long nowMs) => HasSession && Expires <= nowMs;
}
