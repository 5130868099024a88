using RedisSessions.Farm.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace RedisSessions.Farm.Tests;

/// <summary>
/// App nodes whose wall clocks are wrong (an NTP daemon that died, a VM restored from a snapshot): run under Debian's
/// faketime at +45 s, +31 min and -60 s. Every decision about a session's time follows Redis's clock, so such a node
/// ends nothing early, takes no lease over early (nothing runs twice) and is never refused a login by a session whose
/// time is up on Redis's clock. Each test first checks the node's clock really is shifted (the node prints its
/// DateTime.UtcNow beside Redis's TIME).
/// </summary>
[Collection(FarmCollection.Name)]
public sealed class ClockSkewTests(ITestOutputHelper output)
{
    private static readonly (string Shift, long Ms)[] Skews = [("+45s", 45_000), ("+31m", 31 * 60_000), ("-60s", -60_000)];

    [Theory]
    [InlineData("standalone")]
    [InlineData("cluster")]
    public async Task App_nodes_45_s_or_31_min_fast_or_60_s_slow_end_no_session_early(string topology)
    {
        await using var redis = await FarmRedis.StartAsync(topology);
        await using var farm = await new SessionFarm(redis.Endpoint, output).ConnectAsync();
        // At each skew: a listener (callbacks; a full sweep every second beside the deadline schedule) and a web node
        // with the background sweep on that logs a user in 20 times with 30 s of inactivity and reads each back.
        var starting = Skews.SelectMany(skew => new[]
        {
            (Start: farm.StartSkewedListenerAsync($"listener{skew.Shift}", skew.Shift, "cleanup=1000"), skew.Ms),
            (Start: StartWebAsync(farm, redis.Endpoint, skew.Shift), skew.Ms),
        }).ToList();
        await Task.WhenAll(starting.Select(s => s.Start));
        var nodes = starting.Select(s => (Node: s.Start.Result, Skew: s.Ms)).ToList();
        AssertShifted(nodes);
        var webSessions = nodes.Where(n => n.Node.Name.StartsWith("web", StringComparison.Ordinal))
            .SelectMany(n => n.Node.Output.Where(l => l.StartsWith("created ", StringComparison.Ordinal)).Select(l => l[8..])).ToList();
        Assert.Equal(60, webSessions.Count);
        Assert.All(nodes.Where(n => n.Node.Name.StartsWith("web", StringComparison.Ordinal)), n =>
            Assert.Equal(20, n.Node.Output.Count(l => l.StartsWith("live ", StringComparison.Ordinal)))); // each read its own back

        // Created now by a node with a true clock: 30 s and 30 min of inactivity, shorter than what the fast nodes'
        // clocks are ahead by.
        var shortOnes = await farm.CreateSessionsAsync(100, TimeSpan.FromSeconds(30), userPrefix: "short-");
        var longOnes = await farm.CreateSessionsAsync(100, TimeSpan.FromMinutes(30), userPrefix: "long-");

        // Several sweeps, deadline refreshes and expiry-listener rounds on every skewed node.
        await RedisTime.WaitUntilAsync(farm.Db, await RedisTime.NowAsync(farm.Db) + 4000);
        var manager = new SessionManager(farm.Redis, new SessionOptions { KeyPrefix = farm.Prefix, EnableAutoCleanup = false });
        foreach (var id in longOnes.Keys)
        {
            Assert.NotNull(await manager.PeekSessionAsync(id));
        }
        // The shorter sessions (30 s) are live too unless their time has come meanwhile (a machine so busy that
        // this takes that long): any of them that ended did so at or after its expiry on Redis's clock.
        var early = new List<string>();
        var live = 0;
        foreach (var id in shortOnes.Keys.Concat(webSessions))
        {
            var fields = (await farm.Db.HashGetAllAsync($"{farm.Prefix}:{{{id[..3]}}}:session:{id}")).ToDictionary(f => (string)f.Name!, f => (string)f.Value!);
            if (!fields.TryGetValue("ended", out var ended))
            {
                live++;
            }
            else if (fields.TryGetValue("expires", out var expires) && long.Parse(ended) < long.Parse(expires))
            {
                early.Add($"{id}: {string.Join(", ", fields.Select(f => $"{f.Key}={f.Value}"))}");
            }
        }
        var callbacks = CallbackRecord.ReadAll(farm.CallbackFiles);
        output.WriteLine($"after 4 s of skewed nodes: {longOnes.Count} of {longOnes.Count} 30-minute sessions live, {live} of " +
            $"{shortOnes.Count + webSessions.Count} 30-second ones not ended; {callbacks.Count} ended, each at or after its time");
        Assert.True(early.Count == 0, $"{early.Count} sessions ended before their time, e.g. {string.Join(" | ", early.Take(5))}");
        Assert.All(callbacks, r => Assert.True(r.EndedMs >= r.ExpiresMs, $"{r.SessionId} ended at {r.EndedMs}, {r.ExpiresMs - r.EndedMs} ms before its expiry"));
        Assert.DoesNotContain(callbacks, r => longOnes.ContainsKey(r.SessionId));
        await farm.StopAllAsync();
    }

    private static async Task<FarmProcess> StartWebAsync(SessionFarm farm, string redis, string shift)
    {
        var web = farm.StartSkewedNode($"web{shift}", shift, "serve", redis, farm.Prefix, $"web{shift}", "20", "timeout=30000", "cleanup=1000", $"node=web{shift}");
        await web.WaitForOutputAsync("ready", TimeSpan.FromSeconds(90));
        return web;
    }

    [Theory]
    [InlineData("standalone")]
    [InlineData("cluster")]
    public async Task Nodes_45_s_fast_and_60_s_slow_beside_a_healthy_one_run_no_slow_termination_twice(string topology)
    {
        await using var redis = await FarmRedis.StartAsync(topology);
        await using var farm = await new SessionFarm(redis.Endpoint, output).ConnectAsync();
        // Callbacks of 200 ms, one at a time per process, 2 s leases (see SlowHandlerTests): leases outlive their
        // first deadline and are renewed. A node that judged a lease by its own clock would take over the healthy
        // node's (+45 s) or have its own taken over (-60 s).
        string[] handler = ["claim=2000", "work=200", "parallel=1", "stream=50000"];
        var nodes = new List<(FarmProcess Node, long Skew)>
        {
            (await farm.StartListenerAsync("healthy", handler), 0),
            (await farm.StartSkewedListenerAsync("fast+45s", "+45s", handler), 45_000),
            (await farm.StartSkewedListenerAsync("slow-60s", "-60s", handler), -60_000),
        };
        AssertShifted(nodes);

        var sessions = await farm.CreateSessionsAsync(200, TimeSpan.FromSeconds(3));
        await Eventually.TrueAsync(() => CallbackRecord.CountLines(farm.CallbackFiles) >= sessions.Count, "every session reached a callback",
            TimeSpan.FromSeconds(90), () => $"{CallbackRecord.CountLines(farm.CallbackFiles)} so far");
        await Eventually.TrueAsync(farm.AllSettledAsync, "no session or pending termination is left in Redis", TimeSpan.FromSeconds(30));
        await farm.StopAllAsync();

        var delivery = Delivery.Of(sessions, farm.CallbackFiles);
        delivery.AssertExactlyOnce(output);
        Assert.All(delivery.Records, r => Assert.Equal(1, r.Attempt));
        Assert.All(delivery.Records, r => Assert.Equal("expired", r.Reason));
        Assert.True(delivery.Records.Select(r => r.Listener).Distinct().Count() >= 2, "the skewed nodes take their share");
        // None ended before its time on Redis's clock (handling times are on Redis's clock as each node measured it).
        Assert.All(delivery.Records, r => Assert.True(r.LatencyMs >= -100, $"{r.SessionId} handled {-r.LatencyMs} ms before its deadline by {r.Listener}"));
        Assert.DoesNotContain(nodes.SelectMany(n => n.Node.Errors), l => l.Contains("LeaseTakenOver", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("standalone")]
    [InlineData("cluster")]
    public async Task A_node_60_s_slow_is_not_refused_a_login_by_a_session_whose_time_is_up_on_Redis_s_clock(string topology)
    {
        await using var redis = await FarmRedis.StartAsync(topology);
        await using var farm = await new SessionFarm(redis.Endpoint, output).ConnectAsync();
        var go = farm.PathOf("go");
        // One session per user (RejectNew), 2 s of inactivity.
        var node = farm.StartSkewedNode("web-60s", "-60s", "skewed-login", redis.Endpoint, farm.Prefix, "rita", "2000", go);
        await node.WaitForOutputAsync(l => l.StartsWith("second-while-live ", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        AssertShifted([(node, -60_000)]);
        Assert.Contains("second-while-live rejected", node.Output); // the limit holds while the first session lives
        var first = node.Output.Single(l => l.StartsWith("created ", StringComparison.Ordinal)).Split(' ');
        var expires = long.Parse(first[2], System.Globalization.CultureInfo.InvariantCulture);

        // Its time is up on Redis's clock, while the node's clock says it has a minute left.
        await RedisTime.WaitUntilAsync(farm.Db, expires + 50);
        await File.WriteAllTextAsync(go, "go");
        Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        output.WriteLine(string.Join(Environment.NewLine, node.Output));
        Assert.Contains("read gone", node.Output); // not served from this node's view of the clock
        Assert.Single(node.Output, l => l.StartsWith("second-after-expiry created ", StringComparison.Ordinal));
    }

    /// <summary>Each node's clock is off Redis's by its skew (within 5 s: the two readings are a round trip apart, and
    /// Redis runs on this machine's true clock).</summary>
    private void AssertShifted(IEnumerable<(FarmProcess Node, long Skew)> nodes)
    {
        foreach (var (node, skew) in nodes)
        {
            var (local, redisNow) = node.Clock;
            output.WriteLine($"{node.Name}: its clock reads {local - redisNow:+#;-#;0} ms from Redis's (expected {skew:+#;-#;0})");
            Assert.InRange(local - redisNow - skew, -5000, 5000);
        }
    }
}
