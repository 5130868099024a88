using RedisSessions.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit;

namespace RedisSessions.Tests;

public abstract class LifecycleTests(RedisFixture redis) : SessionTestBase(redis)
{
    [Fact]
    public async Task Created_session_is_returned_with_user_data_and_times_from_any_manager()
    {
        var prefix = NewPrefix();
        await using var serverA = NewManager(prefix);
        await using var serverB = NewManager(prefix);

        var created = await serverA.CreateSessionAsync("alice", new Dictionary<string, string> { ["theme"] = "dark", ["cart"] = "3 items" });
        var loaded = await serverB.GetSessionAsync(created.SessionId);

        Assert.NotNull(loaded);
        Assert.Equal("alice", loaded.UserId);
        Assert.Equal("dark", loaded.GetData("theme"));
        Assert.Equal("3 items", loaded.GetData("cart"));
        Assert.Null(loaded.GetData("missing"));
        Assert.Equal("fallback", loaded.GetData("missing", "fallback"));
        Assert.Equal(created.CreatedAt, loaded.CreatedAt);
        Assert.True(loaded.IsActive);
        Assert.Equal(TimeSpan.FromMinutes(30), created.ExpiresAt - created.CreatedAt);
    }

    [Fact]
    public async Task Loading_for_use_slides_the_expiry_and_peeking_does_not()
    {
        var prefix = NewPrefix();
        var clock = new ManualClock();
        await using var manager = NewManager(prefix, o => o.InactiveTimeout = TimeSpan.FromMinutes(10), clock);
        var session = await manager.CreateSessionAsync("bob");

        clock.Advance(TimeSpan.FromMinutes(4));
        var peeked = await manager.PeekSessionAsync(session.SessionId);
        Assert.Equal(session.ExpiresAt, peeked!.ExpiresAt);

        var used = await manager.GetSessionAsync(session.SessionId);
        Assert.Equal(clock.GetUtcNow().AddMinutes(10).ToUnixTimeMilliseconds(), used!.ExpiresAt.ToUnixTimeMilliseconds());
        Assert.Equal(clock.GetUtcNow().ToUnixTimeMilliseconds(), used.LastActivity.ToUnixTimeMilliseconds());

        // Redis holds the same expiry: created + e in the hash, and the hash's TTL moved with it (expiry + retention).
        var fields = (await Db.HashGetAllAsync(SessionKey(prefix, session.SessionId))).ToDictionary(f => (string)f.Name!, f => (string)f.Value!);
        Assert.Equal(used.ExpiresAt.ToUnixTimeMilliseconds(), long.Parse(fields["c"]) + long.Parse(fields["e"]));
        var ttl = await Db.KeyTimeToLiveAsync(SessionKey(prefix, session.SessionId));
        var retention = manager.Options.TerminatedSessionRetention;
        Assert.InRange(ttl!.Value, retention + TimeSpan.FromMinutes(13.5), retention + TimeSpan.FromMinutes(14.1)); // real clock is 4 min behind the manual one

        // Still alive 9 minutes after the last use, 14 after creation: the expiry slid.
        clock.Advance(TimeSpan.FromMinutes(9));
        Assert.NotNull(await manager.GetSessionAsync(session.SessionId));
    }

    [Fact]
    public async Task Reads_within_the_activity_resolution_are_plain_reads_and_later_ones_slide()
    {
        var prefix = NewPrefix();
        var clock = new ManualClock();
        await using var manager = NewManager(prefix, o => { o.InactiveTimeout = TimeSpan.FromMinutes(30); o.ActivityResolution = TimeSpan.FromSeconds(18); }, clock);
        var session = await manager.CreateSessionAsync("carol");

        clock.Advance(TimeSpan.FromSeconds(10));
        var early = await manager.GetSessionAsync(session.SessionId);
        Assert.Equal(session.ExpiresAt, early!.ExpiresAt);

        clock.Advance(TimeSpan.FromSeconds(10));
        var later = await manager.GetSessionAsync(session.SessionId);
        Assert.Equal(session.ExpiresAt.AddSeconds(20), later!.ExpiresAt);
    }

    [Fact]
    public async Task Expired_session_is_never_returned_and_no_late_write_brings_it_back()
    {
        var prefix = NewPrefix();
        var clock = new ManualClock();
        await using var manager = NewManager(prefix, o => o.InactiveTimeout = TimeSpan.FromMinutes(5), clock);
        var session = await manager.CreateSessionAsync("dave", new Dictionary<string, string> { ["k"] = "v" });

        clock.Advance(TimeSpan.FromMinutes(5));

        // Redis still has the key (its TTL includes the retention for handlers); the session is over all the same.
        Assert.True(await Db.KeyExistsAsync(SessionKey(prefix, session.SessionId)));
        Assert.Null(await manager.PeekSessionAsync(session.SessionId));
        Assert.False(await manager.UpdateSessionActivityAsync(session.SessionId));
        await Assert.ThrowsAsync<SessionException>(() => session.SetDataAsync("k", "late"));
        Assert.Null(await manager.GetSessionAsync(session.SessionId));
        Assert.False(session.IsActive);
        Assert.Empty(await manager.GetUserSessionsAsync("dave"));
        Assert.False(await Db.KeyExistsAsync(SessionKey(prefix, session.SessionId)));
    }

    [Fact]
    public async Task Absolute_timeout_ends_a_busy_session()
    {
        var prefix = NewPrefix();
        var clock = new ManualClock();
        var recorder = new TerminationRecorder();
        await using var manager = NewManager(prefix, o => { o.InactiveTimeout = TimeSpan.FromMinutes(10); o.AbsoluteTimeout = TimeSpan.FromMinutes(25); }, clock);
        using var _ = manager.RegisterTerminationCallback(recorder.Record);
        var session = await manager.CreateSessionAsync("erin");

        for (var i = 0; i < 4; i++)
        {
            clock.Advance(TimeSpan.FromMinutes(6));
            Assert.True(await session.UpdateActivityAsync(), $"still alive after {(i + 1) * 6} min of activity");
        }
        Assert.Equal(session.CreatedAt.AddMinutes(25), session.ExpiresAt);

        clock.Advance(TimeSpan.FromMinutes(2)); // 26 min after creation, 2 min after the last activity
        Assert.Null(await manager.GetSessionAsync(session.SessionId));
        var ended = Assert.Single(recorder.Seen);
        Assert.Equal(TerminationReason.AbsoluteTimeout, ended.Reason);
    }

    [Fact]
    public async Task Data_set_and_removed_through_the_session_is_seen_by_every_server()
    {
        var prefix = NewPrefix();
        await using var serverA = NewManager(prefix);
        await using var serverB = NewManager(prefix);
        var session = await serverA.CreateSessionAsync("frank", new Dictionary<string, string> { ["a"] = "1" });

        await session.SetDataAsync("b", "2");
        Assert.True(await session.RemoveDataAsync("a"));
        Assert.True(await serverA.SetSessionDataAsync(session.SessionId, new Dictionary<string, string> { ["c"] = "3", ["d"] = "4" }));

        var seen = await serverB.GetSessionAsync(session.SessionId);
        Assert.Equal(new Dictionary<string, string> { ["b"] = "2", ["c"] = "3", ["d"] = "4" }, seen!.Data);
        Assert.Equal("2", session.GetData("b"));
        Assert.Null(session.GetData("a"));

        // The object keeps its own changes through later calls that answer with the expiry only.
        await session.SetDataAsync("e", "5");
        Assert.True(await session.UpdateActivityAsync());
        await session.SetDataAsync("f", "6");
        Assert.Equal(new Dictionary<string, string> { ["b"] = "2", ["e"] = "5", ["f"] = "6" }, session.Data);
    }

    [Fact]
    public async Task User_sessions_lists_only_live_sessions_of_that_user()
    {
        var prefix = NewPrefix();
        var clock = new ManualClock();
        await using var manager = NewManager(prefix, o => o.InactiveTimeout = TimeSpan.FromMinutes(5), clock);
        var old = await manager.CreateSessionAsync("gina");
        clock.Advance(TimeSpan.FromMinutes(3));
        var fresh = await manager.CreateSessionAsync("gina");
        await manager.CreateSessionAsync("harry");
        clock.Advance(TimeSpan.FromMinutes(3)); // old is past its time, fresh is not

        var listed = await manager.GetUserSessionsAsync("gina");

        Assert.Equal([fresh.SessionId], listed.Select(s => s.SessionId));
        Assert.DoesNotContain(old.SessionId, listed.Select(s => s.SessionId));
    }

    [Fact]
    public async Task Rotating_the_id_keeps_user_data_and_index_entry_and_kills_the_old_id()
    {
        var prefix = NewPrefix();
        var recorder = new TerminationRecorder();
        await using var manager = NewManager(prefix);
        using var _ = manager.RegisterTerminationCallback(recorder.Record);
        var session = await manager.CreateSessionAsync("ivy", new Dictionary<string, string> { ["role"] = "admin" });

        var rotated = await manager.RotateSessionIdAsync(session.SessionId);

        Assert.NotEqual(session.SessionId, rotated.SessionId);
        Assert.Null(await manager.GetSessionAsync(session.SessionId));
        Assert.False(await manager.UpdateSessionActivityAsync(session.SessionId));
        var loaded = await manager.GetSessionAsync(rotated.SessionId);
        Assert.Equal("admin", loaded!.GetData("role"));
        Assert.Equal(session.CreatedAt, loaded.CreatedAt);
        Assert.Equal([rotated.SessionId], (await manager.GetUserSessionsAsync("ivy")).Select(s => s.SessionId));
        Assert.Empty(recorder.Seen);
        await Assert.ThrowsAsync<SessionException>(() => manager.RotateSessionIdAsync(session.SessionId));
    }

    [Fact]
    public async Task Stats_count_live_sessions_and_users_across_the_store()
    {
        var prefix = NewPrefix();
        var clock = new ManualClock();
        await using var manager = NewManager(prefix, o => o.InactiveTimeout = TimeSpan.FromMinutes(5), clock);
        for (var user = 0; user < 7; user++)
        {
            for (var s = 0; s <= user % 3; s++)
            {
                await manager.CreateSessionAsync($"user{user}");
            }
        }
        var stats = await manager.GetStatsAsync();
        Assert.Equal(13, stats.TotalActiveSessions); // users 0..6 have 1,2,3,1,2,3,1 sessions
        Assert.Equal(7, stats.UniqueUsers);
        Assert.Equal(13, stats.SessionsCreatedByThisNode);
        Assert.False(stats.AutoCleanupRunning);

        await manager.TerminateUserSessionsAsync("user2");
        clock.Advance(TimeSpan.FromMinutes(6));
        var later = await manager.GetStatsAsync();
        Assert.Equal(0, later.TotalActiveSessions);
        Assert.Equal(10, later.OverdueSessions);
        Assert.Equal(10, await manager.CleanupInactiveSessionsAsync());
        var swept = await manager.GetStatsAsync();
        Assert.Equal(0, swept.UniqueUsers);
        Assert.Equal(0, swept.OverdueSessions);
    }

    [Fact]
    public async Task A_sweep_past_a_session_s_first_deadline_keeps_it_when_it_slid_and_ends_it_at_the_real_one()
    {
        var prefix = NewPrefix();
        var clock = new ManualClock();
        var recorder = new TerminationRecorder();
        await using var manager = NewManager(prefix, o => o.InactiveTimeout = TimeSpan.FromMinutes(5), clock);
        using var _ = manager.RegisterTerminationCallback(recorder.Record);
        var session = await manager.CreateSessionAsync("walt");

        clock.Advance(TimeSpan.FromMinutes(4));
        Assert.NotNull(await manager.GetSessionAsync(session.SessionId)); // slides to minute 9
        clock.Advance(TimeSpan.FromMinutes(2)); // minute 6: past the first deadline, not the real one
        Assert.Equal(0, await manager.CleanupInactiveSessionsAsync());
        Assert.NotNull(await manager.PeekSessionAsync(session.SessionId));
        Assert.Empty(recorder.Seen);

        clock.Advance(TimeSpan.FromMinutes(3)); // minute 9
        Assert.Equal(1, await manager.CleanupInactiveSessionsAsync());
        Assert.Equal(TerminationReason.Expired, Assert.Single(recorder.Seen).Reason);
        Assert.Null(await manager.PeekSessionAsync(session.SessionId));
    }

    [Fact]
    public async Task Rotating_a_session_whose_index_entry_was_lost_by_hand_lists_it_again()
    {
        var prefix = NewPrefix();
        await using var manager = NewManager(prefix);
        var session = await manager.CreateSessionAsync("yuri");
        await Db.HashDeleteAsync($"{prefix}:{{{Bucket(session.SessionId)}}}:users", "yuri");
        Assert.Empty(await manager.GetUserSessionsAsync("yuri"));

        var rotated = await manager.RotateSessionIdAsync(session.SessionId);
        Assert.Equal([rotated.SessionId], (await manager.GetUserSessionsAsync("yuri")).Select(s => s.SessionId));
        Assert.Equal(1, await manager.TerminateUserSessionsAsync("yuri"));
    }

    [Fact]
    public async Task A_node_that_ends_its_sessions_on_shutdown_forgets_the_ones_that_ended_elsewhere()
    {
        var prefix = NewPrefix();
        await using var node = NewManager(prefix, o => o.TerminateOnShutdown = true);
        await using var other = NewManager(prefix);
        var ended = new List<string>();
        for (var i = 0; i < 1100; i++)
        {
            ended.Add((await node.CreateSessionAsync($"gone{i}")).SessionId);
        }
        foreach (var id in ended)
        {
            Assert.True(await other.TerminateSessionAsync(id)); // logouts served by another server
        }
        var live = new List<string>();
        for (var i = 0; i < 1000; i++)
        {
            live.Add((await node.CreateSessionAsync($"here{i}")).SessionId);
        }

        // Tracking 2,100 ids made the set double since its last check: the 1,100 that ended elsewhere are dropped.
        await Eventually.TrueAsync(() => node.TrackedOwnSessions == live.Count, "the node tracks only its live sessions",
            TimeSpan.FromSeconds(20), () => $"{node.TrackedOwnSessions} tracked");
        await node.ShutdownAsync();
        foreach (var id in live)
        {
            Assert.Null(await other.PeekSessionAsync(id)); // and still ends every one of them on shutdown
        }
    }

    [Fact]
    public async Task Operations_keep_working_after_redis_forgets_its_scripts()
    {
        var prefix = NewPrefix();
        await using var manager = NewManager(prefix);
        var session = await manager.CreateSessionAsync("xena");
        foreach (var endpoint in Redis.Connection.GetEndPoints())
        {
            var server = Redis.Connection.GetServer(endpoint);
            if (server.IsConnected)
            {
                await server.ScriptFlushAsync(); // what a restart or a failover to a fresh replica does
            }
        }

        await session.SetDataAsync("k", "v");
        Assert.True(await manager.UpdateSessionActivityAsync(session.SessionId));
        var second = await manager.CreateSessionAsync("xena");
        Assert.Equal("v", (await manager.GetSessionAsync(session.SessionId))!.GetData("k"));
        Assert.True(await manager.TerminateSessionAsync(second.SessionId));
    }

    [Fact]
    public async Task Concurrent_use_of_one_manager_is_safe()
    {
        var prefix = NewPrefix();
        await using var manager = NewManager(prefix, o => o.MaxSessionsPerUser = 0);
        var sessions = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => manager.CreateSessionAsync($"u{i % 5}")));
        await Task.WhenAll(sessions.Select((s, i) => s.SetDataAsync("n", i.ToString())));
        var reloaded = await Task.WhenAll(sessions.Select(s => manager.GetSessionAsync(s.SessionId)));
        Assert.Equal(Enumerable.Range(0, 50).Select(i => i.ToString()), reloaded.Select(s => s!.GetData("n")));
        Assert.Equal(50, sessions.Select(s => s.SessionId).Distinct().Count());
    }
}

[Collection(StandaloneCollection.Name)]
public sealed class StandaloneLifecycleTests(StandaloneRedisFixture redis) : LifecycleTests(redis);

[Collection(ClusterCollection.Name)]
public sealed class ClusterLifecycleTests(ClusterRedisFixture redis) : LifecycleTests(redis);
