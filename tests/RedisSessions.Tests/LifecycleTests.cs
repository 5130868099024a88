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
        Assert.Equal(serverA.Options.NodeName, loaded.Node);
    }

    [Fact]
    public async Task Session_times_come_from_redis_whatever_the_app_node_clock_says()
    {
        var prefix = NewPrefix();
        // The manager's own clock is 31 minutes fast: nothing it writes or decides follows it.
        await using var manager = NewManager(prefix, o => o.InactiveTimeout = TimeSpan.FromMinutes(30), new ShiftedClock(TimeSpan.FromMinutes(31)));
        var before = await RedisNowAsync();
        var session = await manager.CreateSessionAsync("zed");
        var after = await RedisNowAsync();

        Assert.InRange(session.CreatedAt.ToUnixTimeMilliseconds(), before, after);
        Assert.True(session.IsActive);
        Assert.NotNull(await manager.GetSessionAsync(session.SessionId));
        Assert.Equal(0, await manager.CleanupInactiveSessionsAsync());
        Assert.NotNull(await manager.PeekSessionAsync(session.SessionId));
    }

    [Fact]
    public async Task Loading_for_use_slides_the_expiry_and_peeking_does_not()
    {
        var prefix = NewPrefix();
        await using var manager = NewManager(prefix, o => o.InactiveTimeout = TimeSpan.FromSeconds(3));
        var session = await manager.CreateSessionAsync("bob");

        await WaitForRedisTimeAsync(session.CreatedAt.AddMilliseconds(1200));
        var peeked = await manager.PeekSessionAsync(session.SessionId);
        Assert.Equal(session.ExpiresAt, peeked!.ExpiresAt);

        var before = await RedisNowAsync();
        var used = await manager.GetSessionAsync(session.SessionId);
        var after = await RedisNowAsync();
        Assert.InRange(used!.LastActivity.ToUnixTimeMilliseconds(), before, after);
        Assert.Equal(used.LastActivity.AddSeconds(3), used.ExpiresAt);

        // Redis holds the same times, as Unix ms, and the hash lives until the expiry plus the grace period.
        var fields = await FieldsAsync(prefix, session.SessionId);
        Assert.Equal(used.ExpiresAt.ToUnixTimeMilliseconds().ToString(), fields["expires"]);
        Assert.Equal(used.LastActivity.ToUnixTimeMilliseconds().ToString(), fields["last"]);
        Assert.Equal(session.CreatedAt.ToUnixTimeMilliseconds().ToString(), fields["created"]);
        var expireTime = (long)await Db.ExecuteAsync("PEXPIRETIME", SessionKey(prefix, session.SessionId));
        Assert.Equal((used.ExpiresAt + manager.Options.ExpiredSessionGrace).ToUnixTimeMilliseconds(), expireTime);
        Assert.Equal(used.ExpiresAt.ToUnixTimeMilliseconds(), (long)(await Db.SortedSetScoreAsync(UserKey(prefix, session.SessionId, "bob"), session.SessionId))!.Value);

        // Alive past the first deadline: the expiry slid.
        await WaitForRedisTimeAsync(session.ExpiresAt.AddMilliseconds(200));
        Assert.NotNull(await manager.GetSessionAsync(session.SessionId));
    }

    [Fact]
    public async Task Reads_within_the_activity_resolution_are_plain_reads_and_later_ones_slide()
    {
        var prefix = NewPrefix();
        await using var manager = NewManager(prefix, o => { o.InactiveTimeout = TimeSpan.FromMinutes(30); o.ActivityResolution = TimeSpan.FromSeconds(1); });
        var session = await manager.CreateSessionAsync("carol");

        var scripts = await RedisTime.CommandCallsAsync(Redis.Connection, "evalsha");
        var early = await manager.GetSessionAsync(session.SessionId);
        Assert.Equal(session.ExpiresAt, early!.ExpiresAt);
        Assert.Equal(scripts, await RedisTime.CommandCallsAsync(Redis.Connection, "evalsha")); // one HGETALL, no script

        await WaitForRedisTimeAsync(session.CreatedAt.AddMilliseconds(1100));
        var later = await manager.GetSessionAsync(session.SessionId);
        Assert.True(later!.ExpiresAt >= session.ExpiresAt.AddMilliseconds(1100), $"{later.ExpiresAt:O} slid from {session.ExpiresAt:O}");
        Assert.True(await RedisTime.CommandCallsAsync(Redis.Connection, "evalsha") > scripts);
    }

    [Fact]
    public async Task Expired_session_is_never_returned_and_no_late_write_brings_it_back()
    {
        var prefix = NewPrefix();
        await using var manager = NewManager(prefix, o => o.InactiveTimeout = TimeSpan.FromMilliseconds(400));
        var session = await manager.CreateSessionAsync("dave", new Dictionary<string, string> { ["k"] = "v" });

        await WaitForRedisTimeAsync(session.ExpiresAt);

        // Redis still has the hash (it outlives the expiry by the grace period); the session is over all the same.
        Assert.True(await Db.KeyExistsAsync(SessionKey(prefix, session.SessionId)));
        Assert.Null(await manager.PeekSessionAsync(session.SessionId));
        Assert.False(await manager.UpdateSessionActivityAsync(session.SessionId));
        await Assert.ThrowsAsync<SessionException>(() => session.SetDataAsync("k", "late"));
        Assert.False(await manager.SetSessionDataAsync(session.SessionId, new Dictionary<string, string> { ["k"] = "later" }));
        Assert.Null(await manager.GetSessionAsync(session.SessionId));
        Assert.False(session.IsActive);
        Assert.Empty(await manager.GetUserSessionsAsync("dave"));
        Assert.Equal(TerminationReason.Expired, await manager.FindTerminationReasonAsync(session.SessionId));

        // What is left is the termination's snapshot, with the data as it was, out of every index.
        var fields = await FieldsAsync(prefix, session.SessionId);
        Assert.Equal("v", fields["d:k"]);
        Assert.Equal("expired", fields["reason"]);
        Assert.False(await Db.KeyExistsAsync(UserKey(prefix, session.SessionId, "dave")));
        Assert.Null(await Db.SortedSetScoreAsync(TagKey(prefix, session.SessionId, "due"), "dave"));
    }

    [Fact]
    public async Task Absolute_timeout_ends_a_busy_session()
    {
        var prefix = NewPrefix();
        var recorder = new TerminationRecorder();
        await using var manager = NewManager(prefix, o => { o.InactiveTimeout = TimeSpan.FromMilliseconds(2000); o.AbsoluteTimeout = TimeSpan.FromMilliseconds(3000); });
        using var _ = manager.RegisterTerminationCallback(recorder.Record);
        var session = await manager.CreateSessionAsync("erin");
        Assert.Equal(session.CreatedAt.AddMilliseconds(3000), session.AbsoluteExpiresAt);

        for (var step = 1; step <= 4; step++)
        {
            await WaitForRedisTimeAsync(session.CreatedAt.AddMilliseconds(step * 600));
            Assert.True(await session.UpdateActivityAsync(), $"still alive after {step * 600} ms of activity");
        }
        Assert.Equal(session.CreatedAt.AddMilliseconds(3000), session.ExpiresAt); // capped by the absolute deadline

        await WaitForRedisTimeAsync(session.CreatedAt.AddMilliseconds(3000));
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
    public async Task Setting_and_removing_data_in_one_write_keeps_every_other_key()
    {
        var prefix = NewPrefix();
        await using var serverA = NewManager(prefix);
        await using var serverB = NewManager(prefix);
        var session = await serverA.CreateSessionAsync("fay", new Dictionary<string, string> { ["a"] = "1", ["b"] = "2", ["c"] = "3" });

        // Two requests, on two servers, each changing its own keys.
        Assert.True(await serverA.UpdateSessionDataAsync(session.SessionId, new Dictionary<string, string> { ["a"] = "10" }, ["b"]));
        Assert.True(await serverB.UpdateSessionDataAsync(session.SessionId, new Dictionary<string, string> { ["d"] = "4" }, ["missing"]));

        Assert.Equal(new Dictionary<string, string> { ["a"] = "10", ["c"] = "3", ["d"] = "4" }, (await serverB.PeekSessionAsync(session.SessionId))!.Data);
        await session.UpdateDataAsync(new Dictionary<string, string> { ["e"] = "5" }, ["c"]); // the Session object's own, one round trip
        Assert.Equal(new Dictionary<string, string> { ["a"] = "10", ["d"] = "4", ["e"] = "5" }, (await serverB.PeekSessionAsync(session.SessionId))!.Data);
        Assert.Equal(new Dictionary<string, string> { ["a"] = "1", ["b"] = "2", ["e"] = "5" }, session.Data); // what this object wrote, over what it had read
        await session.TerminateAsync();
        Assert.False(await serverA.UpdateSessionDataAsync(session.SessionId, new Dictionary<string, string> { ["a"] = "late" }, ["c"]));
    }

    [Fact]
    public async Task Loading_says_why_a_session_is_gone_from_the_same_read()
    {
        var prefix = NewPrefix();
        await using var manager = NewManager(prefix, o => o.MaxSessionsPerUser = 1);
        var evicted = await manager.CreateSessionAsync("gus");
        var current = await manager.CreateSessionAsync("gus");

        var live = await manager.LoadSessionAsync(current.SessionId);
        Assert.Equal(current.SessionId, live.Session!.SessionId);
        Assert.Null(live.EndReason);
        var gone = await manager.LoadSessionAsync(evicted.SessionId);
        Assert.Null(gone.Session);
        Assert.Equal(TerminationReason.Evicted, gone.EndReason);
        Assert.Equal(new SessionLoad(null, null), await manager.LoadSessionAsync("3ffAAAAAAAAAAAAAAAAAAAAAA"));
        Assert.Equal(new SessionLoad(null, null), await manager.LoadSessionAsync("not an id"));
        Assert.False(SessionManager.IsWellFormedSessionId("not an id"));
        Assert.True(SessionManager.IsWellFormedSessionId(current.SessionId));
    }

    [Fact]
    public async Task User_sessions_lists_only_live_sessions_of_that_user()
    {
        var prefix = NewPrefix();
        await using var manager = NewManager(prefix, o => o.InactiveTimeout = TimeSpan.FromMilliseconds(3000));
        var old = await manager.CreateSessionAsync("gina");
        await WaitForRedisTimeAsync(old.CreatedAt.AddMilliseconds(1500));
        var fresh = await manager.CreateSessionAsync("gina");
        await manager.CreateSessionAsync("harry");
        await WaitForRedisTimeAsync(old.ExpiresAt); // old is past its time, fresh is not

        var listed = await manager.GetUserSessionsAsync("gina");

        Assert.Equal([fresh.SessionId], listed.Select(s => s.SessionId));
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
        await using var manager = NewManager(prefix, o => o.InactiveTimeout = TimeSpan.FromSeconds(3));
        var latest = DateTimeOffset.MinValue;
        for (var user = 0; user < 7; user++)
        {
            for (var s = 0; s <= user % 3; s++)
            {
                latest = (await manager.CreateSessionAsync($"user{user}")).ExpiresAt;
            }
        }
        var stats = await manager.GetStatsAsync();
        Assert.Equal(13, stats.TotalActiveSessions); // users 0..6 have 1,2,3,1,2,3,1 sessions
        Assert.Equal(7, stats.UniqueUsers);
        Assert.Equal(13, stats.SessionsCreatedByThisNode);
        Assert.False(stats.AutoCleanupRunning);

        Assert.Equal(3, await manager.TerminateUserSessionsAsync("user2"));
        await WaitForRedisTimeAsync(latest);
        var later = await manager.GetStatsAsync();
        Assert.Equal(0, later.TotalActiveSessions);
        Assert.Equal(10, later.OverdueSessions);
        Assert.Equal(6, later.UniqueUsers);
        Assert.Equal(10, await manager.CleanupInactiveSessionsAsync());
        var swept = await manager.GetStatsAsync();
        Assert.Equal(0, swept.UniqueUsers);
        Assert.Equal(0, swept.OverdueSessions);
        Assert.Equal(13, swept.PendingTerminations); // no process with callbacks has handled them yet
    }

    [Fact]
    public async Task A_sweep_past_a_session_s_first_deadline_keeps_it_when_it_slid_and_ends_it_at_the_real_one()
    {
        var prefix = NewPrefix();
        var recorder = new TerminationRecorder();
        await using var manager = NewManager(prefix, o => o.InactiveTimeout = TimeSpan.FromMilliseconds(3000));
        using var _ = manager.RegisterTerminationCallback(recorder.Record);
        var session = await manager.CreateSessionAsync("walt");

        await WaitForRedisTimeAsync(session.CreatedAt.AddMilliseconds(1500));
        var slid = await manager.GetSessionAsync(session.SessionId); // slides to about 4.5 s
        await WaitForRedisTimeAsync(session.ExpiresAt.AddMilliseconds(100)); // past the first deadline, not the real one
        Assert.Equal(0, await manager.CleanupInactiveSessionsAsync());
        Assert.NotNull(await manager.PeekSessionAsync(session.SessionId));
        Assert.Empty(recorder.Seen);

        await WaitForRedisTimeAsync(slid!.ExpiresAt);
        Assert.Equal(1, await manager.CleanupInactiveSessionsAsync());
        Assert.Equal(TerminationReason.Expired, Assert.Single(recorder.Seen).Reason);
        Assert.Null(await manager.PeekSessionAsync(session.SessionId));
    }

    [Fact]
    public async Task A_tag_whose_earliest_session_is_the_second_login_of_a_millisecond_is_swept_and_woken_for_it()
    {
        var prefix = NewPrefix();
        var recorder = new TerminationRecorder();
        await using var manager = NewManager(prefix, o => { o.MaxSessionsPerUser = 0; o.InactiveTimeout = TimeSpan.FromSeconds(3); });
        using var _ = manager.RegisterTerminationCallback(recorder.Record);
        // Logins of one user at once: some share a millisecond of Redis's clock, and the user's index keeps those in
        // order by a fraction of a millisecond above the expiry.
        var first = await manager.CreateSessionAsync("quinn");
        var index = UserKey(prefix, first.SessionId, "quinn");
        var entries = await Db.SortedSetRangeByRankWithScoresAsync(index);
        for (var round = 0; round < 20 && !entries.Any(e => e.Score != Math.Floor(e.Score)); round++)
        {
            await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => manager.CreateSessionAsync("quinn")));
            entries = await Db.SortedSetRangeByRankWithScoresAsync(index);
        }
        var second = entries.First(e => e.Score != Math.Floor(e.Score));
        var secondId = (string)second.Element!;
        var expires = (long)Math.Floor(second.Score);
        // Logouts of every session before it: the user's earliest session is now the second login of its millisecond.
        foreach (var earlier in entries.TakeWhile(e => e.Element != second.Element))
        {
            Assert.True(await manager.TerminateSessionAsync((string)earlier.Element!));
        }
        Assert.Equal(second.Score, await Db.SortedSetScoreAsync(TagKey(prefix, secondId, "due"), "quinn"));

        // A sweep of the tag re-arms its wake key at that session's expiry, in whole milliseconds.
        Assert.Equal(0, await manager.CleanupInactiveSessionsAsync());
        Assert.Equal(expires, (long)await Db.ExecuteAsync("PEXPIRETIME", TagKey(prefix, secondId, "wake")));

        await WaitForRedisTimeAsync((long)entries.Max(e => e.Score) + 1);
        Assert.Equal(entries.Length - entries.TakeWhile(e => e.Element != second.Element).Count(), await manager.CleanupInactiveSessionsAsync());
        Assert.Equal(TerminationReason.Expired, Assert.Single(recorder.For(secondId)).Reason);
        Assert.Equal(entries.Length, recorder.Seen.Count);
    }

    [Fact]
    public async Task Rotating_a_session_whose_index_entry_was_lost_by_hand_lists_it_again()
    {
        var prefix = NewPrefix();
        await using var manager = NewManager(prefix);
        var session = await manager.CreateSessionAsync("yuri");
        await Db.SortedSetRemoveAsync(UserKey(prefix, session.SessionId, "yuri"), session.SessionId);
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

[Collection(TlsCollection.Name)]
public sealed class TlsLifecycleTests(TlsRedisFixture redis) : LifecycleTests(redis);
