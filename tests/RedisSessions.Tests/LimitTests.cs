using RedisSessions.Tests.Infrastructure;
using Xunit;

namespace RedisSessions.Tests;

public abstract class LimitTests(RedisFixture redis) : SessionTestBase(redis)
{
    [Fact]
    public async Task Evict_oldest_keeps_the_limit_and_terminates_the_oldest_with_reason_evicted()
    {
        var prefix = NewPrefix();
        var recorder = new TerminationRecorder();
        await using var manager = NewManager(prefix, o => o.MaxSessionsPerUser = 3);
        using var _ = manager.RegisterTerminationCallback(recorder.Record);
        var sessions = new List<Session>();
        for (var i = 0; i < 5; i++)
        {
            sessions.Add(await manager.CreateSessionAsync("alice", new Dictionary<string, string> { ["n"] = i.ToString() }));
        }

        var alive = (await manager.GetUserSessionsAsync("alice")).Select(s => s.SessionId).ToList();
        Assert.Equal(sessions.Skip(2).Select(s => s.SessionId), alive);
        Assert.Null(await manager.GetSessionAsync(sessions[0].SessionId));
        Assert.Null(await manager.GetSessionAsync(sessions[1].SessionId));
        Assert.Equal([sessions[0].SessionId, sessions[1].SessionId], recorder.Seen.Select(t => t.Session.SessionId));
        Assert.All(recorder.Seen, t => Assert.Equal(TerminationReason.Evicted, t.Reason));
        Assert.Equal(["0", "1"], recorder.Seen.Select(t => t.Session.GetData("n")));
    }

    [Fact]
    public async Task Evict_oldest_goes_by_login_order_even_within_one_millisecond()
    {
        var prefix = NewPrefix();
        await using var manager = NewManager(prefix, o => o.MaxSessionsPerUser = 2);
        // Logins back to back: many share a millisecond of Redis's clock, and so an expiry.
        var sessions = new List<Session>();
        for (var i = 0; i < 30; i++)
        {
            sessions.Add(await manager.CreateSessionAsync("zoe"));
        }

        Assert.Equal(sessions.Skip(28).Select(s => s.SessionId), (await manager.GetUserSessionsAsync("zoe")).Select(s => s.SessionId));
        foreach (var evicted in sessions.Take(28))
        {
            Assert.Null(await manager.PeekSessionAsync(evicted.SessionId));
        }
    }

    [Fact]
    public async Task Evict_oldest_takes_the_least_recently_active_session_not_the_first_created()
    {
        var prefix = NewPrefix();
        await using var manager = NewManager(prefix, o => o.MaxSessionsPerUser = 3);
        var first = await manager.CreateSessionAsync("amy");
        var second = await manager.CreateSessionAsync("amy");
        var third = await manager.CreateSessionAsync("amy");
        await WaitForRedisTimeAsync(third.CreatedAt.AddMilliseconds(5));
        Assert.True(await first.UpdateActivityAsync()); // the first device is the one in use

        var fourth = await manager.CreateSessionAsync("amy");

        Assert.Null(await manager.PeekSessionAsync(second.SessionId));
        Assert.Equal(new[] { first.SessionId, third.SessionId, fourth.SessionId }.Order(), (await manager.GetUserSessionsAsync("amy")).Select(s => s.SessionId).Order());
        Assert.Equal(TerminationReason.Evicted, await manager.FindTerminationReasonAsync(second.SessionId));
    }

    [Fact]
    public async Task Reject_new_refuses_the_extra_login_and_writes_nothing()
    {
        var prefix = NewPrefix();
        await using var manager = NewManager(prefix, o => { o.MaxSessionsPerUser = 2; o.LimitPolicy = SessionLimitPolicy.RejectNew; });
        var first = await manager.CreateSessionAsync("bob");
        var second = await manager.CreateSessionAsync("bob");
        var keysBefore = (await Redis.KeysAsync(prefix)).Order().ToList();

        var refused = await Assert.ThrowsAsync<SessionLimitExceededException>(() => manager.CreateSessionAsync("bob", new Dictionary<string, string> { ["x"] = "y" }));

        Assert.Equal("bob", refused.UserId);
        Assert.Equal(2, refused.ActiveSessions);
        Assert.Equal(2, refused.MaxSessionsPerUser);
        Assert.Equal(keysBefore, (await Redis.KeysAsync(prefix)).Order().ToList());
        Assert.Equal([first.SessionId, second.SessionId], (await manager.GetUserSessionsAsync("bob")).Select(s => s.SessionId));
        // Another user is not affected.
        await manager.CreateSessionAsync("carol");
    }

    [Fact]
    public async Task A_session_whose_time_is_up_frees_its_slot_at_once_even_before_redis_deletes_it()
    {
        // The stuck "session already active" lock: a crashed client's session must not block the next login.
        var prefix = NewPrefix();
        var recorder = new TerminationRecorder();
        await using var crashedClient = NewManager(prefix, o => { o.MaxSessionsPerUser = 1; o.LimitPolicy = SessionLimitPolicy.RejectNew; o.InactiveTimeout = TimeSpan.FromMilliseconds(400); });
        await using var manager = NewManager(prefix, o => { o.MaxSessionsPerUser = 1; o.LimitPolicy = SessionLimitPolicy.RejectNew; });
        using var _ = manager.RegisterTerminationCallback(recorder.Record);
        var crashed = await crashedClient.CreateSessionAsync("dave", new Dictionary<string, string> { ["window"] = "main" });
        await Assert.ThrowsAsync<SessionLimitExceededException>(() => manager.CreateSessionAsync("dave"));

        await WaitForRedisTimeAsync(crashed.ExpiresAt);
        Assert.True(await Db.KeyExistsAsync(SessionKey(prefix, crashed.SessionId)), "Redis has not deleted the hash yet");

        var next = await manager.CreateSessionAsync("dave"); // no sweep has run: the expired one never counts

        Assert.Equal([next.SessionId], (await manager.GetUserSessionsAsync("dave")).Select(s => s.SessionId));
        Assert.Equal(1, await manager.CleanupInactiveSessionsAsync());
        var ended = Assert.Single(recorder.Seen);
        Assert.Equal(crashed.SessionId, ended.Session.SessionId);
        Assert.Equal(TerminationReason.Expired, ended.Reason);
        Assert.Equal("main", ended.Session.GetData("window"));
    }

    [Fact]
    public async Task No_limit_when_max_sessions_is_zero()
    {
        var prefix = NewPrefix();
        await using var manager = NewManager(prefix, o => o.MaxSessionsPerUser = 0);
        for (var i = 0; i < 12; i++)
        {
            await manager.CreateSessionAsync("erin");
        }
        Assert.Equal(12, (await manager.GetUserSessionsAsync("erin")).Count);
    }

    [Theory]
    [InlineData(SessionLimitPolicy.EvictOldest)]
    [InlineData(SessionLimitPolicy.RejectNew)]
    public async Task Four_processes_creating_eight_sessions_each_for_one_user_leave_exactly_the_limit(SessionLimitPolicy policy)
    {
        var prefix = NewPrefix() + policy;
        const int limit = 5;
        var go = Path.Combine(Path.GetTempPath(), $"rs-go-{Guid.NewGuid():N}");
        string[] arguments = ["create", Redis.Configuration, prefix, "frank", "8", limit.ToString(), policy == SessionLimitPolicy.RejectNew ? "reject" : "evict", go,
            .. Redis is TlsRedisFixture tls ? [$"ca={tls.CertificateAuthorityPath}"] : Array.Empty<string>()];
        var nodes = Enumerable.Range(0, 4).Select(_ => TestNodeProcess.Start(arguments)).ToList();
        try
        {
            await File.WriteAllTextAsync(go, "go");
            var outputs = await Task.WhenAll(nodes.Select(n => n.WaitForExitAsync()));
            var lines = outputs.SelectMany(o => o.Split('\n', StringSplitOptions.RemoveEmptyEntries)).ToList();
            var created = lines.Where(l => l.StartsWith("created ", StringComparison.Ordinal)).Select(l => l[8..]).ToList();
            var rejected = lines.Count(l => l == "rejected");

            await using var manager = NewManager(prefix, o => o.MaxSessionsPerUser = limit);
            var alive = (await manager.GetUserSessionsAsync("frank")).Select(s => s.SessionId).ToList();
            Assert.Equal(limit, alive.Count);
            Assert.Equal(32, created.Count + rejected);
            if (policy == SessionLimitPolicy.RejectNew)
            {
                Assert.Equal(limit, created.Count);
                Assert.Equal(32 - limit, rejected);
                Assert.Equal(created.Order(), alive.Order());
            }
            else
            {
                Assert.Equal(32, created.Count);
                // The survivors are the newest five, and each evicted one is really gone.
                foreach (var id in created.Except(alive))
                {
                    Assert.Null(await manager.PeekSessionAsync(id));
                }
                var stats = await manager.GetStatsAsync();
                Assert.Equal(32 - limit, stats.PendingTerminations);
            }
            // The user's index lists exactly the survivors.
            var index = await Db.SortedSetRangeByRankAsync(UserKey(prefix, alive[0], "frank"));
            Assert.Equal(alive.Order(), index.Select(id => (string)id!).Order());
        }
        finally
        {
            File.Delete(go);
            foreach (var node in nodes)
            {
                node.Dispose();
            }
        }
    }
}

[Collection(StandaloneCollection.Name)]
public sealed class StandaloneLimitTests(StandaloneRedisFixture redis) : LimitTests(redis);

[Collection(ClusterCollection.Name)]
public sealed class ClusterLimitTests(ClusterRedisFixture redis) : LimitTests(redis);

[Collection(TlsCollection.Name)]
public sealed class TlsLimitTests(TlsRedisFixture redis) : LimitTests(redis);
