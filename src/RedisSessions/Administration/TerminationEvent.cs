namespace RedisSessions.Administration;

/// <summary>One entry of the termination stream (<c>{prefix}:events</c>), appended by the process that ran an ended
/// session's callbacks (<see cref="SessionOptions.EventStreamMaxLength"/>).</summary>
public sealed class TerminationEvent
{
    internal TerminationEvent()
    {
    }

    /// <summary>The stream entry id (<c>1764420000000-0</c>): give it to <see cref="SessionAdmin.ReadEventsAfterAsync"/>
    /// or <see cref="SessionAdmin.FollowEventsAsync"/> to read what came after it.</summary>
    public required string Id { get; init; }

    /// <summary>The session that ended.</summary>
    public required string SessionId { get; init; }

    /// <summary>Its user.</summary>
    public required string UserId { get; init; }

    /// <summary>Why it ended, as stored (<c>expired</c>, <c>admin</c>, ...).</summary>
    public required string Reason { get; init; }

    /// <summary>When it ended.</summary>
    public DateTimeOffset? TerminatedAt { get; init; }

    /// <summary>When it was created.</summary>
    public DateTimeOffset? CreatedAt { get; init; }

    /// <summary>Its expiry when it ended.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>The node that created it.</summary>
    public required string Node { get; init; }

    /// <summary>The node whose process ran its callbacks.</summary>
    public required string HandledBy { get; init; }

    /// <summary>The delivery attempt (1 unless a process died holding it).</summary>
    public long Attempt { get; init; }
}
