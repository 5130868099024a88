using StackExchange.Redis;
using Xunit;
using Xunit.Abstractions;

namespace RedisSessions.Faults.Tests.Infrastructure;

/// <summary>
/// A primary killed under load, shared by the Sentinel and the cluster tests: a web manager without callbacks and a
/// handling manager run logins, reads, writes and logouts, a second handling manager only handles terminations;
/// sessions live 3 s without activity, so they expire all the time. The fault is applied, the time to the first
/// successful call after it measured, the load run on for a while, then everything is left to end and be handled, and
/// the callbacks are set against what the application was told.
/// </summary>
public sealed class FailoverLoad(ITestOutputHelper output, Figures figures, string prefix, string configuration)
{
    public Timeline Timeline { get; } = new();

    public SessionLedger? Ledger { get; private set; }

    public TerminationLog? Log { get; private set; }

    /// <summary>When the fault was applied and when the first call after it succeeded (ms of <see cref="Timeline"/>).</summary>
    public (long FaultAt, long RecoveredAt) Times { get; private set; }

    /// <summary>Runs the scenario; <paramref name="fault"/> kills the primary, <paramref name="failedOver"/> waits until
    /// the topology has a new primary (returns when it saw it). <paramref name="served"/> tells the sessions the killed
    /// primary served (on a cluster, those of its slots; recovery is measured on them), every one when null.</summary>
    public async Task<Accounting> RunAsync(IConnectionMultiplexer clockSource, Func<Task> fault, Func<Task> failedOver, Func<string, bool>? served = null)
    {
        served ??= _ => true;
        await using var clock = await RedisClockEstimate.StartAsync(clockSource);
        var log = Log = new TerminationLog(Timeline, clock);
        var ledger = Ledger = new SessionLedger(Timeline, clock);
        await using var web = await SessionManager.ConnectAsync(configuration, Options("web", autoCleanup: false), new LogCapture(output, "web"));
        await using var handler = await SessionManager.ConnectAsync(configuration, Options("handler-1", autoCleanup: true), new LogCapture(output, "handler-1"));
        await using var handler2 = await SessionManager.ConnectAsync(configuration, Options("handler-2", autoCleanup: true), new LogCapture(output, "handler-2"));
        handler.RegisterTerminationCallback(log.Handler("handler-1"));
        handler2.RegisterTerminationCallback(log.Handler("handler-2"));

        using var stop = new CancellationTokenSource();
        var load = new LoadGenerator(ledger, new LoadShape(Workers: 6, Interval: TimeSpan.FromMilliseconds(60), LogoutEvery: 2, Writes: 2, UserPrefix: "f", HangLimit: TimeSpan.FromSeconds(30)),
            ("web", web), ("handler-1", handler));
        var running = load.RunAsync(stop.Token);
        await Eventually.TrueAsync(() => Logins(ledger, 0) >= 100, "the load runs", TimeSpan.FromSeconds(60));
        await Eventually.TrueAsync(() => log.Total >= 20, "terminations are handled", TimeSpan.FromSeconds(30));

        await fault();
        var faultAt = Timeline.NowMs; // the primary is dead: what it acknowledged until now may not have been replicated
        await failedOver();
        figures.Add("failover_s", TimeSpan.FromMilliseconds(Timeline.NowMs - faultAt));
        // Recovered: the first write (login, data write, logout) of a session the killed primary served, started after
        // the kill, that succeeded. Reads may succeed earlier, served by the replica while the primary is down.
        await Eventually.TrueAsync(() => FirstSuccess(ledger, faultAt, Writes, served) >= 0, "a write succeeds after the fault", TimeSpan.FromSeconds(60));
        var recoveredAt = FirstSuccess(ledger, faultAt, Writes, served);
        Times = (faultAt, recoveredAt);
        await Eventually.TrueAsync(() => Logins(ledger, recoveredAt) >= 100, "the load runs on the new primary", TimeSpan.FromSeconds(60));
        await stop.CancelAsync();
        await running;
        figures.Add("recover_s", TimeSpan.FromMilliseconds(recoveredAt - faultAt));
        var firstRead = FirstSuccess(ledger, faultAt, ["read"], served);
        figures.Add("first_read_after_fault_s", TimeSpan.FromMilliseconds(firstRead - faultAt));
        figures.Add("call_ms_max", ledger.Operations.Max(o => o.DurationMs));
        figures.Add("failed_call_ms_max", ledger.Operations.Where(o => !o.Succeeded).Select(o => o.DurationMs).DefaultIfEmpty(0).Max());

        var stoppedAt = Timeline.NowMs;
        await Quiescence.WaitAsync(web, TimeSpan.FromSeconds(90));
        figures.Add("quiet_after_load_s", TimeSpan.FromMilliseconds(Timeline.NowMs - stoppedAt));
        await handler.ShutdownAsync();
        await handler2.ShutdownAsync();
        await web.ShutdownAsync();

        // What the primary acknowledged before it died may not have reached the replica; a callback whose run or
        // acknowledgement fell into the failover may run again once its lease runs out.
        var accounting = Accounting.Of(ledger, log, explainedUpToMs: faultAt, duplicatesExplainedUpToMs: recoveredAt + DuplicateSlackMs);
        accounting.Report(figures);
        figures.Add("failed_calls_by_kind", string.Join(" ", ledger.Operations.Where(o => !o.Succeeded).GroupBy(o => o.Kind).Select(g => $"{g.Key}:{g.Count()}")));
        figures.Add("failed_calls_by_outcome", string.Join(" ", ledger.Operations.Where(o => !o.Succeeded).GroupBy(o => o.Outcome).Select(g => $"{g.Key}:{g.Count()}")));
        foreach (var line in accounting.Explained)
        {
            output.WriteLine("explained by the failover: " + line);
        }
        foreach (var line in accounting.Unexplained.Concat(ledger.Anomalies))
        {
            output.WriteLine("UNEXPLAINED: " + line);
        }
        foreach (var slow in ledger.Operations.OrderByDescending(o => o.DurationMs).Take(5))
        {
            output.WriteLine($"slowest: {slow.Kind} started {slow.StartMs - faultAt} ms after the fault, took {slow.DurationMs} ms, {slow.Outcome} {slow.Error}");
        }
        foreach (var error in ledger.Operations.Where(o => o.Outcome.StartsWith("error", StringComparison.Ordinal) || o.Outcome == "hung").Take(2))
        {
            output.WriteLine($"{error.Kind} {error.Outcome} after {error.DurationMs} ms: {error.Error}");
        }
        return accounting;
    }

    /// <summary>How long after the first successful call a claim made before the fault may still run its callback (a
    /// busy thread pool on 2 shared cores).</summary>
    private const long DuplicateSlackMs = 2000;

    /// <summary>Asserts what every failover test requires: no call failed with anything but
    /// <see cref="SessionStoreUnavailableException"/> or took longer than <paramref name="callLimit"/>, and nothing
    /// the failover does not explain.</summary>
    /// <param name="callLimit">A library call is up to three Redis calls (the session's user, EVALSHA, and EVAL when
    /// the promoted replica answers NOSCRIPT: scripts are not replicated), each bounded by the client's timeout plus
    /// its one-second heartbeat.</param>
    public void AssertOnlyTheFailoverExplains(Accounting accounting, TimeSpan callLimit)
    {
        Assert.NotNull(Ledger);
        Assert.All(Ledger.Operations, o => Assert.True(o.DurationMs <= callLimit.TotalMilliseconds, $"a {o.Kind} call took {o.DurationMs} ms ({o.Outcome}): {o.Error}"));
        Assert.Empty(Ledger.Operations.Where(o => !o.Succeeded && o.Outcome != "unavailable").Select(o => $"{o.Kind} {o.Outcome}: {o.Error}"));
        Assert.DoesNotContain(Ledger.Anomalies, a => !a.Contains("after version", StringComparison.Ordinal));
        Assert.Empty(accounting.Unexplained);
    }

    private static readonly string[] Writes = ["create", "write", "logout"];

    private static long FirstSuccess(SessionLedger ledger, long after, string[] kinds, Func<string, bool> served) =>
        ledger.Operations.Where(o => o.Succeeded && o.StartMs >= after && kinds.Contains(o.Kind) && o.SessionId is { } id && served(id))
            .Select(o => o.EndMs).DefaultIfEmpty(-1).Min();

    private static int Logins(SessionLedger ledger, long after) => ledger.Operations.Count(o => o.Kind == "create" && o.Succeeded && o.StartMs >= after);

    private SessionOptions Options(string node, bool autoCleanup) => new()
    {
        KeyPrefix = prefix,
        NodeName = node,
        EnableAutoCleanup = autoCleanup,
        InactiveTimeout = TimeSpan.FromSeconds(3),
        ActivityResolution = TimeSpan.Zero,
        MaxSessionsPerUser = 0,
        TerminationNoticePeriod = TimeSpan.Zero,
        TerminationClaimTimeout = TimeSpan.FromSeconds(5),
    };
}
