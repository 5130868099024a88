namespace RedisSessions.Cli.Output;

/// <summary>What <c>stats</c> reports. <see cref="SessionsPerNode"/> and <see cref="MostIdleSession"/> come from a walk
/// of every session (null with <c>--no-walk</c>).</summary>
internal sealed class StatsReport
{
    public required string Redis { get; init; }
    public required string Prefix { get; init; }
    public required long ActiveSessions { get; init; }
    public required long UniqueUsers { get; init; }
    public required long OverdueSessions { get; init; }
    public required long PendingTerminations { get; init; }
    public Dictionary<string, long>? SessionsPerNode { get; init; }
    public SessionRow? MostIdleSession { get; init; }
    public required bool Walked { get; init; }
    public required List<ListenerRow> Listeners { get; init; }
}
