using RedisSessions.Internal;
using StackExchange.Redis;

namespace RedisSessions.Hosting;

/// <summary>
/// Writes the heartbeat of a listening process: <c>{prefix}:heartbeat:{node}</c>, a hash of node, host, pid, started
/// and last (Unix ms) that lives three <see cref="SessionOptions.HeartbeatInterval"/>s, so a listener that dies
/// disappears by itself and one that stops cleanly removes it. <c>redis-sessions</c> (the CLI) lists them.
/// </summary>
internal sealed class HeartbeatWriter
{
    /// <summary>KEYS: 1 heartbeat. ARGV: 1 node, 2 host, 3 pid, 4 started, 5 last, 6 TTL ms.</summary>
    internal const string BeatScript = """
        redis.call('HSET', KEYS[1], 'node', ARGV[1], 'host', ARGV[2], 'pid', ARGV[3], 'started', ARGV[4], 'last', ARGV[5])
        redis.call('PEXPIRE', KEYS[1], ARGV[6])
        return 1
        """;

    private readonly SessionManager _manager;
    private long _started;
    private int _written;

    public HeartbeatWriter(SessionManager manager) => _manager = manager;

    private RedisKey Key => _manager.Keys.Heartbeat(_manager.Settings.NodeName);

    public async Task BeatAsync()
    {
        var now = _manager.NowMs;
        if (_started == 0)
        {
            _started = now;
        }
        var ttl = (long)(_manager.Settings.HeartbeatInterval.TotalMilliseconds * 3);
        await _manager.Db.ScriptEvaluateAsync(BeatScript, [Key],
            [_manager.Settings.NodeName, Environment.MachineName, Environment.ProcessId, _started, now, ttl]).ConfigureAwait(false);
        Volatile.Write(ref _written, 1);
    }

    /// <summary>Deletes the heartbeat (clean stop). Best effort: if Redis is unreachable the key expires on its own.</summary>
    public async Task RemoveAsync()
    {
        if (Volatile.Read(ref _written) == 0)
        {
            return;
        }
        try
        {
            await _manager.Db.KeyDeleteAsync(Key).ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisConnector.IsUnavailable(ex) || ex is RedisException)
        {
        }
    }
}
