using Xunit;

namespace RedisSessions.Faults.Tests.Infrastructure;

/// <summary>A run of every public operation against a manager under some restriction (an ACL, TLS), each answer
/// checked. The manager must allow 2 sessions per user, let sessions live long enough for the checks (10 s), and have
/// its termination callback record into the given log.</summary>
public static class ContractSlice
{
    /// <summary>Every operation of the public API, checking each one's answer, with callbacks for logouts, evictions,
    /// terminate-user and expiry.</summary>
    public static async Task RunAsync(SessionManager app, TerminationLog log)
    {
        var first = await app.CreateSessionAsync("alice", new Dictionary<string, string> { ["a"] = "1" });
        var second = await app.CreateSessionAsync("alice");
        var third = await app.CreateSessionAsync("alice"); // over the limit of 2: the first is evicted
        await Eventually.TrueAsync(() => log.Count(first.SessionId) == 1, "the eviction's callback ran");
        Assert.Equal(TerminationReason.Evicted, log.For(first.SessionId)[0].Reason);
        Assert.Equal("1", log.For(first.SessionId)[0].Data["a"]);

        Assert.NotNull(await app.GetSessionAsync(second.SessionId));
        Assert.NotNull(await app.PeekSessionAsync(second.SessionId));
        Assert.True(await app.SetSessionDataAsync(second.SessionId, new Dictionary<string, string> { ["b"] = "2", ["c"] = new string('x', 500) }));
        var reread = await app.GetSessionAsync(second.SessionId);
        Assert.Equal("2", reread!.GetData("b"));
        Assert.True(await reread.RemoveDataAsync("c"));
        Assert.True(await app.UpdateSessionActivityAsync(second.SessionId));
        var rotated = await app.RotateSessionIdAsync(second.SessionId);
        Assert.Null(await app.GetSessionAsync(second.SessionId));
        Assert.Equal("2", (await app.GetSessionAsync(rotated.SessionId))!.GetData("b"));
        Assert.Equal(2, (await app.GetUserSessionsAsync("alice")).Count);
        Assert.Equal(2, (await app.GetStatsAsync()).TotalActiveSessions);
        Assert.True(await app.TerminateSessionAsync(rotated.SessionId));
        Assert.Equal(1, log.Count(rotated.SessionId));
        Assert.Equal(TerminationReason.Terminated, await app.FindTerminationReasonAsync(rotated.SessionId));
        await app.PingAsync();

        await app.CreateSessionAsync("bob");
        await app.CreateSessionAsync("bob");
        Assert.Equal(2, await app.TerminateUserSessionsAsync("bob"));

        // third and a new one expire (the manager's InactiveTimeout without activity) and reach their callbacks through the background work.
        var carol = await app.CreateSessionAsync("carol");
        await Eventually.TrueAsync(() => log.Count(third.SessionId) == 1 && log.Count(carol.SessionId) == 1, "the expired sessions reached their callbacks", TimeSpan.FromSeconds(30));
        Assert.Equal(TerminationReason.Expired, log.For(carol.SessionId)[0].Reason);
        Assert.Equal(0, await app.CleanupInactiveSessionsAsync());
        Assert.Equal(0, (await app.GetStatsAsync()).TotalActiveSessions);
    }
}
