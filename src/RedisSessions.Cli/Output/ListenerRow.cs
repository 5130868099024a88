using RedisSessions.Administration;

namespace RedisSessions.Cli.Output;

/// <summary>A listener heartbeat as <c>stats</c> and <c>doctor</c> print it.</summary>
internal sealed class ListenerRow
{
    public required string Node { get; init; }
    public required string Host { get; init; }
    public required string Pid { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? LastSeen { get; init; }
    public double? SecondsSinceLastSeen { get; init; }
    public double? KeyTtlSeconds { get; init; }

    public static ListenerRow From(ListenerHeartbeat heartbeat) => new()
    {
        Node = heartbeat.Node,
        Host = heartbeat.Host,
        Pid = heartbeat.ProcessId,
        StartedAt = heartbeat.StartedAt,
        LastSeen = heartbeat.LastSeen,
        SecondsSinceLastSeen = heartbeat.SinceLastSeen is { } ago ? Text.Seconds(ago) : null,
        KeyTtlSeconds = heartbeat.KeyTimeToLive is { } ttl ? Text.Seconds(ttl) : null,
    };

    public static void WriteTable(TextWriter output, IReadOnlyList<ListenerRow> listeners)
    {
        if (listeners.Count == 0)
        {
            output.WriteLine("Listener heartbeats: none (no process with termination handlers announces itself; ended sessions wait as pending terminations until one does)");
            return;
        }
        output.WriteLine("Listener heartbeats:");
        var table = new Table("NODE", "HOST", "PID", "STARTED", "LAST SEEN", "AGO");
        foreach (var listener in listeners)
        {
            table.Add(listener.Node, listener.Host, listener.Pid, Text.Time(listener.StartedAt), Text.Time(listener.LastSeen),
                listener.SecondsSinceLastSeen is { } ago ? Text.Duration(TimeSpan.FromSeconds(ago)) : "-");
        }
        table.Write(output);
    }
}
