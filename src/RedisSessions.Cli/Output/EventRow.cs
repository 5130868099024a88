using RedisSessions.Administration;

namespace RedisSessions.Cli.Output;

/// <summary>One entry of the termination stream, as <c>events</c> prints it.</summary>
internal sealed class EventRow
{
    public required string Id { get; init; }
    public DateTimeOffset? At { get; init; }
    public required string SessionId { get; init; }
    public required string UserId { get; init; }
    public required string Reason { get; init; }
    public required string Node { get; init; }
    public required string HandledBy { get; init; }
    public required long Attempt { get; init; }
    public DateTimeOffset? CreatedAt { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }

    public static EventRow From(TerminationEvent e) => new()
    {
        Id = e.Id,
        At = e.TerminatedAt,
        SessionId = e.SessionId,
        UserId = e.UserId,
        Reason = e.Reason,
        Node = e.Node,
        HandledBy = e.HandledBy,
        Attempt = e.Attempt,
        CreatedAt = e.CreatedAt,
        ExpiresAt = e.ExpiresAt,
    };
}
