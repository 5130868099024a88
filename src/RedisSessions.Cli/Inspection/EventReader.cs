using RedisSessions.Cli.Connection;
using RedisSessions.Cli.Output;
using StackExchange.Redis;

namespace RedisSessions.Cli.Inspection;

/// <summary>Reads the termination stream with XREVRANGE / XRANGE (through a script, so it routes by key on a cluster
/// with StackExchange.Redis 1.2.6, which has no stream API). Never a blocking XREAD: following polls.</summary>
internal sealed class EventReader
{
    private readonly CliContext _context;

    public EventReader(CliContext context) => _context = context;

    /// <summary>The newest <paramref name="count"/> events, oldest first.</summary>
    public async Task<List<TerminationEvent>> LatestAsync(int count)
    {
        var events = await ReadAsync("rev", count, "0-0");
        events.Reverse();
        return events;
    }

    /// <summary>Up to <paramref name="count"/> events after <paramref name="lastId"/>, oldest first.</summary>
    public Task<List<TerminationEvent>> AfterAsync(string lastId, int count) => ReadAsync("after", count, lastId);

    private async Task<List<TerminationEvent>> ReadAsync(string mode, int count, string lastId)
    {
        var result = (RedisResult[])(await CliScripts.ReadEvents.EvaluateAsync(_context.Db, [_context.Keys.Events], [mode, count, lastId]))!;
        var events = new List<TerminationEvent>(result.Length);
        foreach (var entry in result)
        {
            var parts = (RedisResult[])entry!;
            var flat = (RedisResult[])parts[1]!;
            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i + 1 < flat.Length; i += 2)
            {
                fields[(string)flat[i]!] = (string?)flat[i + 1] ?? string.Empty;
            }
            events.Add(new TerminationEvent
            {
                Id = (string)parts[0]!,
                At = Text.UnixMs(fields.GetValueOrDefault("at")),
                SessionId = fields.GetValueOrDefault("session") ?? string.Empty,
                UserId = fields.GetValueOrDefault("user") ?? string.Empty,
                Reason = fields.GetValueOrDefault("reason") ?? string.Empty,
                Node = fields.GetValueOrDefault("node") ?? string.Empty,
                HandledBy = fields.GetValueOrDefault("handled_by") ?? string.Empty,
                CreatedAt = Text.UnixMs(fields.GetValueOrDefault("created")),
                ExpiresAt = Text.UnixMs(fields.GetValueOrDefault("expires")),
            });
        }
        return events;
    }
}
