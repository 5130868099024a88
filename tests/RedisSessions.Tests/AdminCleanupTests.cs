using RedisSessions.Administration;
using RedisSessions.Keys;
using RedisSessions.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit;

namespace RedisSessions.Tests;

/// <summary>Cleanup on both topologies: each kind of damage is made by hand, with plain Redis commands on the test
/// connection as an operator's redis-cli would, beside healthy sessions it must leave alone; the plan must find exactly
/// it, the repair must fix it, and a second plan must find nothing.</summary>
public abstract class AdminCleanupTests(RedisFixture redis) : SessionTestBase(redis)
{
    private static readonly CleanupOptions Scan = new() { ScanKeyspace = true };

    /// <summary>A few healthy sessions of one prefix: live ones, an ended one waiting for a handler, a handled one.</summary>
    private async Task<(SessionManager Manager, SessionAdmin Admin, List<Session> Live)> StoreAsync(string prefix)
    {
        var manager = NewManager(prefix, o => o.MaxSessionsPerUser = 0);
        var live = new List<Session>();
        for (var i = 0; i < 6; i++)
        {
            live.Add(await manager.CreateSessionAsync($"kate{i % 3}", new Dictionary<string, string> { ["n"] = i.ToString() }));
        }
        var ended = await manager.CreateSessionAsync("kate0");
        Assert.True(await manager.TerminateSessionAsync(ended.SessionId));
        await using (var handler = NewManager(prefix))
        {
            using var _ = handler.RegisterTerminationCallback((_, _) => Task.CompletedTask);
            var handled = await handler.CreateSessionAsync("kate1");
            Assert.True(await handler.TerminateSessionAsync(handled.SessionId));
        }
        return (manager, new SessionAdmin(manager), live);
    }

    /// <summary>Plans (with a keyspace scan), checks that exactly <paramref name="expected"/> is found, applies, checks
    /// the repair and that a second plan finds nothing.</summary>
    private static async Task<CleanupResult> RepairAsync(SessionAdmin admin, params (CleanupKind Kind, string? SessionId, string? User)[] expected)
    {
        var plan = await admin.PlanCleanupAsync(Scan);
        Assert.True(plan.ScannedKeyspace);
        Assert.Equal(expected.Select(e => $"{e.Kind} {e.SessionId} {e.User}").Order(StringComparer.Ordinal),
            plan.Items.Select(i => $"{i.Kind} {(i.Kind == CleanupKind.CounterMismatch || i.Kind == CleanupKind.WakeMismatch ? null : i.SessionId)} {(i.SessionId is null ? i.UserMember : null)}").Order(StringComparer.Ordinal));
        Assert.All(plan.Items, i => Assert.False(string.IsNullOrWhiteSpace(i.Detail)));
        var result = await admin.ApplyCleanupAsync(plan);
        foreach (var kind in expected.Select(e => e.Kind).Distinct())
        {
            Assert.True(result.Repaired.GetValueOrDefault(kind) == expected.Count(e => e.Kind == kind), $"{kind}: repaired {result.Repaired.GetValueOrDefault(kind)}, skipped {result.Skipped.GetValueOrDefault(kind)}");
        }
        Assert.Equal(0, result.TotalSkipped);
        var after = await admin.PlanCleanupAsync(Scan);
        Assert.True(after.Items.Count == 0, string.Join("; ", after.Items.Select(i => $"{i.Kind}: {i.Detail}")));
        return result;
    }

    private static async Task AssertStillLiveAsync(SessionManager manager, IEnumerable<Session> sessions)
    {
        foreach (var session in sessions)
        {
            Assert.NotNull(await manager.PeekSessionAsync(session.SessionId));
        }
    }

    /// <summary>A user id whose tag is <paramref name="tag"/> (users of one tag share its indexes).</summary>
    private static string UserInTag(string tag, string stem) => Enumerable.Range(0, 100_000).Select(i => $"{stem}{i}").First(u => Tags.Of(u) == tag);

    [Fact]
    public async Task A_healthy_store_plans_nothing_with_or_without_a_scan()
    {
        var prefix = NewPrefix();
        var (manager, admin, _) = await StoreAsync(prefix);
        await using var _ = manager;
        Assert.Empty((await admin.PlanCleanupAsync()).Items);
        Assert.Empty((await admin.PlanCleanupAsync(Scan)).Items);
        var result = await admin.ApplyCleanupAsync(await admin.PlanCleanupAsync());
        Assert.Equal((0, 0, 0), (result.TotalRepaired, result.TotalSkipped, result.SessionsEnded));
    }

    [Fact]
    public async Task An_index_entry_whose_hash_is_gone_is_removed_and_the_counter_follows()
    {
        var prefix = NewPrefix();
        var (manager, admin, live) = await StoreAsync(prefix);
        await using var _ = manager;
        var lost = await manager.CreateSessionAsync("mona");
        await Db.KeyDeleteAsync(SessionKey(prefix, lost.SessionId)); // DEL rs:{tag}:session:{sid}

        await RepairAsync(admin, (CleanupKind.StaleIndexEntry, lost.SessionId, null));

        Assert.False(await Db.KeyExistsAsync(UserKey(prefix, lost.SessionId, "mona")));
        Assert.Null(await Db.SortedSetScoreAsync(TagKey(prefix, lost.SessionId, "due"), "mona"));
        await AssertStillLiveAsync(manager, live);
        Assert.Equal(live.Count, (await manager.GetStatsAsync()).TotalActiveSessions);
    }

    [Fact]
    public async Task Index_entries_of_an_ended_session_or_another_user_s_session_are_removed()
    {
        var prefix = NewPrefix();
        var (manager, admin, live) = await StoreAsync(prefix);
        await using var _ = manager;
        var ended = await manager.CreateSessionAsync("olga");
        Assert.True(await manager.TerminateSessionAsync(ended.SessionId));
        var olgaKeeps = await manager.CreateSessionAsync("olga");
        // ZADD rs:{tag}:user:olga <ms> <sid>, later than olga's own session: her earliest expiry stays right.
        await Db.SortedSetAddAsync(UserKey(prefix, ended.SessionId, "olga"), ended.SessionId, olgaKeeps.ExpiresAt.ToUnixTimeMilliseconds() + 1000);
        var neighbour = UserInTag(TestKeys.Tag(olgaKeeps.SessionId), "pia");
        var theirs = await manager.CreateSessionAsync(neighbour);
        await Db.SortedSetAddAsync(UserKey(prefix, olgaKeeps.SessionId, "olga"), theirs.SessionId, theirs.ExpiresAt.ToUnixTimeMilliseconds());

        await RepairAsync(admin, (CleanupKind.StaleIndexEntry, ended.SessionId, null), (CleanupKind.StaleIndexEntry, theirs.SessionId, null));

        Assert.Equal([olgaKeeps.SessionId], (await Db.SortedSetRangeByRankAsync(UserKey(prefix, olgaKeeps.SessionId, "olga"))).Select(v => (string)v!));
        Assert.Equal([theirs.SessionId], (await manager.GetUserSessionsAsync(neighbour)).Select(s => s.SessionId));
        await AssertStillLiveAsync(manager, [.. live, olgaKeeps, theirs]);
    }

    [Fact]
    public async Task Due_index_members_without_sessions_or_with_the_wrong_score_are_removed_or_rescored()
    {
        var prefix = NewPrefix();
        var (manager, admin, live) = await StoreAsync(prefix);
        await using var _ = manager;
        var due = TagKey(prefix, live[0].SessionId, "due");
        await Db.SortedSetAddAsync(due, "ghost", await RedisNowAsync() + 7_200_000);        // ZADD rs:{tag}:due <ms> ghost
        var right = (await Db.SortedSetScoreAsync(due, live[0].UserId))!.Value;
        await Db.SortedSetAddAsync(due, live[0].UserId, right + 3_600_000);                // the sweep would come an hour late

        await RepairAsync(admin, (CleanupKind.OrphanedDueEntry, null, "ghost"), (CleanupKind.DueScoreMismatch, null, live[0].UserId));

        Assert.Null(await Db.SortedSetScoreAsync(due, "ghost"));
        Assert.Equal(right, await Db.SortedSetScoreAsync(due, live[0].UserId));
        await AssertStillLiveAsync(manager, live);
    }

    [Fact]
    public async Task A_user_the_due_index_lost_and_a_session_its_user_s_index_lost_are_found_by_the_scan_and_listed_again()
    {
        var prefix = NewPrefix();
        var (manager, admin, live) = await StoreAsync(prefix);
        await using var _ = manager;
        var unscheduled = await manager.CreateSessionAsync("quinn");
        await Db.SortedSetRemoveAsync(TagKey(prefix, unscheduled.SessionId, "due"), "quinn");      // ZREM rs:{tag}:due quinn
        var rita = await manager.CreateSessionAsync("rita");
        var unindexed = await manager.CreateSessionAsync("rita");
        await Db.SortedSetRemoveAsync(UserKey(prefix, unindexed.SessionId, "rita"), unindexed.SessionId);

        Assert.DoesNotContain((await admin.PlanCleanupAsync()).Items, i => i.Kind is CleanupKind.UnscheduledUser or CleanupKind.UnindexedSession);
        await RepairAsync(admin, (CleanupKind.UnscheduledUser, null, "quinn"), (CleanupKind.UnindexedSession, unindexed.SessionId, null));

        Assert.Equal(unscheduled.ExpiresAt.ToUnixTimeMilliseconds(), (long)(await Db.SortedSetScoreAsync(TagKey(prefix, unscheduled.SessionId, "due"), "quinn"))!.Value);
        Assert.Equal(new[] { rita.SessionId, unindexed.SessionId }.Order(StringComparer.Ordinal), (await manager.GetUserSessionsAsync("rita")).Select(s => s.SessionId).Order(StringComparer.Ordinal));
        await AssertStillLiveAsync(manager, [.. live, unscheduled, rita, unindexed]);
    }

    [Fact]
    public async Task Pending_entries_without_a_snapshot_are_removed_and_snapshots_without_an_entry_are_queued_again()
    {
        var prefix = NewPrefix();
        var (manager, admin, live) = await StoreAsync(prefix);
        await using var _ = manager;
        var fake = TestKeys.Tag(live[0].SessionId) + new string('P', 22);
        await Db.SortedSetAddAsync(TagKey(prefix, fake, "pending"), fake, 0);                     // ZADD rs:{tag}:pending 0 <sid>
        var ended = await manager.CreateSessionAsync("sven");
        Assert.True(await manager.TerminateSessionAsync(ended.SessionId));
        await Db.SortedSetRemoveAsync(TagKey(prefix, ended.SessionId, "pending"), ended.SessionId); // its handler would never come

        await RepairAsync(admin, (CleanupKind.StalePendingEntry, fake, null), (CleanupKind.UnqueuedSnapshot, ended.SessionId, null));

        Assert.Null(await Db.SortedSetScoreAsync(TagKey(prefix, fake, "pending"), fake));
        Assert.Equal(0, await Db.SortedSetScoreAsync(TagKey(prefix, ended.SessionId, "pending"), ended.SessionId));
        // A handler now runs it, once.
        var recorder = new TerminationRecorder();
        await using var handler = NewManager(prefix);
        using var registration = handler.RegisterTerminationCallback(recorder.Record);
        await handler.CleanupInactiveSessionsAsync();
        Assert.Equal(TerminationReason.Terminated, Assert.Single(recorder.For(ended.SessionId)).Reason);
    }

    [Fact]
    public async Task A_missing_wake_key_is_armed_again_and_a_wrong_counter_is_recounted()
    {
        var prefix = NewPrefix();
        var (manager, admin, live) = await StoreAsync(prefix);
        await using var _ = manager;
        var wake = TagKey(prefix, live[1].SessionId, "wake");
        await Db.KeyDeleteAsync(wake);                                                              // DEL rs:{tag}:wake
        var counter = TagKey(prefix, live[2].SessionId, "sessions");
        var real = (long)await Db.StringGetAsync(counter);
        await Db.StringSetAsync(counter, 42);                                                       // SET rs:{tag}:sessions 42

        await RepairAsync(admin, (CleanupKind.WakeMismatch, null, null), (CleanupKind.CounterMismatch, null, null));

        Assert.Equal(real, (long)await Db.StringGetAsync(counter));
        var wakeAt = (long)await Db.ExecuteAsync("PEXPIRETIME", (RedisKey)wake);
        var earliest = (await Db.SortedSetRangeByRankWithScoresAsync(TagKey(prefix, live[1].SessionId, "due"), 0, 0))[0].Score;
        Assert.InRange(wakeAt, (long)earliest - 1, (long)earliest + 1);
        Assert.Equal(live.Count, (await manager.GetStatsAsync()).TotalActiveSessions);
    }

    [Fact]
    public async Task Sessions_past_their_time_that_nothing_ended_are_ended_by_a_sweep_and_left_for_the_handlers()
    {
        var prefix = NewPrefix();
        var (manager, admin, live) = await StoreAsync(prefix);
        await using var _ = manager;
        await using var quick = NewManager(prefix, o => { o.InactiveTimeout = TimeSpan.FromMilliseconds(300); o.MaxSessionsPerUser = 0; });
        var overdue = new[] { await quick.CreateSessionAsync("tom"), await quick.CreateSessionAsync("tom"), await quick.CreateSessionAsync("uwe") };
        await WaitForRedisTimeAsync(overdue.Max(s => s.ExpiresAt));

        var result = await RepairAsync(admin, [.. overdue.Select(s => (CleanupKind.OverdueSession, (string?)s.SessionId, (string?)null))]);

        Assert.Equal(3, result.SessionsEnded);
        foreach (var session in overdue)
        {
            var fields = await FieldsAsync(prefix, session.SessionId);
            Assert.Equal("expired", fields["reason"]);
            Assert.Equal(0, await Db.SortedSetScoreAsync(TagKey(prefix, session.SessionId, "pending"), session.SessionId));
        }
        await AssertStillLiveAsync(manager, live);
    }

    [Fact]
    public async Task What_changed_between_the_plan_and_the_repair_is_left_alone()
    {
        var prefix = NewPrefix();
        var (manager, admin, live) = await StoreAsync(prefix);
        await using var _ = manager;
        var fake = TestKeys.Tag(live[0].SessionId) + new string('R', 22);
        await Db.SortedSetAddAsync(TagKey(prefix, fake, "pending"), fake, 0);
        var listedAgain = await manager.CreateSessionAsync("vera");
        var veraKeeps = await manager.CreateSessionAsync("vera");
        Assert.True(await manager.TerminateSessionAsync(listedAgain.SessionId));
        await Db.SortedSetAddAsync(UserKey(prefix, listedAgain.SessionId, "vera"), listedAgain.SessionId, veraKeeps.ExpiresAt.ToUnixTimeMilliseconds() + 1000);
        var plan = await admin.PlanCleanupAsync();
        Assert.Equal(2, plan.Items.Count);

        // Meanwhile: the snapshot turns up, and someone removed the stray entry by hand.
        await Db.HashSetAsync(SessionKey(prefix, fake), [new("user", "wim"), new("ended", 1), new("reason", "admin")]);
        await Db.SortedSetRemoveAsync(UserKey(prefix, listedAgain.SessionId, "vera"), listedAgain.SessionId);
        var result = await admin.ApplyCleanupAsync(plan);

        Assert.Equal(0, result.TotalRepaired);
        Assert.Equal(1, result.Skipped[CleanupKind.StalePendingEntry]);
        Assert.Equal(1, result.Skipped[CleanupKind.StaleIndexEntry]);
        Assert.Equal(0, await Db.SortedSetScoreAsync(TagKey(prefix, fake, "pending"), fake));
        await AssertStillLiveAsync(manager, [.. live, veraKeeps]);
    }

    [Fact]
    public async Task A_plan_for_another_prefix_is_refused()
    {
        await using var one = NewManager(NewPrefix());
        await using var other = NewManager(NewPrefix() + "x");
        var plan = await new SessionAdmin(one).PlanCleanupAsync();
        await Assert.ThrowsAsync<ArgumentException>(() => new SessionAdmin(other).ApplyCleanupAsync(plan));
    }
}

[Collection(StandaloneCollection.Name)]
public sealed class StandaloneAdminCleanupTests(StandaloneRedisFixture redis) : AdminCleanupTests(redis);

[Collection(ClusterCollection.Name)]
public sealed class ClusterAdminCleanupTests(ClusterRedisFixture redis) : AdminCleanupTests(redis);

[Collection(TlsCollection.Name)]
public sealed class TlsAdminCleanupTests(TlsRedisFixture redis) : AdminCleanupTests(redis);
