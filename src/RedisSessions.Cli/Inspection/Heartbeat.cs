namespace RedisSessions.Cli.Inspection;

/// <summary>A listening process's heartbeat (<c>{prefix}:heartbeat:{node}</c>): node, host, pid, started, last, and how
/// long the key has left before it disappears by itself.</summary>
internal sealed record Heartbeat(string Key, string Node, string Host, string Pid, DateTimeOffset? Started, DateTimeOffset? LastSeen, TimeSpan? TimeToLive);
