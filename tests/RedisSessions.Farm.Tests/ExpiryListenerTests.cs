using RedisSessions.Farm.Tests.Infrastructure;
using RedisSessions.LocalRedis;
using StackExchange.Redis;
using Xunit;
using Xunit.Abstractions;

namespace RedisSessions.Farm.Tests;

/// <summary>
/// The two slower paths on their own: the keyspace-event listener (on every master of a cluster, where events are
/// node-local) and the sweep (when the server publishes no events at all). The deadline schedule is switched off
/// here (refresh=0), so what arrives arrived by the path under test.
/// </summary>
[Collection(FarmCollection.Name)]
public sealed class ExpiryListenerTests(ITestOutputHelper output)
{
    private const int Sessions = 10_000;

    [Fact]
    public async Task On_a_3_master_cluster_expirations_from_every_master_reach_the_listeners()
    {
        // Local processes: a cluster can't run behind Docker's port publishing (tests/Shared/Redis/RedisFixtures.cs).
        await using var cluster = await RedisClusterProcess.StartAsync(3);
        await using var farm = await new SessionFarm(cluster.Configuration, output).ConnectAsync();
        // Keyspace events only: no deadline schedule, no sweep during the test (one at start, before any session).
        var listeners = new List<FarmProcess>();
        for (var i = 1; i <= 2; i++)
        {
            listeners.Add(await farm.StartListenerAsync($"listener-{i}", "refresh=0", "cleanup=3600000", "grace=7200000", "stream=50000"));
        }
        foreach (var listener in listeners)
        {
            await listener.WaitForErrorAsync(l => l.Contains("Listening for expired keys on 3 primary node(s)", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        }

        var sessions = await farm.CreateSessionsAsync(Sessions, TimeSpan.FromSeconds(3));

        await Eventually.TrueAsync(() => CallbackRecord.CountLines(farm.CallbackFiles) >= Sessions, "every session reached a callback",
            TimeSpan.FromSeconds(120), () => $"{CallbackRecord.CountLines(farm.CallbackFiles)} so far");
        await Eventually.TrueAsync(farm.AllSettledAsync, "no session or claim is left in Redis", TimeSpan.FromSeconds(30));
        var delivery = Delivery.Of(sessions, farm.CallbackFiles);
        delivery.AssertExactlyOnce(output);

        // Where each session lived: every master had expirations, and they all arrived. A session's tag, and so the
        // wake key whose expired event wakes its sweep, lives on the master that owns the tag's slot.
        var perMaster = sessions.Keys.GroupBy(id => MasterOf(farm.Redis, WakeKey(farm, id))).ToDictionary(g => g.Key, g => g.Count());
        foreach (var (master, count) in perMaster.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"  sessions on {master}: {count}, delivered: {sessions.Keys.Count(id => MasterOf(farm.Redis, WakeKey(farm, id)) == master && delivery.BySession.ContainsKey(id))}");
        }
        Assert.Equal(cluster.Masters.Select(m => m.Endpoint).Order(StringComparer.Ordinal), perMaster.Keys.Order(StringComparer.Ordinal));
        Assert.All(perMaster.Values, count => Assert.True(count > 1000));
        output.WriteLine($"expired event -> callback: p50 {delivery.LatencyPercentile(50)} ms, p99 {delivery.LatencyPercentile(99)} ms (Redis's expiry cycle, not the schedule)");

        await farm.StopAllAsync();
    }

    [Fact]
    public async Task After_a_cluster_failover_the_listener_follows_the_promoted_replica_and_nothing_is_lost()
    {
        // Local processes: a cluster can't run behind Docker's port publishing (tests/Shared/Redis/RedisFixtures.cs).
        await using var cluster = await RedisClusterProcess.StartAsync(3);
        var failing = cluster.Masters[0];
        await using var replica = await AddReplicaAsync(failing);
        await using var farm = await new SessionFarm(cluster.Configuration, output).ConnectAsync();
        var listeners = new List<FarmProcess>();
        for (var i = 1; i <= 2; i++)
        {
            listeners.Add(await farm.StartListenerAsync($"listener-{i}", "refresh=0", "cleanup=3600000", "grace=7200000", "stream=50000"));
        }
        foreach (var listener in listeners)
        {
            await listener.WaitForErrorAsync(l => l.Contains("Listening for expired keys on 3 primary node(s)", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        }
        var sessions = await farm.CreateSessionsAsync(3000, TimeSpan.FromSeconds(8));
        await RedisTools.RunCliAsync("-p", failing.Port.ToString(), "wait", "1", "5000"); // the replica has every write

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await failing.KillAsync(); // the replica takes over after cluster-node-timeout (2 s)

        foreach (var listener in listeners)
        {
            await listener.WaitForErrorAsync(l => l.Contains("Listening for expired keys", StringComparison.Ordinal) && l.Contains(replica.Endpoint, StringComparison.Ordinal),
                TimeSpan.FromSeconds(60));
        }
        output.WriteLine($"listeners follow the promoted replica {clock.Elapsed.TotalSeconds:0.0} s after the kill");
        await Eventually.TrueAsync(() => CallbackRecord.CountLines(farm.CallbackFiles) >= sessions.Count, "every session reached a callback",
            TimeSpan.FromSeconds(90), () => $"{CallbackRecord.CountLines(farm.CallbackFiles)} so far");
        output.WriteLine($"all delivered {clock.Elapsed.TotalSeconds:0.0} s after the kill");
        Delivery.Of(sessions, farm.CallbackFiles).AssertExactlyOnce(output);

        await farm.StopAllAsync();
        output.WriteLine($"listeners stopped {clock.Elapsed.TotalSeconds:0.0} s after the kill");
    }

    /// <summary>Starts a cluster node and makes it a replica of <paramref name="master"/>, in sync.</summary>
    private static async Task<RedisServerProcess> AddReplicaAsync(RedisServerProcess master)
    {
        var replica = await RedisServerProcess.StartAsync("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000");
        var masterId = (await RedisTools.RunCliAsync("-p", master.Port.ToString(), "cluster", "myid")).Trim();
        await RedisTools.RunCliAsync("--cluster", "add-node", replica.Endpoint, master.Endpoint, "--cluster-slave", "--cluster-master-id", masterId);
        await Eventually.TrueAsync(async () => (await RedisTools.RunCliAsync("-p", replica.Port.ToString(), "info", "replication")).Contains("master_link_status:up", StringComparison.Ordinal),
            "the replica is in sync", TimeSpan.FromSeconds(30));
        await Eventually.TrueAsync(async () => (await RedisTools.RunCliAsync("-p", master.Port.ToString(), "cluster", "nodes")).Contains(replica.Endpoint, StringComparison.Ordinal),
            "the cluster knows the replica", TimeSpan.FromSeconds(30));
        return replica;
    }

    [Fact]
    public async Task With_notifications_off_at_the_server_the_sweep_still_delivers_everything_and_the_listener_says_how_to_fix_it()
    {
        await using var redis = await FarmRedis.StartAsync("--notify-keyspace-events", "");
        await using var farm = await new SessionFarm(redis.Endpoint, output).ConnectAsync();
        var listeners = new List<FarmProcess>();
        for (var i = 1; i <= 2; i++)
        {
            listeners.Add(await farm.StartListenerAsync($"listener-{i}", "refresh=0", "cleanup=1000", "stream=50000"));
        }
        foreach (var listener in listeners)
        {
            await listener.WaitForErrorAsync(l => l.Contains("notify-keyspace-events Ex' to redis.conf", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        }

        var sessions = await farm.CreateSessionsAsync(Sessions, TimeSpan.FromSeconds(2));

        await Eventually.TrueAsync(() => CallbackRecord.CountLines(farm.CallbackFiles) >= Sessions, "every session reached a callback",
            TimeSpan.FromSeconds(90), () => $"{CallbackRecord.CountLines(farm.CallbackFiles)} so far");
        await Eventually.TrueAsync(farm.AllSettledAsync, "no session or claim is left in Redis", TimeSpan.FromSeconds(30));
        var delivery = Delivery.Of(sessions, farm.CallbackFiles);
        delivery.AssertExactlyOnce(output);
        // Nothing is left behind in any index when events are off: no tag keeps a user index, a due entry, a pending
        // termination, a wake key or a count. What stays is each session's notice of why it ended ({ended, reason}),
        // which lives TerminationNoticePeriod (5 min) so a web app can tell the user.
        var left = await ScanAsync(farm, $"{farm.Prefix}:{{*}}:*");
        Assert.DoesNotContain(left, k => !k.Contains(":session:", StringComparison.Ordinal));
        Assert.Equal(Sessions, left.Count);
        foreach (var key in left.Take(200))
        {
            Assert.Equal(["ended", "reason"], (await farm.Db.HashKeysAsync(key)).Select(f => (string)f!).Order(StringComparer.Ordinal));
            Assert.InRange((await farm.Db.KeyTimeToLiveAsync(key))!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5));
        }
        Assert.Equal(0, (await farm.StatsAsync()).UniqueUsers);

        await farm.StopAllAsync();
    }

    [Fact]
    public async Task ConfigureKeyspaceNotifications_turns_expired_events_on_and_again_after_a_Redis_restart()
    {
        // A redis-server process, not a container: it is restarted at the same address (FarmRedis says why).
        await using var redis = await RedisServerProcess.StartAsync("--notify-keyspace-events", "K$");
        await using var farm = await new SessionFarm(redis.Endpoint, output).ConnectAsync();
        var server = farm.Redis.GetServer(farm.Redis.GetEndPoints()[0]);
        var listener = await farm.StartListenerAsync("listener", "configure-notifications=true");

        await Eventually.TrueAsync(async () => Flags(await RedisTools.RunCliAsync("-p", redis.Port.ToString(), "config", "get", "notify-keyspace-events")) is var f
            && f.Contains('E', StringComparison.Ordinal) && f.Contains('x', StringComparison.Ordinal) && f.Contains('K', StringComparison.Ordinal),
            "the listener turned expired events on (keeping the flags already set)", TimeSpan.FromSeconds(30));
        await listener.WaitForErrorAsync(l => l.Contains("Turned keyspace notifications for expired keys on", StringComparison.Ordinal), TimeSpan.FromSeconds(10));

        await redis.RestartAsync(); // the restarted server starts with "K$" again
        await Eventually.TrueAsync(async () => Flags(await RedisTools.RunCliAsync("-p", redis.Port.ToString(), "config", "get", "notify-keyspace-events")).Contains('x', StringComparison.Ordinal),
            "the listener turned them on again after the restart", TimeSpan.FromSeconds(30));

        await farm.StopAllAsync();
    }

    private static string Flags(string configGetOutput) => configGetOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).FirstOrDefault()?.Trim() ?? "";

    private static string WakeKey(SessionFarm farm, string sessionId) => $"{farm.Prefix}:{{{sessionId[..3]}}}:wake";

    private static string MasterOf(IConnectionMultiplexer redis, string key)
    {
        var slot = redis.HashSlot(key);
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var node = server.ClusterConfiguration!.GetBySlot(slot)!;
        return node.EndPoint is System.Net.IPEndPoint ip ? $"{ip.Address}:{ip.Port}" : node.EndPoint!.ToString()!;
    }

    private static async Task<List<string>> ScanAsync(SessionFarm farm, string pattern)
    {
        var keys = new List<string>();
        foreach (var endpoint in farm.Redis.GetEndPoints())
        {
            await Task.Yield();
            keys.AddRange(farm.Redis.GetServer(endpoint).Keys(0, pattern, pageSize: 1000).Select(k => (string)k!));
        }
        return keys;
    }
}
