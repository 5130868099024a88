using RedisSessions.Faults.Tests.Infrastructure;
using RedisSessions.LocalRedis;
using StackExchange.Redis;
using Xunit;
using Xunit.Abstractions;

namespace RedisSessions.Faults.Tests;

/// <summary>
/// Redis frozen for 5 s under load (SIGSTOP, then SIGCONT): the port stays open and the kernel takes every command,
/// but nothing is answered. Calls must fail fast with <see cref="SessionStoreUnavailableException"/> within the
/// client's timeout, nothing may hang, the same managers must carry on afterwards, and every call that failed must
/// have had its whole effect or none (a timed-out call may still run when Redis wakes up: it was in the socket).
/// <para>
/// The server is a redis-server process of the test's own, not a container: freezing the process with SIGSTOP is the
/// fault (a container's freezer would do the same, but its engine is not on every machine and a paused container's
/// published port answers differently through the proxy), and it must come back as the same process.
/// </para>
/// </summary>
public sealed class PauseTests(ITestOutputHelper output)
{
    private const int TimeoutMs = 1000;
    private static readonly TimeSpan Freeze = TimeSpan.FromSeconds(5);

    /// <summary>StackExchange.Redis notices a timed-out call on its heartbeat, once a second, so a call fails between
    /// the timeout and the timeout plus a heartbeat (2 s measured on a quiet machine); the rest is room for a heartbeat
    /// timer that fires late on 2 busy shared cores (2.6 s seen). Either way well before the 5 s freeze ends.</summary>
    private const int MarginMs = 3000;

    [Fact]
    public async Task Frozen_for_5_s_calls_fail_within_the_timeout_and_nothing_is_half_written()
    {
        var figures = new Figures(output, nameof(Frozen_for_5_s_calls_fail_within_the_timeout_and_nothing_is_half_written));
        await using var server = await RedisServerProcess.StartAsync();
        // asyncTimeout bounds a call sent to a server that does not answer; syncTimeout bounds a call waiting for a
        // connection (StackExchange.Redis drops a connection that has read nothing for 4 async timeouts, and a new
        // one to a frozen server never finishes its handshake); connectTimeout bounds that handshake.
        var configuration = $"{server.Endpoint},abortConnect=false,asyncTimeout={TimeoutMs},syncTimeout={TimeoutMs},connectTimeout={TimeoutMs}";
        figures.Add("configuration", $"asyncTimeout={TimeoutMs},syncTimeout={TimeoutMs},connectTimeout={TimeoutMs}");
        using var admin = await ConnectionMultiplexer.ConnectAsync(server.Endpoint + ",allowAdmin=true,abortConnect=false");
        const string prefix = "pause";
        var timeline = new Timeline();
        await using var clock = await RedisClockEstimate.StartAsync(admin);
        var log = new TerminationLog(timeline, clock);
        var ledger = new SessionLedger(timeline, clock);

        await using var handler = await SessionManager.ConnectAsync(configuration, Options(prefix, "handler", autoCleanup: true), new LogCapture(output, "handler"));
        handler.RegisterTerminationCallback(log.Handler("handler"));
        await using var web = await SessionManager.ConnectAsync(configuration, Options(prefix, "web", autoCleanup: false), new LogCapture(output, "web"));

        using var stop = new CancellationTokenSource();
        var load = new LoadGenerator(ledger, new LoadShape(Workers: 8, Interval: TimeSpan.FromMilliseconds(80), LogoutEvery: 2, Writes: 3, UserPrefix: "p", HangLimit: TimeSpan.FromSeconds(15)),
            ("web", web), ("handler", handler));
        var running = load.RunAsync(stop.Token);
        await Eventually.TrueAsync(() => Succeeded(ledger, "create") >= 50, "the load runs", TimeSpan.FromSeconds(30));

        await server.PauseAsync();
        var pausedAt = timeline.NowMs;
        // Besides the load's own calls (mostly logins once it is stuck), every kind of call on sessions that exist.
        var targets = ledger.Sessions.Where(e => e.LogoutAckedAtMs is null && e.LogoutUnsureAtMs is null).OrderByDescending(e => e.CreatedAtMs).Take(12).ToList();
        var direct = targets.Select((entry, i) => (i % 3) switch
        {
            0 => load.WriteAsync(entry, 100 + i),
            1 => load.LogoutAsync(entry),
            _ => load.ReadAsync(entry),
        }).Concat(Enumerable.Range(0, 4).Select(i => (Task)load.LoginAsync(i % 2 == 0 ? "web" : "handler", "frozen-" + i))).ToList();
        await Eventually.TrueAsync(() => timeline.NowMs - pausedAt >= Freeze.TotalMilliseconds && ledger.Operations.Any(o => !o.Succeeded && o.StartMs >= pausedAt),
            "Redis has been frozen for 5 s, failing calls", Freeze * 3);
        await server.ResumeAsync();
        var resumedAt = timeline.NowMs;
        await Task.WhenAll(direct);

        await Eventually.TrueAsync(() => Succeeded(ledger, "create", after: resumedAt) >= 50, "the load runs again", TimeSpan.FromSeconds(30));
        await stop.CancelAsync();
        await running;
        var stoppedAt = timeline.NowMs;
        await Quiescence.WaitAsync(web, TimeSpan.FromSeconds(60));
        figures.Add("quiet_after_load_s", TimeSpan.FromMilliseconds(timeline.NowMs - stoppedAt));

        var operations = ledger.Operations;
        var failed = operations.Where(o => !o.Succeeded).ToList();
        var firstRecovery = operations.Where(o => o.Succeeded && o.StartMs >= resumedAt).Min(o => o.EndMs);
        figures.Add("freeze_s", TimeSpan.FromMilliseconds(resumedAt - pausedAt));
        figures.Add("failed_calls", failed.Count);
        figures.Add("failed_call_ms_p50", Percentile(failed.Select(o => o.DurationMs), 50));
        figures.Add("failed_call_ms_max", failed.Count == 0 ? 0 : failed.Max(o => o.DurationMs));
        figures.Add("call_ms_max", operations.Max(o => o.DurationMs));
        figures.Add("recover_s", TimeSpan.FromMilliseconds(firstRecovery - resumedAt));
        foreach (var kind in failed.GroupBy(o => o.Kind))
        {
            figures.Add("failed_" + kind.Key + "s", kind.Count());
        }
        foreach (var outcome in failed.GroupBy(o => o.Outcome))
        {
            output.WriteLine($"{outcome.Count()} calls ended {outcome.Key}; e.g. {outcome.First().Error}");
        }

        // Each kind of call failed at least once during the freeze.
        Assert.All(new[] { "create", "read", "write", "logout" }, kind => Assert.Contains(failed, o => o.Kind == kind));
        // Every failure is the one the library promises, and came within the timeout; no call hung.
        Assert.All(failed, o => Assert.Equal("unavailable", o.Outcome));
        Assert.All(operations, o => Assert.True(o.DurationMs <= TimeoutMs + MarginMs, $"a {o.Kind} call took {o.DurationMs} ms ({o.Outcome})"));

        // Nothing half-written, nothing lost, nothing run twice: every login acknowledged reached exactly one callback,
        // with the data last acknowledged or a later write that failed; a failed login left a whole session or none.
        var accounting = Accounting.Of(ledger, log);
        accounting.Report(figures);
        foreach (var line in accounting.Unexplained)
        {
            output.WriteLine("unexplained: " + line);
        }
        Assert.Empty(ledger.Anomalies);
        Assert.Empty(accounting.Unexplained);
        Assert.Equal(0, accounting.Lost);
        Assert.Equal(0, accounting.Duplicated);

        await handler.ShutdownAsync();
        await web.ShutdownAsync();
        Assert.Empty(await StoreInspector.ViolationsAsync(admin, prefix));
        Assert.Empty(await StoreInspector.LeftoversAsync(admin, prefix));
        figures.Publish();
    }

    private static int Succeeded(SessionLedger ledger, string kind, long after = 0) => ledger.Operations.Count(o => o.Kind == kind && o.Succeeded && o.StartMs >= after);

    private static long Percentile(IEnumerable<long> values, int percentile)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(percentile / 100.0 * sorted.Length) - 1)];
    }

    private static SessionOptions Options(string prefix, string node, bool autoCleanup) => new()
    {
        KeyPrefix = prefix,
        NodeName = node,
        EnableAutoCleanup = autoCleanup,
        InactiveTimeout = TimeSpan.FromSeconds(3),
        ActivityResolution = TimeSpan.Zero,
        MaxSessionsPerUser = 0,
        TerminationNoticePeriod = TimeSpan.Zero,
        // A logout through the handler whose answer is lost leaves its termination claimed by the handler, which does
        // not know it: it runs when the lease runs out (attempt 2). 5 s instead of 30 keeps the test short.
        TerminationClaimTimeout = TimeSpan.FromSeconds(5),
    };
}
