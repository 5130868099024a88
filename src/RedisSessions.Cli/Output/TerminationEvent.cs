namespace RedisSessions.Cli.Output;

/// <summary>One entry of the termination stream (<c>{prefix}:events</c>), appended by the process that ran the
/// callbacks.</summary>
internal sealed class TerminationEvent
{
    public required string Id { get; init; }
    public DateTimeOffset? At { get; init; }
    public required string SessionId { get; init; }
    public required string UserId { get; init; }
    public required string Reason { get; init; }
    public required string Node { get; init; }
    public required string HandledBy { get; init; }
    public DateTimeOffset? CreatedAt { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }
}
