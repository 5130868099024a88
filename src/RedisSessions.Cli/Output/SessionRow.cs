using RedisSessions.Cli.Inspection;
using RedisSessions.Internal;

namespace RedisSessions.Cli.Output;

/// <summary>One session as <c>list</c> prints it (and as <c>stats</c> names the most idle one).</summary>
internal sealed class SessionRow
{
    public required string SessionId { get; init; }
    public required string UserId { get; init; }
    public required string Node { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset LastActivity { get; init; }
    public required DateTimeOffset ExpiresAt { get; init; }
    public required double ExpiresInSeconds { get; init; }
    public required double IdleSeconds { get; init; }

    public static SessionRow From(IndexEntry entry, long nowMs) => new()
    {
        SessionId = entry.SessionId,
        UserId = entry.User ?? string.Empty,
        Node = entry.Node,
        CreatedAt = entry.CreatedAt,
        LastActivity = entry.LastActivity,
        ExpiresAt = entry.ExpiresAt,
        ExpiresInSeconds = Text.Seconds(TimeSpan.FromMilliseconds(entry.Expires - nowMs)),
        IdleSeconds = Text.Seconds(TimeSpan.FromMilliseconds(Math.Max(0, nowMs - entry.Last))),
    };

    public static SessionRow From(SessionRecord session, long nowMs) => new()
    {
        SessionId = session.SessionId,
        UserId = session.UserId,
        Node = session.Node,
        CreatedAt = session.CreatedAt,
        LastActivity = session.LastActivity,
        ExpiresAt = session.ExpiresAt,
        ExpiresInSeconds = Text.Seconds(TimeSpan.FromMilliseconds(session.ExpiresMs - nowMs)),
        IdleSeconds = Text.Seconds(TimeSpan.FromMilliseconds(Math.Max(0, nowMs - session.LastActivity.ToUnixTimeMilliseconds()))),
    };
}
