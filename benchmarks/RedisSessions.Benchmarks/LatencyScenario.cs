using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using RedisSessions.LocalRedis;
using StackExchange.Redis;

namespace RedisSessions.Benchmarks;

/// <summary>How a handler process learns that sessions' time is up.</summary>
internal sealed record LatencyConfiguration(string Name, string Description, bool KeyspaceEvents, TimeSpan DeadlineRefreshInterval);

/// <summary>One configuration's expiry → callback latencies (ms), over the sessions whose expiry fell in the window.</summary>
internal sealed record LatencyResult(
    LatencyConfiguration Configuration,
    int Expected,
    IReadOnlyList<double> SortedMs,
    double AverageLive,
    double CommandsPerSecond,
    double RedisCpuPercent,
    int SlowEntries,
    TimeSpan RedisWaiting,
    TimeSpan Took)
{
    public int Handled => SortedMs.Count;
}

/// <summary>
/// Expiry → termination-callback latency (the <c>--latency</c> mode): a handler process (library defaults and one
/// callback, its own connection) ends sessions whose time is up while loader processes (no callback, background off)
/// keep <see cref="BenchmarkSettings.LatencyLiveSessions"/> live with <see cref="BenchmarkSettings.LatencyExpiringPerMinute"/>
/// of them expiring each minute. The loaders start in steady state at once: the first sessions get inactivity
/// timeouts spread evenly over one lifetime (live / expiring per minute: 2 minutes by default), and new ones come at
/// the expiry rate with the full lifetime. The latency of a session is the callback's wall clock minus the session's
/// expiry (Redis's clock; both on this machine), for every session whose expiry falls in the measured window. Each
/// configuration runs on a fresh redis-server with deploy/redis.conf.
/// </summary>
internal static class LatencyScenario
{
    public static readonly LatencyConfiguration[] Configurations =
    [
        new("keyspace events only", "notify-keyspace-events `Ex`, DeadlineRefreshInterval 0 (the deadline schedule off): each tag's wake-key `expired` event starts its sweep",
            KeyspaceEvents: true, TimeSpan.Zero),
        new("defaults", "notify-keyspace-events `Ex`, DeadlineRefreshInterval 1 s (the default): the deadline schedule sweeps each tag at its next expiry; keyspace events are the fallback",
            KeyspaceEvents: true, TimeSpan.FromSeconds(1)),
        new("no keyspace events", "notify-keyspace-events off, DeadlineRefreshInterval 1 s (the default): the deadline schedule alone",
            KeyspaceEvents: false, TimeSpan.FromSeconds(1)),
    ];

    private const int Slices = 600;

    public static async Task<IReadOnlyList<LatencyResult>> RunAsync(BenchmarkSettings settings)
    {
        var results = new List<LatencyResult>();
        foreach (var configuration in Configurations)
        {
            results.Add(await RunOneAsync(settings, configuration));
        }
        return results;
    }

    private static async Task<LatencyResult> RunOneAsync(BenchmarkSettings settings, LatencyConfiguration configuration)
    {
        var clock = Stopwatch.StartNew();
        await using var server = await RedisServerProcess.StartAsync();
        await using var probe = await RedisProbe.ConnectAsync(server.Endpoint);
        if (!configuration.KeyspaceEvents)
        {
            await probe.ConfigSetAsync("notify-keyspace-events", string.Empty);
        }
        await probe.ResetSlowlogAsync();
        Scenario.Log($"{configuration.Name}: redis-server on {server.Endpoint}, notify-keyspace-events '{await probe.ConfigAsync("notify-keyspace-events")}', DeadlineRefreshInterval {configuration.DeadlineRefreshInterval.TotalSeconds:0.#} s");

        var expires = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var handledAt = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var handlerOptions = new SessionOptions { NodeName = "latency-handler", DeadlineRefreshInterval = configuration.DeadlineRefreshInterval };
        await using var handler = await SessionManager.ConnectAsync(server.Endpoint, handlerOptions);
        using var registration = handler.RegisterTerminationCallback((termination, _) =>
        {
            if (termination.Reason is TerminationReason.Expired or TerminationReason.AbsoluteTimeout)
            {
                handledAt.TryAdd(termination.Session.SessionId, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            }
            return Task.CompletedTask;
        });
        // The handler's listener checks that the server publishes expired events (up to 2 s) before it counts on them.
        await Task.Delay(TimeSpan.FromSeconds(3));

        var live = settings.LatencyLiveSessions;
        var lifetime = TimeSpan.FromMinutes((double)live / settings.LatencyExpiringPerMinute);
        var perSecond = settings.LatencyExpiringPerMinute / 60.0;
        await using var loaders = await ConnectionMultiplexer.ConnectAsync(server.Endpoint + ",name=latency-loader");
        SessionManager Loader(TimeSpan timeout) => new(loaders, new SessionOptions { EnableAutoCleanup = false, NodeName = "latency-loader", InactiveTimeout = timeout });
        var sliced = Enumerable.Range(1, Slices).Select(k => Loader(lifetime * k / Slices)).ToArray();
        var steady = Loader(lifetime);
        var made = 0;
        async Task CreateAsync(SessionManager manager)
        {
            var user = "lat-" + Interlocked.Increment(ref made).ToString(CultureInfo.InvariantCulture);
            var session = await manager.CreateSessionAsync(user, RedisSessionsSide.NewData());
            expires[session.SessionId] = session.ExpiresAt.ToUnixTimeMilliseconds();
        }

        // Steady state from the start: timeouts spread evenly over one lifetime.
        var prefill = Stopwatch.StartNew();
        await LoadRunner.RunOnceEachAsync(settings.Concurrency, 0, live, (i, _) => CreateAsync(sliced[(int)((long)i * Slices / live)]));
        Scenario.Log($"  {live:N0} sessions created in {prefill.Elapsed.TotalSeconds:0.0} s, expiries spread over {lifetime.TotalSeconds:0} s; new ones at {perSecond:0.#}/s");

        var windowStart = DateTimeOffset.UtcNow.AddSeconds(settings.LatencySettleSeconds).ToUnixTimeMilliseconds();
        var windowEnd = windowStart + (long)(settings.LatencyWindowSeconds * 1000);
        var started = Stopwatch.StartNew();
        var steadyMade = 0;
        StatsSnapshot? before = null;
        var scheduledBefore = RunEnvironment.Scheduling([server.ProcessId ?? 0]);
        double liveSum = 0;
        var liveSamples = 0;
        while (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() < windowEnd)
        {
            var due = (int)(started.Elapsed.TotalSeconds * perSecond) - steadyMade;
            if (due > 0)
            {
                steadyMade += due;
                await Task.WhenAll(Enumerable.Range(0, due).Select(_ => CreateAsync(steady)));
            }
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            if (before is null && now >= windowStart)
            {
                await probe.ResetStatisticsAsync();
                before = await probe.SnapshotAsync();
                scheduledBefore = RunEnvironment.Scheduling([server.ProcessId ?? 0]);
            }
            if (now >= windowStart)
            {
                liveSum += expires.Values.Count(e => e > now);
                liveSamples++;
            }
            await Task.Delay(100);
        }
        var after = await probe.SnapshotAsync();
        var waited = RunEnvironment.Scheduling([server.ProcessId ?? 0]).Waiting - scheduledBefore.Waiting;
        var windowSeconds = settings.LatencyWindowSeconds;
        var cost = RedisProbe.CostBetween(before ?? after, after, 1, null);

        var expected = expires.Where(e => e.Value >= windowStart && e.Value < windowEnd).Select(e => e.Key).ToList();
        // Wait for the window's sessions to be handled: at most a minute (the keyspace-events-only configuration can
        // lag by tens of seconds), never past what the full sweep (CleanupInterval) would catch anyway.
        var drain = Stopwatch.StartNew();
        while (drain.Elapsed < TimeSpan.FromSeconds(60) && expected.Any(id => !handledAt.ContainsKey(id)))
        {
            await Task.Delay(250);
        }
        var latencies = expected.Where(handledAt.ContainsKey).Select(id => (double)(handledAt[id] - expires[id])).Order().ToList();
        var slow = (await probe.SlowlogAsync()).Count(e => !e.ByHarness);
        foreach (var manager in sliced.Append(steady))
        {
            await manager.DisposeAsync();
        }
        var result = new LatencyResult(configuration, expected.Count, latencies, liveSamples > 0 ? liveSum / liveSamples : 0,
            cost.CommandsPerOp / windowSeconds, cost.ServerCpuUsPerOp / windowSeconds / 1e4, slow, waited, clock.Elapsed);
        Scenario.Log($"  {configuration.Name}: {result.Handled:N0} of {result.Expected:N0} handled; p50 {Stats.Percentile(latencies, 50):N0} ms, p99 {Stats.Percentile(latencies, 99):N0} ms, max {latencies.DefaultIfEmpty(double.NaN).Max():N0} ms; {clock.Elapsed:m\\:ss}");
        return result;
    }

    public static string Report(BenchmarkSettings settings, RunEnvironment e, TimeSpan took, string loadAtEnd, IReadOnlyList<LatencyResult> results)
    {
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"<!-- Written by {e.Command}; do not edit by hand. -->");
        md.AppendLine(settings.Quick
            ? "# Expiry → termination callback latency — quick run (a development check: short window, not for publishing)"
            : "# Expiry → termination callback latency").AppendLine();
        md.AppendLine("| | |");
        md.AppendLine("| --- | --- |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| command | `{e.Command}` |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| when | {e.StartedUtc:yyyy-MM-dd HH:mm} UTC; the program ran **{took:m\\:ss}** ({string.Join(", ", results.Select(r => $"{r.Configuration.Name} {r.Took:m\\:ss}"))}) |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| machine | {e.Machine}; load average (1 min) {e.LoadAtStart} at the start, {loadAtEnd} at the end |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| RedisSessions | {e.RedisSessionsBuild}, {e.DotNet}, StackExchange.Redis {e.StackExchangeRedis} |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| Redis | a fresh private redis-server per configuration, `deploy/redis.conf` (hz 50, AOF everysec) |");
        md.AppendLine(CultureInfo.InvariantCulture,
            $"| load | {settings.LatencyLiveSessions:N0} live sessions (one user each, 3 small fields), {settings.LatencyExpiringPerMinute:N0} expiring per minute, made by loader processes without callbacks; one handler process (library defaults, one callback, its own connection) ends them; {settings.LatencySettleSeconds:0} s to settle, then the sessions expiring in the next {settings.LatencyWindowSeconds:0} s are measured |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| latency | the callback's wall clock minus the session's expiry time (Redis's clock, same machine) |");
        md.AppendLine();
        md.AppendLine("| configuration | expired in the window | handled | p50 | p99 | max | live (mean) | Redis commands/s | Redis CPU | Redis waited for a core | slow log entries | took |");
        md.AppendLine("| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: |");
        foreach (var r in results)
        {
            var missing = r.Expected - r.Handled;
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| **{r.Configuration.Name}**: {r.Configuration.Description} | {r.Expected:N0} | {r.Handled:N0}{(missing > 0 ? $" ({missing:N0} not within a minute)" : string.Empty)} | {Ms(Stats.Percentile(r.SortedMs, 50))} | {Ms(Stats.Percentile(r.SortedMs, 99))} | {Ms(r.SortedMs.DefaultIfEmpty(double.NaN).Max())} | {r.AverageLive:N0} | {r.CommandsPerSecond:N0} | {r.RedisCpuPercent:0.0} % | {r.RedisWaiting.TotalSeconds:0.0} s of {settings.LatencyWindowSeconds:0} | {r.SlowEntries} | {r.Took:m\\:ss} |");
        }
        md.AppendLine();
        md.AppendLine("Redis commands/s, CPU and the time Redis was runnable but waited for a core (other work on the machine; Linux schedstat) cover the window, which holds the loaders' logins, the handler's sweeps, claims, acknowledgements and event appends, and (with the schedule on) its 1,024 deadline reads a second.");
        return md.ToString();
    }

    private static string Ms(double ms) => double.IsNaN(ms) ? "—" : ms >= 10_000 ? $"{ms / 1000:0.0} s" : $"{ms:N0} ms";
}
