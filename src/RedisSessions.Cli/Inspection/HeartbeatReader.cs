using RedisSessions.Cli.Connection;
using RedisSessions.Cli.Output;
using StackExchange.Redis;

namespace RedisSessions.Cli.Inspection;

/// <summary>Finds listener heartbeats: heartbeat keys carry no hash tag, so on a cluster they are spread over the
/// masters; each master is asked with SCAN MATCH <c>{prefix}:heartbeat:*</c> (never KEYS).</summary>
internal static class HeartbeatReader
{
    public static async Task<List<Heartbeat>> ReadAsync(CliContext context, CancellationToken cancellationToken)
    {
        var pattern = context.Keys.Prefix + ":heartbeat:*";
        var database = context.Db.Database;
        var keys = new List<RedisKey>();
        foreach (var server in context.Masters)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await foreach (var key in server.KeysAsync(database, pattern, pageSize: 1000).WithCancellation(cancellationToken))
            {
                keys.Add(key);
            }
        }
        var db = context.Db;
        var reads = keys.Distinct().Select(async key => (Key: key, Fields: await db.HashGetAllAsync(key), Ttl: await db.KeyTimeToLiveAsync(key))).ToList();
        var beats = new List<Heartbeat>();
        foreach (var read in reads)
        {
            var (key, fields, ttl) = await read;
            if (fields.Length == 0)
            {
                continue; // expired between SCAN and HGETALL
            }
            var map = fields.ToDictionary(f => (string)f.Name!, f => (string?)f.Value ?? string.Empty, StringComparer.Ordinal);
            var name = (string)key!;
            beats.Add(new Heartbeat(
                name,
                map.GetValueOrDefault("node") ?? name[(context.Keys.Prefix.Length + ":heartbeat:".Length)..],
                map.GetValueOrDefault("host") ?? string.Empty,
                map.GetValueOrDefault("pid") ?? string.Empty,
                Text.UnixMs(map.GetValueOrDefault("started")),
                Text.UnixMs(map.GetValueOrDefault("last")),
                ttl));
        }
        return beats.OrderBy(b => b.Node, StringComparer.Ordinal).ToList();
    }
}
