using RedisSessions.Keys;
using RedisSessions.Scripts;
using RedisSessions.Store;
using StackExchange.Redis;

namespace RedisSessions.Expiry;

/// <summary>
/// Writes the heartbeat of a process that handles terminations: <c>{prefix}:heartbeat:{node}</c>, a hash of node, host,
/// pid, started and last (Unix ms, Redis's clock) that lives three <see cref="SessionOptions.HeartbeatInterval"/>s, so a
/// listener that dies disappears by itself and one that stops cleanly removes it. The <c>redis-sessions</c> CLI lists
/// them.
/// </summary>
internal sealed class HeartbeatWriter
{
    private readonly RedisConnection _connection;
    private readonly KeySchema _keys;
    private readonly SessionOptions _options;
    private long _started;
    private int _written;

    public HeartbeatWriter(RedisConnection connection, KeySchema keys, SessionOptions options)
    {
        _connection = connection;
        _keys = keys;
        _options = options;
    }

    private RedisKey Key => _keys.Heartbeat(_options.NodeName);

    public async Task BeatAsync()
    {
        var db = (await _connection.GetAsync().ConfigureAwait(false)).GetDatabase();
        var ttl = (long)(_options.HeartbeatInterval.TotalMilliseconds * 3);
        var now = (long)await SessionScripts.WriteHeartbeat.EvaluateAsync(db, [Key],
            [_options.NodeName, Environment.MachineName, Environment.ProcessId, Interlocked.Read(ref _started), ttl]).ConfigureAwait(false);
        Interlocked.CompareExchange(ref _started, now, 0);
        Volatile.Write(ref _written, 1);
    }

    /// <summary>Deletes the heartbeat (clean stop). Best effort: if Redis is unreachable the key expires on its own.</summary>
    public async Task RemoveAsync()
    {
        if (Volatile.Read(ref _written) == 0 || _connection.Current is not { } redis)
        {
            return;
        }
        try
        {
            await redis.GetDatabase().KeyDeleteAsync(Key).ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisErrors.IsTransient(ex))
        {
        }
    }
}
