using RedisSessions.Cli.Connection;
using RedisSessions.Cli.Output;
using StackExchange.Redis;

namespace RedisSessions.Cli.Inspection;

/// <summary>Reads the termination stream with XREVRANGE / XRANGE. Never a blocking XREAD: following polls.</summary>
internal sealed class EventReader
{
    private readonly CliContext _context;

    public EventReader(CliContext context) => _context = context;

    /// <summary>The newest <paramref name="count"/> events, oldest first.</summary>
    public async Task<List<TerminationEvent>> LatestAsync(int count)
    {
        var entries = await _context.Db.StreamRangeAsync(_context.Keys.Events, "-", "+", count, Order.Descending);
        var events = entries.Select(ToEvent).ToList();
        events.Reverse();
        return events;
    }

    /// <summary>Up to <paramref name="count"/> events after <paramref name="lastId"/>, oldest first.</summary>
    public async Task<List<TerminationEvent>> AfterAsync(string lastId, int count)
    {
        // "(" makes the start exclusive (Redis 6.2+): the entry already shown is not read again.
        var entries = await _context.Db.StreamRangeAsync(_context.Keys.Events, "(" + lastId, "+", count, Order.Ascending);
        return entries.Select(ToEvent).ToList();
    }

    private static TerminationEvent ToEvent(StreamEntry entry)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var value in entry.Values)
        {
            fields[(string)value.Name!] = (string?)value.Value ?? string.Empty;
        }
        return new TerminationEvent
        {
            Id = (string)entry.Id!,
            At = Text.UnixMs(fields.GetValueOrDefault("at")),
            SessionId = fields.GetValueOrDefault("session") ?? string.Empty,
            UserId = fields.GetValueOrDefault("user") ?? string.Empty,
            Reason = fields.GetValueOrDefault("reason") ?? string.Empty,
            Node = fields.GetValueOrDefault("node") ?? string.Empty,
            HandledBy = fields.GetValueOrDefault("handled_by") ?? string.Empty,
            CreatedAt = Text.UnixMs(fields.GetValueOrDefault("created")),
            ExpiresAt = Text.UnixMs(fields.GetValueOrDefault("expires")),
        };
    }
}
