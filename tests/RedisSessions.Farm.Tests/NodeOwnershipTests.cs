using RedisSessions.Farm.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace RedisSessions.Farm.Tests;

/// <summary>"Close the session when the window closes": each session records the node that created it; a
/// node with TerminateOnShutdown ends its own sessions when it stops cleanly; a node that crashes leaves its sessions
/// to expire, and they never block a new login.</summary>
[Collection(FarmCollection.Name)]
public sealed class NodeOwnershipTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_node_with_TerminateOnShutdown_ends_its_own_sessions_on_SIGTERM_and_other_nodes_keep_theirs()
    {
        await using var redis = await FarmRedis.StartAsync();
        await using var farm = await new SessionFarm(redis.Endpoint, output).ConnectAsync();
        await farm.StartListenerAsync("listener");
        var closing = farm.StartNode("web-a", "serve", redis.Endpoint, farm.Prefix, "alice", "50", "terminate-on-shutdown=true", "node=web-a");
        var staying = farm.StartNode("web-b", "serve", redis.Endpoint, farm.Prefix, "bob", "50", "node=web-b");
        await closing.WaitForOutputAsync("ready", TimeSpan.FromSeconds(60));
        await staying.WaitForOutputAsync("ready", TimeSpan.FromSeconds(60));
        var alice = closing.Output.Where(l => l.StartsWith("created ", StringComparison.Ordinal)).Select(l => l[8..]).ToList();
        Assert.Equal(50, alice.Count);

        closing.Terminate();
        staying.Terminate();
        Assert.Equal(0, await closing.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, await staying.WaitForExitAsync(TimeSpan.FromSeconds(30)));

        await Eventually.TrueAsync(() => CallbackRecord.CountLines(farm.CallbackFiles) >= 50, "the listener handled alice's sessions", TimeSpan.FromSeconds(30));
        var records = CallbackRecord.ReadAll(farm.CallbackFiles);
        Assert.Equal(alice.Order(StringComparer.Ordinal), records.Select(r => r.SessionId).Order(StringComparer.Ordinal));
        Assert.All(records, r => Assert.Equal("shutdown", r.Reason));
        Assert.All(records, r => Assert.Equal("web-a", r.Node));
        var manager = new SessionManager(farm.Redis, new SessionOptions { KeyPrefix = farm.Prefix, EnableAutoCleanup = false });
        Assert.Empty(await manager.GetUserSessionsAsync("alice"));
        var bob = await manager.GetUserSessionsAsync("bob");
        Assert.Equal(50, bob.Count);
        Assert.All(bob, s => Assert.Equal("web-b", s.Node));

        await farm.StopAllAsync();
    }

    [Fact]
    public async Task A_crashed_nodes_session_expires_and_does_not_block_the_next_login()
    {
        await using var redis = await FarmRedis.StartAsync();
        await using var farm = await new SessionFarm(redis.Endpoint, output).ConnectAsync();
        await farm.StartListenerAsync("listener");
        // One window per user; the node that opened carol's crashes without closing it.
        var crashing = farm.StartNode("web-c", "serve", redis.Endpoint, farm.Prefix, "carol", "1", "max=1", "policy=reject", "timeout=3000", "node=web-c");
        await crashing.WaitForOutputAsync("ready", TimeSpan.FromSeconds(60));
        var window = crashing.Output.Single(l => l.StartsWith("created ", StringComparison.Ordinal))[8..];
        await crashing.KillAsync();

        var options = new SessionOptions { KeyPrefix = farm.Prefix, EnableAutoCleanup = false, MaxSessionsPerUser = 1, LimitPolicy = SessionLimitPolicy.RejectNew, NodeName = "web-d" };
        var other = new SessionManager(farm.Redis, options);
        var live = await other.PeekSessionAsync(window);
        Assert.NotNull(live);
        Assert.Equal("web-c", live.Node);
        await Assert.ThrowsAsync<SessionLimitExceededException>(() => other.CreateSessionAsync("carol")); // still open: the limit holds

        await RedisTime.WaitUntilAsync(farm.Db, live.ExpiresAt); // the crashed window's time is up on Redis's clock
        var next = await other.CreateSessionAsync("carol");
        Assert.Equal("web-d", next.Node);

        await Eventually.TrueAsync(() => CallbackRecord.CountLines(farm.CallbackFiles) >= 1, "the listener handled the crashed window", TimeSpan.FromSeconds(30));
        var ended = Assert.Single(CallbackRecord.ReadAll(farm.CallbackFiles));
        Assert.Equal(window, ended.SessionId);
        Assert.Equal("expired", ended.Reason);
        Assert.Equal("web-c", ended.Node);

        await farm.StopAllAsync();
    }
}
