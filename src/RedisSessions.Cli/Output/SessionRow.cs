using RedisSessions.Administration;

namespace RedisSessions.Cli.Output;

/// <summary>One session as <c>list</c> prints it (and as <c>stats</c> names the most idle one). Idle and expiry times
/// are on Redis's clock as the session was read.</summary>
internal sealed class SessionRow
{
    public required string SessionId { get; init; }
    public required string UserId { get; init; }
    public required string Node { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset LastActivity { get; init; }
    public required DateTimeOffset ExpiresAt { get; init; }
    public DateTimeOffset? AbsoluteExpiresAt { get; init; }
    public required double ExpiresInSeconds { get; init; }
    public required double IdleSeconds { get; init; }
    public required int DataKeys { get; init; }

    public static SessionRow From(SessionSummary session) => new()
    {
        SessionId = session.SessionId,
        UserId = session.UserId,
        Node = session.Node,
        CreatedAt = session.CreatedAt,
        LastActivity = session.LastActivity,
        ExpiresAt = session.ExpiresAt,
        AbsoluteExpiresAt = session.AbsoluteExpiresAt,
        ExpiresInSeconds = Text.Seconds(session.ExpiresIn),
        IdleSeconds = Text.Seconds(session.IdleTime),
        DataKeys = session.DataCount,
    };
}
