using System.Collections.Concurrent;
using RedisSessions.Faults.Tests.Infrastructure;
using RedisSessions.LocalRedis;
using StackExchange.Redis;
using Xunit;
using Xunit.Abstractions;

namespace RedisSessions.Faults.Tests;

/// <summary>
/// Redis restarted with its append-only file: sessions, data, logouts handled before the restart, terminations
/// claimed and still running in a handler at the restart, and terminations still waiting for a handler. After the
/// restart every session is live with its data or has ended, every ended one reaches its callback exactly once, and
/// the same managers carry on without being recreated.
/// <para>
/// The server is a redis-server process of the test's own, not a container: it is stopped (SIGTERM) or killed
/// (SIGKILL) and started again on the same port with the same directory, so it reloads the very AOF it wrote; a
/// restarted container would come back on another published port, and a SIGKILL of the process in it is what the
/// test is about.
/// </para>
/// </summary>
public sealed class RestartTests(ITestOutputHelper output)
{
    private const int Live = 40;
    private const int HandledBefore = 30;
    private const int LeftToHandler = 60;
    private const int Expiring = 30;

    [Fact]
    public Task Graceful_restart_keeps_every_session_and_every_pending_termination() =>
        RunAsync(nameof(Graceful_restart_keeps_every_session_and_every_pending_termination), server => server.StopAsync());

    [Fact]
    public Task Sigkill_with_appendfsync_always_keeps_every_session_and_every_pending_termination() =>
        RunAsync(nameof(Sigkill_with_appendfsync_always_keeps_every_session_and_every_pending_termination), server => server.KillAsync(), "--appendfsync", "always");

    private async Task RunAsync(string test, Func<RedisServerProcess, Task> stop, params string[] serverArguments)
    {
        var figures = new Figures(output, test);
        await using var server = await RedisServerProcess.StartAsync(serverArguments);
        var configuration = $"{server.Endpoint},abortConnect=false,connectTimeout=2000,asyncTimeout=3000";
        using var admin = await ConnectionMultiplexer.ConnectAsync(server.Endpoint + ",allowAdmin=true,abortConnect=false");
        var timeline = new Timeline();
        await using var clock = await RedisClockEstimate.StartAsync(admin);
        var log = new TerminationLog(timeline, clock);
        const string prefix = "restart";

        // The handler: terminations left for any handler are held in their callback until Redis is back, so at the
        // restart some are claimed and running, and the rest (the handler has no free slot) wait in Redis.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = new ConcurrentDictionary<string, byte>(StringComparer.Ordinal);
        var entered = new ConcurrentDictionary<string, byte>(StringComparer.Ordinal);
        var handlerLog = new LogCapture(output, "handler");
        await using var handler = await SessionManager.ConnectAsync(configuration, Options(prefix, "handler", TimeSpan.FromMinutes(10), autoCleanup: true), handlerLog);
        handler.RegisterTerminationCallback(log.Handler("handler", hold: async t =>
        {
            if (held.ContainsKey(t.Session.SessionId))
            {
                entered.TryAdd(t.Session.SessionId, 0);
                await release.Task;
            }
        }));
        // The web tier: no callbacks, so its logouts wait in Redis for a handler.
        await using var web = await SessionManager.ConnectAsync(configuration, Options(prefix, "web", TimeSpan.FromMinutes(10), autoCleanup: false), new LogCapture(output, "web"));
        await using var shortLived = await SessionManager.ConnectAsync(configuration, Options(prefix, "short", TimeSpan.FromSeconds(2), autoCleanup: false), new LogCapture(output, "short"));

        async Task<Session> LoginAsync(SessionManager manager, string user)
        {
            var session = await manager.CreateSessionAsync(user, SessionLedger.Data(0, user));
            Assert.True(await manager.SetSessionDataAsync(session.SessionId, new Dictionary<string, string> { ["a"] = "v1", ["b"] = "v1" }));
            return session;
        }

        var live = new List<Session>();
        for (var i = 0; i < Live; i++)
        {
            live.Add(await LoginAsync(web, $"live-{i}"));
        }
        var handledBefore = new List<Session>();
        for (var i = 0; i < HandledBefore; i++)
        {
            var session = await LoginAsync(web, $"handled-{i}");
            Assert.True(await handler.TerminateSessionAsync(session.SessionId)); // its callback runs before this returns
            handledBefore.Add(session);
        }
        Assert.All(handledBefore, s => Assert.Equal(1, log.Count(s.SessionId)));
        var leftToHandler = new List<Session>();
        for (var i = 0; i < LeftToHandler; i++)
        {
            var session = await LoginAsync(web, $"pending-{i}");
            held.TryAdd(session.SessionId, 0);
            leftToHandler.Add(session);
        }
        foreach (var session in leftToHandler)
        {
            Assert.True(await web.TerminateSessionAsync(session.SessionId));
        }
        var expiring = new List<Session>();
        for (var i = 0; i < Expiring; i++)
        {
            var session = await LoginAsync(shortLived, $"expiring-{i}");
            held.TryAdd(session.SessionId, 0);
            expiring.Add(session);
        }

        // The state at the restart: the handler holds as many terminations as it has slots, the others wait.
        var db = admin.GetDatabase();
        int running = 0, waiting = 0;
        await Eventually.TrueAsync(async () =>
        {
            running = waiting = 0;
            foreach (var session in leftToHandler)
            {
                var score = await db.SortedSetScoreAsync(StoreKeys.Pending(prefix, session.SessionId), session.SessionId);
                if (score > 0)
                {
                    running++;
                }
                else if (score == 0)
                {
                    waiting++;
                }
            }
            return running > 0 && running + waiting == LeftToHandler && leftToHandler.Count(s => entered.ContainsKey(s.SessionId)) == running;
        }, "the handler holds its claims and the other terminations wait in Redis", TimeSpan.FromSeconds(30),
            () => $"running {running}, waiting {waiting}, entered {leftToHandler.Count(s => entered.ContainsKey(s.SessionId))}");
        Assert.True(waiting > 0, $"every termination left to a handler was claimed ({running}): the test needs some still waiting at the restart");
        await RedisTime.WaitUntilAsync(db, expiring.Max(s => s.ExpiresAt).ToUnixTimeMilliseconds() + 1);
        figures.Add("sessions", Live + HandledBefore + LeftToHandler + Expiring);
        figures.Add("handled_before_restart", HandledBefore);
        figures.Add("running_in_a_handler_at_restart", running);
        figures.Add("waiting_for_a_handler_at_restart", waiting);
        figures.Add("expired_before_restart", Expiring);

        await stop(server);
        var down = timeline.NowMs;
        var (error, took) = await Calls.FailsAsync<SessionStoreUnavailableException>(() => web.GetSessionAsync(live[0].SessionId));
        output.WriteLine($"while Redis is down: {error.Message} ({took.TotalMilliseconds:0} ms)");
        Assert.Contains("Redis is unreachable", error.Message);
        await server.StartAgainAsync();
        figures.Add("down_s", TimeSpan.FromMilliseconds(timeline.NowMs - down));

        // The same managers, not recreated: the first successful call once the server answers again (StackExchange.Redis
        // reconnects on its own schedule).
        var (_, recovered) = await Calls.UntilAvailableAsync(() => web.GetSessionAsync(live[0].SessionId), "the web manager works again");
        figures.Add("recover_s", recovered);
        release.SetResult();

        var ended = handledBefore.Concat(leftToHandler).Concat(expiring).ToList();
        await Eventually.TrueAsync(() => ended.All(s => log.Count(s.SessionId) >= 1), "every ended session reached its callback", TimeSpan.FromSeconds(60),
            () => $"{ended.Count(s => log.Count(s.SessionId) >= 1)} of {ended.Count}");
        await Eventually.TrueAsync(async () => (await web.GetStatsAsync()) is { PendingTerminations: 0, OverdueSessions: 0 }, "no termination is left pending",
            TimeSpan.FromSeconds(60));

        // Every live session is there with its data; every ended one reached exactly one callback.
        foreach (var session in live)
        {
            var read = await web.PeekSessionAsync(session.SessionId);
            Assert.NotNull(read);
            Assert.Equal("v1", read.GetData("a"));
            Assert.Equal("v1", read.GetData("b"));
            Assert.Equal(session.UserId, read.GetData("user"));
        }
        Assert.All(ended, s => Assert.Equal(1, log.Count(s.SessionId)));
        Assert.All(leftToHandler.Concat(expiring), s => Assert.Equal(1, log.For(s.SessionId)[0].Attempt));
        Assert.All(handledBefore, s => Assert.Equal(TerminationReason.Terminated, log.For(s.SessionId)[0].Reason));
        Assert.All(leftToHandler, s => Assert.Equal(TerminationReason.Terminated, log.For(s.SessionId)[0].Reason));
        Assert.All(expiring, s => Assert.Equal(TerminationReason.Expired, log.For(s.SessionId)[0].Reason));
        Assert.All(ended, s => Assert.Equal("v1", log.For(s.SessionId)[0].Data["a"]));

        // The handler's expiry listener hears expired events again (it subscribed anew after the restart), so it did
        // not warn that notifications are off: they never were.
        await Eventually.TrueAsync(async () => await ExpiredSubscribersAsync(db) == 1, "the expiry listener is subscribed again");
        await Eventually.TrueAsync(() => handlerLog.WithId(110).Count >= 2, "the listener says it listens again after the restart");
        Assert.Empty(handlerLog.WithId(115));

        // And they keep working: a login, a write and a logout through the same managers.
        var after = await LoginAsync(web, "after-restart");
        Assert.True(await handler.TerminateSessionAsync(after.SessionId));
        Assert.Equal(1, log.Count(after.SessionId));

        await handler.ShutdownAsync();
        await web.ShutdownAsync();
        await shortLived.ShutdownAsync();
        Assert.Empty(await StoreInspector.ViolationsAsync(admin, prefix));
        figures.Add("live_after_restart", live.Count);
        figures.Add("terminations", log.Total);
        figures.Add("lost", ended.Count(s => log.Count(s.SessionId) == 0));
        figures.Add("duplicated", ended.Count(s => log.Count(s.SessionId) > 1));
        figures.Publish();
    }

    private static async Task<long> ExpiredSubscribersAsync(IDatabase db)
    {
        var reply = (RedisResult[])(await db.ExecuteAsync("PUBSUB", "NUMSUB", "__keyevent@0__:expired"))!;
        return (long)reply[1];
    }

    private static SessionOptions Options(string prefix, string node, TimeSpan inactive, bool autoCleanup) => new()
    {
        KeyPrefix = prefix,
        NodeName = node,
        InactiveTimeout = inactive,
        EnableAutoCleanup = autoCleanup,
        MaxSessionsPerUser = 0,
    };
}
