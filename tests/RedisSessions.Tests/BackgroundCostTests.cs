using RedisSessions.Keys;
using RedisSessions.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace RedisSessions.Tests;

/// <summary>
/// What the sweep costs Redis when terminations wait for a handler no process here has: a process without termination
/// callbacks may end sessions but never claims, so the ended ones stay pending (score 0) for a process that has
/// callbacks. Its sweeps must not treat them as work: an explicit cleanup does one bounded pass, and an idle node with
/// auto cleanup leaves Redis quiet. Bounded by what Redis counts (INFO commandstats), not by the wall clock.
/// </summary>
public abstract class BackgroundCostTests(RedisFixture redis, ITestOutputHelper output) : SessionTestBase(redis)
{
    private const int Logouts = 600;

    [Fact]
    public async Task Without_callbacks_anywhere_600_logouts_leave_a_cleanup_that_does_one_bounded_pass()
    {
        var prefix = NewPrefix();
        await using var web = NewManager(prefix, o => o.MaxSessionsPerUser = 0);
        var ended = await LogOutManyAsync(web, "lou");

        var before = await CommandStats.ReadAsync(Redis.Connection);
        var swept = await web.CleanupInactiveSessionsAsync().WaitAsync(TimeSpan.FromSeconds(60));
        var work = await CommandStats.ReadAsync(Redis.Connection) - before;
        output.WriteLine($"cleanup with {Logouts} terminations pending and no handler: {work}");

        Assert.Equal(0, swept);
        // One pass: a script per tag (re-arming its wake key), a handful of commands per tag in all (commandstats counts
        // those a script runs too), and nothing per pending termination.
        Assert.InRange(work["evalsha"].Calls + work["eval"].Calls, 1, Tags.Count + 32);
        Assert.True(work.Calls <= 8 * Tags.Count, $"the cleanup ran {work.Calls} commands: {work}");
        // The terminations still wait, untouched, for a process with callbacks; none of them schedules a wake-up.
        Assert.Equal(Logouts, (await web.GetStatsAsync()).PendingTerminations);
        Assert.False(await Db.KeyExistsAsync(TagKey(prefix, ended[0], "wake")));
        foreach (var id in ended.Take(20))
        {
            Assert.Equal(0, await Db.SortedSetScoreAsync(TagKey(prefix, id, "pending"), id));
        }
    }

    [Fact]
    public async Task An_idle_node_with_auto_cleanup_and_no_callbacks_leaves_redis_quiet_while_terminations_wait()
    {
        var prefix = NewPrefix();
        await using var web = NewManager(prefix, o => o.MaxSessionsPerUser = 0);
        var ended = await LogOutManyAsync(web, "ida");
        var staying = await web.CreateSessionAsync("ida");

        // A node of the farm with the background sweep on and no callbacks: its start-up pass (a script per tag, the
        // expiry listener's probe) runs first; after that, with nothing due for the next 30 minutes, nothing.
        await using var idle = NewManager(prefix, o => o.EnableAutoCleanup = true);
        Assert.True(idle.AutoCleanupRunning);
        await WaitUntilQuietAsync();
        var before = await CommandStats.ReadAsync(Redis.Connection);
        await Task.Delay(TimeSpan.FromSeconds(2));
        var work = await CommandStats.ReadAsync(Redis.Connection) - before;
        output.WriteLine($"idle node over 2 s with {Logouts} terminations pending: {work}");

        Assert.True(work.Calls <= 4, $"an idle node sent {work.Calls} commands in 2 s: {work}");
        Assert.Equal(Logouts, (await web.GetStatsAsync()).PendingTerminations);
        Assert.NotNull(await web.PeekSessionAsync(staying.SessionId));
        // The tag's wake key is due at the staying session's expiry, not at once for the pending terminations.
        var wake = (long)await Db.ExecuteAsync("PEXPIRETIME", TagKey(prefix, ended[0], "wake"));
        Assert.Equal(staying.ExpiresAt.ToUnixTimeMilliseconds(), wake);
    }

    /// <summary>Creates <see cref="Logouts"/> sessions of one user and logs each out, with no callback anywhere: every
    /// one stays pending for a handler, in the user's tag.</summary>
    private static async Task<List<string>> LogOutManyAsync(SessionManager web, string user)
    {
        var ids = new List<string>(Logouts);
        for (var i = 0; i < Logouts; i++)
        {
            ids.Add((await web.CreateSessionAsync(user)).SessionId);
        }
        foreach (var id in ids)
        {
            Assert.True(await web.TerminateSessionAsync(id));
        }
        Assert.Equal(Logouts, (await web.GetStatsAsync()).PendingTerminations);
        return ids;
    }

    /// <summary>Waits until Redis has run nothing but housekeeping for half a second (at most 30 s).</summary>
    private async Task WaitUntilQuietAsync()
    {
        var last = await CommandStats.ReadAsync(Redis.Connection);
        var recent = last - last;
        await Eventually.TrueAsync(async () =>
        {
            await Task.Delay(500);
            var now = await CommandStats.ReadAsync(Redis.Connection);
            recent = now - last;
            last = now;
            return recent.Calls == 0;
        }, "Redis is quiet after the node's start-up pass", TimeSpan.FromSeconds(30), () => $"last 500 ms: {recent}");
    }
}

[Collection(StandaloneCollection.Name)]
public sealed class StandaloneBackgroundCostTests(StandaloneRedisFixture redis, ITestOutputHelper output) : BackgroundCostTests(redis, output);

[Collection(ClusterCollection.Name)]
public sealed class ClusterBackgroundCostTests(ClusterRedisFixture redis, ITestOutputHelper output) : BackgroundCostTests(redis, output);
