using RedisSessions.Administration;
using RedisSessions.Tests.Infrastructure;
using Xunit;

namespace RedisSessions.Tests;

/// <summary>The admin API (listing, inspecting, terminating, the termination stream, heartbeats, figures) on both
/// topologies. Cleanup has its own class.</summary>
public abstract class AdminTests(RedisFixture redis) : SessionTestBase(redis)
{
    [Fact]
    public async Task Lists_active_sessions_all_by_user_by_node_and_idle_for_on_redis_s_clock()
    {
        var prefix = NewPrefix();
        await using var web1 = NewManager(prefix, o => { o.NodeName = "web-1"; o.MaxSessionsPerUser = 0; });
        await using var web2 = NewManager(prefix, o => { o.NodeName = "web-2"; o.MaxSessionsPerUser = 0; });
        await using var quick = NewManager(prefix, o => { o.NodeName = "web-3"; o.InactiveTimeout = TimeSpan.FromMilliseconds(200); });
        var admin = new SessionAdmin(web1);
        var idle = await web1.CreateSessionAsync("ann", new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" });
        var others = new List<Session>();
        for (var i = 0; i < 24; i++)
        {
            others.Add(await (i % 2 == 0 ? web1 : web2).CreateSessionAsync($"user{i % 12}"));
        }
        var ended = await web2.CreateSessionAsync("ann");
        Assert.True(await web2.TerminateSessionAsync(ended.SessionId));
        var overdue = await quick.CreateSessionAsync("ann");
        await WaitForRedisTimeAsync(idle.LastActivity.AddSeconds(4));
        foreach (var other in others)
        {
            Assert.True(await web1.UpdateSessionActivityAsync(other.SessionId));
        }

        // First, while the others were active within the walk's own time: only the idle one.
        var idleOnes = await CollectAsync(admin.ListSessionsAsync(new SessionFilter { IdleFor = TimeSpan.FromSeconds(3) }));
        Assert.Equal([idle.SessionId], idleOnes.Select(s => s.SessionId));
        if (Redis.Topology == "cluster")
        {
            Assert.True(others.Select(s => Db.IdentifyEndpoint(SessionKey(prefix, s.SessionId))?.ToString()).Distinct().Count() > 1, "the sessions are on one master only");
        }

        var all = await CollectAsync(admin.ListSessionsAsync());
        Assert.Equal(others.Select(s => s.SessionId).Append(idle.SessionId).Order(StringComparer.Ordinal), all.Select(s => s.SessionId).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(all, s => s.SessionId == ended.SessionId || s.SessionId == overdue.SessionId);
        var row = all.Single(s => s.SessionId == idle.SessionId);
        Assert.Equal(("ann", "web-1", idle.CreatedAt, idle.LastActivity, idle.ExpiresAt), (row.UserId, row.Node, row.CreatedAt, row.LastActivity, row.ExpiresAt));
        Assert.Null(row.AbsoluteExpiresAt);
        Assert.Equal(2, row.DataCount);
        Assert.Null(row.Data);
        Assert.True(row.IdleTime >= TimeSpan.FromSeconds(4), $"idle {row.IdleTime}");
        Assert.Equal(row.ExpiresAt - row.ReadAt, row.ExpiresIn);

        var withData = Assert.Single(await CollectAsync(admin.ListSessionsAsync(new SessionFilter { UserId = "ann", IncludeData = true })));
        Assert.Equal(idle.SessionId, withData.SessionId);
        Assert.Equal(new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" }, withData.Data);

        var byNode = await CollectAsync(admin.ListSessionsAsync(new SessionFilter { Node = "web-2" }));
        Assert.Equal(others.Where((_, i) => i % 2 == 1).Select(s => s.SessionId).Order(StringComparer.Ordinal), byNode.Select(s => s.SessionId).Order(StringComparer.Ordinal));

        // user3 has two sessions, both from web-2; user4's two are from web-1.
        var userAndNode = await CollectAsync(admin.ListSessionsAsync(new SessionFilter { UserId = "user3", Node = "web-2" }));
        Assert.Equal(new[] { others[3].SessionId, others[15].SessionId }.Order(StringComparer.Ordinal), userAndNode.Select(s => s.SessionId).Order(StringComparer.Ordinal));
        Assert.Empty(await CollectAsync(admin.ListSessionsAsync(new SessionFilter { UserId = "user4", Node = "web-2" })));
        Assert.Empty(await CollectAsync(admin.ListSessionsAsync(new SessionFilter { UserId = "nobody" })));
    }

    [Fact]
    public async Task A_listing_stopped_early_stops_the_walk_and_a_cancelled_one_throws()
    {
        var prefix = NewPrefix();
        await using var manager = NewManager(prefix, o => o.MaxSessionsPerUser = 0);
        for (var i = 0; i < 30; i++)
        {
            await manager.CreateSessionAsync($"u{i}");
        }
        var admin = new SessionAdmin(manager);

        var taken = 0;
        await foreach (var _ in admin.ListSessionsAsync())
        {
            if (++taken == 3)
            {
                break;
            }
        }
        Assert.Equal(3, taken);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => CollectAsync(admin.ListSessionsAsync(null, cancelled.Token)));
    }

    [Fact]
    public async Task Inspects_an_active_session_with_every_field_its_ttl_and_its_place_in_the_indexes()
    {
        var prefix = NewPrefix();
        await using var manager = NewManager(prefix, o => { o.NodeName = "web-7"; o.AbsoluteTimeout = TimeSpan.FromHours(8); });
        var session = await manager.CreateSessionAsync("ivy", new Dictionary<string, string> { ["cart"] = "3 items" });
        var admin = new SessionAdmin(manager);

        var seen = await admin.InspectSessionAsync(session.SessionId);

        Assert.NotNull(seen);
        Assert.Equal(SessionStatus.Active, seen.Status);
        var stored = await FieldsAsync(prefix, session.SessionId);
        Assert.Equal(stored.OrderBy(f => f.Key, StringComparer.Ordinal), seen.Fields.OrderBy(f => f.Key, StringComparer.Ordinal));
        Assert.Equal(["user", "created", "last", "absolute", "expires", "node", "d:cart"], seen.Fields.Select(f => f.Key));
        Assert.Equal(("ivy", "web-7", session.CreatedAt, session.LastActivity, session.ExpiresAt, session.AbsoluteExpiresAt),
            (seen.UserId, seen.Node, seen.CreatedAt, seen.LastActivity, seen.ExpiresAt, seen.AbsoluteExpiresAt));
        Assert.Equal("3 items", seen.Data["cart"]);
        Assert.Equal(session.ExpiresAt + manager.Options.ExpiredSessionGrace, seen.KeyExpiresAt);
        Assert.InRange(seen.KeyTimeToLive!.Value, TimeSpan.FromMinutes(39), TimeSpan.FromMinutes(40));
        Assert.Equal(SessionKey(prefix, session.SessionId), seen.SessionKey);
        Assert.Equal(UserKey(prefix, session.SessionId, "ivy"), seen.UserIndexKey);
        Assert.Equal("ivy", seen.UserMember);
        Assert.InRange(seen.UserIndexScore!.Value, session.ExpiresAt.ToUnixTimeMilliseconds(), session.ExpiresAt.ToUnixTimeMilliseconds() + 1);
        Assert.Equal(seen.UserIndexScore, seen.UserEarliestScore);
        Assert.Equal(session.SessionId, seen.UserEarliestSessionId);
        Assert.Equal(seen.UserEarliestScore, seen.DueIndexScore);
        Assert.Equal(TagKey(prefix, session.SessionId, "due"), seen.DueIndexKey);
        Assert.Equal(session.ExpiresAt, seen.WakeAt);
        Assert.Equal("1", seen.Counter);
        Assert.Null(seen.PendingScore);
        Assert.Null(seen.EndedAt);
        Assert.InRange(seen.ReadAt.ToUnixTimeMilliseconds(), session.CreatedAt.ToUnixTimeMilliseconds(), await RedisNowAsync());

        // Inspecting is a peek: nothing moved.
        Assert.Equal(stored, await FieldsAsync(prefix, session.SessionId));
    }

    [Fact]
    public async Task Inspects_ended_sessions_ready_leased_and_handled_and_says_what_nothing_and_overdue_look_like()
    {
        var prefix = NewPrefix();
        await using var app = NewManager(prefix, o => o.NodeName = "app");
        await using var holder = NewManager(prefix, o => o.NodeName = "holder");
        await using var quick = NewManager(prefix, o => o.InactiveTimeout = TimeSpan.FromMilliseconds(200));
        var admin = new SessionAdmin(app);

        // Ended by a process without callbacks: ready for any handler.
        var ready = await app.CreateSessionAsync("ned");
        Assert.True(await app.TerminateSessionAsync(ready.SessionId));
        var seen = await admin.InspectSessionAsync(ready.SessionId);
        Assert.Equal(SessionStatus.Ended, seen!.Status);
        Assert.Equal(("terminated", 0L, "", 0.0), (seen.Reason, seen.Attempt, seen.Owner, seen.PendingScore));
        Assert.Null(seen.LeasedUntil);
        Assert.Null(seen.UserIndexScore);
        Assert.Null(seen.DueIndexScore);
        Assert.Null(seen.Counter);
        Assert.InRange(seen.KeyTimeToLive!.Value, TimeSpan.FromHours(23.9), TimeSpan.FromHours(24));

        // Held by a process whose callback is running: leased until a deadline, attempt 1, owner that process.
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var _ = holder.RegisterTerminationCallback(async (_, _) => { entered.TrySetResult(); await release.Task; });
        var leased = await holder.CreateSessionAsync("ned");
        var terminating = holder.TerminateSessionAsync(leased.SessionId);
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(20));
        var held = await admin.InspectSessionAsync(leased.SessionId);
        Assert.Equal(SessionStatus.Ended, held!.Status);
        Assert.Equal(1, held.Attempt);
        Assert.StartsWith("holder#", held.Owner, StringComparison.Ordinal);
        Assert.InRange(held.LeasedUntil!.Value, held.ReadAt.AddSeconds(20), held.ReadAt.AddSeconds(31));
        release.SetResult();
        Assert.True(await terminating);

        // Handled: only the notice is left.
        var handled = await admin.InspectSessionAsync(leased.SessionId);
        Assert.Equal(SessionStatus.Handled, handled!.Status);
        Assert.Equal(["ended", "reason"], handled.Fields.Select(f => f.Key).Order(StringComparer.Ordinal));
        Assert.Equal("terminated", handled.Reason);
        Assert.Null(handled.UserId);
        Assert.Null(handled.PendingScore);

        var late = await quick.CreateSessionAsync("ned");
        await WaitForRedisTimeAsync(late.ExpiresAt);
        var overdue = await admin.InspectSessionAsync(late.SessionId);
        Assert.Equal(SessionStatus.Overdue, overdue!.Status);
        Assert.NotNull(overdue.UserIndexScore);

        var nothing = await admin.InspectSessionAsync(TestKeys.Tag(ready.SessionId) + new string('Q', 22));
        Assert.Equal(SessionStatus.NotFound, nothing!.Status);
        Assert.Empty(nothing.Fields);
        Assert.Null(nothing.KeyTimeToLive);
        Assert.Null(await admin.InspectSessionAsync("not-a-session-id"));
        await Assert.ThrowsAsync<ArgumentException>(() => admin.InspectSessionAsync(" "));
    }

    [Fact]
    public async Task Terminates_one_session_a_user_s_but_one_and_a_node_s_with_reason_admin_through_the_pipeline()
    {
        var prefix = NewPrefix();
        var recorder = new TerminationRecorder();
        await using var web1 = NewManager(prefix, o => { o.NodeName = "web-1"; o.MaxSessionsPerUser = 0; });
        await using var web2 = NewManager(prefix, o => { o.NodeName = "web-2"; o.MaxSessionsPerUser = 0; });
        await using var listener = NewManager(prefix, o => o.NodeName = "listener");
        using var _ = listener.RegisterTerminationCallback(recorder.Record);
        var admin = new SessionAdmin(web1); // a manager without callbacks: what it ends waits for a listener

        var one = await web1.CreateSessionAsync("uma");
        Assert.True(await admin.TerminateSessionAsync(one.SessionId));
        Assert.False(await admin.TerminateSessionAsync(one.SessionId));
        Assert.False(await admin.TerminateSessionAsync(TestKeys.Tag(one.SessionId) + new string('Z', 22)));
        Assert.False(await admin.TerminateSessionAsync("nonsense"));
        Assert.Equal("admin", (await FieldsAsync(prefix, one.SessionId))["reason"]);

        var uma = new List<Session>();
        for (var i = 0; i < 3; i++)
        {
            uma.Add(await web1.CreateSessionAsync("uma"));
        }
        var user = await admin.TerminateUserSessionsAsync("uma", exceptSessionId: uma[1].SessionId);
        Assert.Equal(2, user.Count);
        Assert.Equal(new[] { uma[0].SessionId, uma[2].SessionId }.Order(StringComparer.Ordinal), user.SessionIds);
        Assert.Equal([uma[1].SessionId], (await web1.GetUserSessionsAsync("uma")).Select(s => s.SessionId));
        Assert.Equal(0, (await admin.TerminateUserSessionsAsync("nobody")).Count);

        var nodeSessions = new List<Session>();
        var kept = new List<Session>();
        for (var i = 0; i < 12; i++)
        {
            nodeSessions.Add(await web2.CreateSessionAsync($"v{i}"));
            kept.Add(await web1.CreateSessionAsync($"v{i}"));
        }
        var node = await admin.TerminateNodeSessionsAsync("web-2");
        Assert.Equal(12, node.Count);
        Assert.Equal(nodeSessions.Select(s => s.SessionId).Order(StringComparer.Ordinal), node.SessionIds);
        foreach (var session in kept)
        {
            Assert.NotNull(await web1.PeekSessionAsync(session.SessionId));
        }
        Assert.Equal(0, (await admin.TerminateNodeSessionsAsync("web-2")).Count);

        // The listener runs each termination once, with reason Admin.
        await listener.CleanupInactiveSessionsAsync();
        var expected = new[] { one.SessionId, uma[0].SessionId, uma[2].SessionId }.Concat(nodeSessions.Select(s => s.SessionId)).Order(StringComparer.Ordinal);
        Assert.Equal(expected, recorder.Seen.Select(t => t.Session.SessionId).Order(StringComparer.Ordinal));
        Assert.All(recorder.Seen, t => Assert.Equal(TerminationReason.Admin, t.Reason));
    }

    [Fact]
    public async Task Reads_the_termination_stream_latest_after_an_id_and_following()
    {
        var prefix = NewPrefix();
        await using var manager = NewManager(prefix, o => o.NodeName = "web-9");
        using var _ = manager.RegisterTerminationCallback((_, _) => Task.CompletedTask);
        var admin = new SessionAdmin(manager);
        Assert.Empty(await admin.ReadLatestEventsAsync(10));

        var ended = new List<Session>();
        for (var i = 0; i < 3; i++)
        {
            var session = await manager.CreateSessionAsync($"eve{i}");
            Assert.True(await manager.TerminateSessionAsync(session.SessionId));
            ended.Add(session);
        }

        var latest = await admin.ReadLatestEventsAsync(2);
        Assert.Equal([ended[1].SessionId, ended[2].SessionId], latest.Select(e => e.SessionId));
        var last = latest[^1];
        Assert.Equal(("eve2", "terminated", "web-9", "web-9", 1L), (last.UserId, last.Reason, last.Node, last.HandledBy, last.Attempt));
        Assert.Equal(ended[2].CreatedAt, last.CreatedAt);
        Assert.NotNull(last.TerminatedAt);
        var all = await admin.ReadLatestEventsAsync(100);
        Assert.Equal(3, all.Count);
        Assert.Equal([ended[1].SessionId, ended[2].SessionId], (await admin.ReadEventsAfterAsync(all[0].Id)).Select(e => e.SessionId));
        Assert.Empty(await admin.ReadEventsAfterAsync(all[^1].Id));

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var follow = admin.FollowEventsAsync(all[^1].Id, TimeSpan.FromMilliseconds(20), stop.Token).GetAsyncEnumerator(stop.Token);
        var next = follow.MoveNextAsync();
        var fourth = await manager.CreateSessionAsync("eve3");
        Assert.True(await manager.TerminateSessionAsync(fourth.SessionId));
        Assert.True(await next);
        Assert.Equal(fourth.SessionId, follow.Current.SessionId);
        var waiting = follow.MoveNextAsync();
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await waiting);
    }

    [Fact]
    public async Task Finds_every_listener_heartbeat_on_every_primary()
    {
        var prefix = NewPrefix();
        await using var manager = NewManager(prefix);
        var admin = new SessionAdmin(manager);
        Assert.Empty(await admin.GetListenersAsync());
        var now = await RedisNowAsync();
        var workers = Enumerable.Range(0, 9).Select(i => $"worker-{i}").ToList();
        foreach (var worker in workers)
        {
            await Db.HashSetAsync($"{prefix}:heartbeat:{worker}", [new("node", worker), new("host", "box"), new("pid", "77"), new("started", now - 60_000), new("last", now - 2_000)]);
            await Db.KeyExpireAsync($"{prefix}:heartbeat:{worker}", TimeSpan.FromSeconds(30));
        }
        if (Redis.Topology == "cluster")
        {
            Assert.True(workers.Select(w => Db.IdentifyEndpoint($"{prefix}:heartbeat:{w}")?.ToString()).Distinct().Count() > 1);
        }

        var listeners = await admin.GetListenersAsync();

        Assert.Equal(workers, listeners.Select(l => l.Node));
        var first = listeners[0];
        Assert.Equal(("box", "77", $"{prefix}:heartbeat:worker-0"), (first.Host, first.ProcessId, first.Key));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(now - 60_000), first.StartedAt);
        Assert.InRange(first.SinceLastSeen!.Value, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10));
        Assert.InRange(first.KeyTimeToLive!.Value, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(30));

        // A real listening process (background work on, callbacks registered) writes its own.
        await using var listening = NewManager(prefix, o => { o.NodeName = "live-listener"; o.EnableAutoCleanup = true; o.HeartbeatInterval = TimeSpan.FromMilliseconds(200); });
        using var registration = listening.RegisterTerminationCallback((_, _) => Task.CompletedTask);
        await Eventually.TrueAsync(async () => (await admin.GetListenersAsync()).Any(l => l.Node == "live-listener"), "the listening process's heartbeat is found");
        var live = (await admin.GetListenersAsync()).Single(l => l.Node == "live-listener");
        Assert.Equal((Environment.MachineName, Environment.ProcessId.ToString()), (live.Host, live.ProcessId));
    }

    [Fact]
    public async Task Statistics_add_per_node_counts_and_the_most_idle_session_only_when_walking()
    {
        var prefix = NewPrefix();
        await using var web1 = NewManager(prefix, o => o.NodeName = "web-1");
        await using var web2 = NewManager(prefix, o => o.NodeName = "web-2");
        var admin = new SessionAdmin(web1);
        var oldest = await web2.CreateSessionAsync("sam");
        await WaitForRedisTimeAsync(oldest.LastActivity.AddMilliseconds(5));
        for (var i = 0; i < 5; i++)
        {
            await web1.CreateSessionAsync($"sue{i}");
        }
        await web2.CreateSessionAsync("sam");

        var quick = await admin.GetStatisticsAsync();
        Assert.False(quick.Walked);
        Assert.Null(quick.SessionsPerNode);
        Assert.Equal(7, quick.Totals.TotalActiveSessions);
        Assert.Equal(6, quick.Totals.UniqueUsers);

        var walked = await admin.GetStatisticsAsync(walkSessions: true);
        Assert.True(walked.Walked);
        Assert.Equal(new Dictionary<string, long> { ["web-1"] = 5, ["web-2"] = 2 }, walked.SessionsPerNode);
        Assert.Equal(oldest.SessionId, walked.MostIdleSession!.SessionId);
    }

    protected static async Task<List<T>> CollectAsync<T>(IAsyncEnumerable<T> source)
    {
        var items = new List<T>();
        await foreach (var item in source)
        {
            items.Add(item);
        }
        return items;
    }
}

[Collection(StandaloneCollection.Name)]
public sealed class StandaloneAdminTests(StandaloneRedisFixture redis) : AdminTests(redis);

[Collection(ClusterCollection.Name)]
public sealed class ClusterAdminTests(ClusterRedisFixture redis) : AdminTests(redis);

[Collection(TlsCollection.Name)]
public sealed class TlsAdminTests(TlsRedisFixture redis) : AdminTests(redis);
