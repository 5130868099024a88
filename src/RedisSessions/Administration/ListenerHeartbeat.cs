namespace RedisSessions.Administration;

/// <summary>The heartbeat of a process that handles terminations (<c>{prefix}:heartbeat:{node}</c>), refreshed every
/// <see cref="SessionOptions.HeartbeatInterval"/> and gone by itself three intervals after the process stops.</summary>
public sealed class ListenerHeartbeat
{
    internal ListenerHeartbeat()
    {
    }

    /// <summary>The heartbeat key.</summary>
    public required string Key { get; init; }

    /// <summary>The process's node name.</summary>
    public required string Node { get; init; }

    /// <summary>Its host (machine name).</summary>
    public required string Host { get; init; }

    /// <summary>Its process id, as written.</summary>
    public required string ProcessId { get; init; }

    /// <summary>When it started listening.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>Its last heartbeat (Redis's clock).</summary>
    public DateTimeOffset? LastSeen { get; init; }

    /// <summary>Redis's clock when the heartbeats were read.</summary>
    public required DateTimeOffset ReadAt { get; init; }

    /// <summary>Time since <see cref="LastSeen"/>.</summary>
    public TimeSpan? SinceLastSeen => LastSeen is { } last ? (ReadAt > last ? ReadAt - last : TimeSpan.Zero) : null;

    /// <summary>How long the key has left before it disappears by itself.</summary>
    public TimeSpan? KeyTimeToLive { get; init; }
}
