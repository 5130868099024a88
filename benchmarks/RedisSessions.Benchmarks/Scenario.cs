using System.Diagnostics;
using System.Globalization;
using RedisSessions.LocalRedis;

namespace RedisSessions.Benchmarks;

/// <summary>
/// One topology, start to end: a private Redis (deploy/redis.conf) with an empty slow log, every side warmed up, then
/// each phase in pairs — RedisSessions, then the peer, again and again — so that a disturbance from outside (the
/// machine is shared) lands on both sides rather than on one side's whole run; then memory, the 50,000-session user,
/// the ceilings, and the slow log of the whole run. The sides never run at the same time.
/// </summary>
internal static class Scenario
{
    public static async Task<TopologyResult> RunStandaloneAsync(BenchmarkSettings settings)
    {
        await using var server = await RedisServerProcess.StartAsync();
        Log($"standalone redis-server on {server.Endpoint} (deploy/redis.conf)");
        return await RunAsync(settings, "standalone", server.Endpoint, [server.Endpoint], [server.ProcessId ?? 0], cluster: false, masters: 1, settings.RunCeilings ? server.Port : null);
    }

    public static async Task<TopologyResult> RunClusterAsync(BenchmarkSettings settings)
    {
        await using var cluster = await RedisClusterProcess.StartAsync(settings.ClusterMasters);
        Log($"{settings.ClusterMasters}-master cluster on {cluster.Configuration} (deploy/redis.conf)");
        var shorter = settings with { Seconds = settings.ShortSeconds };
        return await RunAsync(shorter, "cluster", cluster.Configuration, cluster.Masters.Select(m => m.Endpoint).ToArray(), cluster.Masters.Select(m => m.ProcessId ?? 0).ToArray(),
            cluster: true, settings.ClusterMasters, ceilingPort: null);
    }

    private static async Task<TopologyResult> RunAsync(BenchmarkSettings settings, string name, string configuration, string[] endpoints, int[] redisPids, bool cluster, int masters, int? ceilingPort)
    {
        var clock = Stopwatch.StartNew();
        var scheduled = RunEnvironment.Scheduling(redisPids);
        await using var probe = await RedisProbe.ConnectAsync(configuration);
        var result = new TopologyResult(name, await probe.VersionAsync(), masters)
        {
            SlowlogThresholdUs = await probe.ConfigAsync("slowlog-log-slower-than"),
        };
        // The slow log covers the whole run: warm-up, every phase, memory, the 50,000-session user.
        await probe.ResetSlowlogAsync();
        var recorder = new Recorder(probe, result);
        var c = settings.Concurrency;
        var n = settings.Sessions;
        var pairs = settings.Pairs;
        var warmUp = TimeSpan.FromSeconds(settings.WarmupSeconds);
        var headline = TimeSpan.FromSeconds(settings.Seconds);
        var other = TimeSpan.FromSeconds(settings.ShortSeconds);

        var table = new SessionTable(n);
        await using var ours = await RedisSessionsSide.ConnectAsync(Sides.Ours, configuration, RedisSessionsSide.MeasuredOptions("bench-ours"), table);
        await using var caller = await RedisSessionsSide.OverCallerMultiplexerAsync(Sides.OursOverCaller, configuration, RedisSessionsSide.MeasuredOptions("bench-caller"), table);
        // Every read finds its refresh due: what a request costs when the session's last recorded activity is older
        // than ActivityResolution (by default 1% of InactiveTimeout: 18 s of 30 min).
        var refreshDueOptions = RedisSessionsSide.MeasuredOptions("bench-refresh-due");
        refreshDueOptions.ActivityResolution = TimeSpan.Zero;
        await using var refreshDue = ours.With(Sides.Ours, refreshDueOptions);
        await using var peer = settings.RunPeer
            ? await PeerSide.StartAsync(settings.PeerDirectory, endpoints, cluster, c, new SessionOptions().InactiveTimeout)
            : null;

        Log($"warm-up ({name}): {settings.WarmupSeconds:0.#} s per operation on each side");
        await ours.WarmUpAsync(c, warmUp);
        await caller.WarmUpAsync(c, warmUp);
        if (peer is not null)
        {
            await peer.WarmUpAsync(warmUp);
        }
        await probe.FlushAsync();

        // Login: each pair creates the next block of sessions on each side (one new user per session).
        for (var p = 0; p < pairs; p++)
        {
            var (from, count) = Block(n, pairs, p);
            await recorder.MeasureAsync(Sides.Ours, Phases.Login, p, () => ours.CreateAsync(c, from, count), () => ours.RoundTrips);
            if (peer is not null)
            {
                await recorder.MeasureAsync(Sides.Peer, Phases.Login, p, () => peer.CreateAsync(from, count), null);
            }
        }
        // The request cycle, over both RedisSessions connections, and the client alone with the same HGETALL.
        for (var p = 0; p < pairs; p++)
        {
            // Each side first reads every session once, untimed: what the previous pairs left due for a refresh is
            // recorded there, so neither connection pays the other's refreshes.
            await ours.SettleAsync(c, 0, n);
            await recorder.MeasureAsync(Sides.Ours, Phases.Request, p, () => ours.GetAsync(c, 0, n, headline), () => ours.RoundTrips);
            await caller.SettleAsync(c, 0, n);
            await recorder.MeasureAsync(Sides.OursOverCaller, Phases.Request, p, () => caller.GetAsync(c, 0, n, headline), () => caller.RoundTrips);
            if (peer is not null)
            {
                await recorder.MeasureAsync(Sides.Peer, Phases.Request, p, () => peer.GetAsync(0, n, headline), null);
            }
            await recorder.MeasureAsync(Sides.Client, Phases.ClientHashGetAll, p, () => ours.ClientHashGetAllAsync(c, 0, n, headline), () => ours.RoundTrips);
        }
        for (var p = 0; p < pairs; p++)
        {
            await recorder.MeasureAsync(Sides.Ours, Phases.RequestRefreshDue, p, () => refreshDue.GetAsync(c, 0, n, other), () => ours.RoundTrips);
        }
        for (var p = 0; p < pairs; p++)
        {
            await recorder.MeasureAsync(Sides.Ours, Phases.Refresh, p, () => ours.TouchAsync(c, 0, n, other), () => ours.RoundTrips);
            if (peer is not null)
            {
                await recorder.MeasureAsync(Sides.Peer, Phases.Refresh, p, () => peer.TouchAsync(0, n, other), null);
            }
        }
        for (var p = 0; p < pairs; p++)
        {
            await recorder.MeasureAsync(Sides.Ours, Phases.Write, p, () => ours.SetDataAsync(c, 0, n, headline), () => ours.RoundTrips);
            if (peer is not null)
            {
                await recorder.MeasureAsync(Sides.Peer, Phases.Write, p, () => peer.SetDataAsync(0, n, headline), null);
            }
        }

        if (ceilingPort is { } port)
        {
            Log("redis-benchmark: the request cycle's commands, pipelined, on the same server");
            var requests = settings.CeilingRequests;
            var id = table.Ids[0];
            var hgetall = await RedisBenchmarkTool.RunAsync(port, requests, ["HGETALL", (string)ours.Manager.Scripts.Keys.Session(id[..3], id)!]);
            result.Ceilings.Add(new Ceiling(Sides.Ours, "HGETALL", hgetall));
            if (peer is not null)
            {
                var (key, _) = await peer.SampleAsync();
                var get = await RedisBenchmarkTool.RunAsync(port, requests, ["GET", key]);
                var expire = await RedisBenchmarkTool.RunAsync(port, requests, ["EXPIRE", key, "1800"]);
                result.Ceilings.Add(new Ceiling(Sides.Peer, "GET + EXPIRE", RedisBenchmarkTool.Sequence(get, expire)));
            }
        }

        // Logout: each pair ends the next block on each side.
        for (var p = 0; p < pairs; p++)
        {
            var (from, count) = Block(n, pairs, p);
            await recorder.MeasureAsync(Sides.Ours, Phases.Logout, p, () => ours.TerminateAsync(c, from, count), () => ours.RoundTrips);
            if (peer is not null)
            {
                await recorder.MeasureAsync(Sides.Peer, Phases.Logout, p, () => peer.TerminateAsync(from, count), null);
            }
        }

        if (!cluster)
        {
            result.Background = await MeasureBackgroundAsync(probe, ours, other);
        }
        await MemoryScenario.RunAsync(settings, configuration, probe, recorder, peer);
        await ScalingScenario.RunAsync(settings, probe, recorder, ours);

        result.Slowlog = await probe.SlowlogAsync();
        result.Duration = clock.Elapsed;
        var (onCpu, waiting) = RunEnvironment.Scheduling(redisPids);
        result.RedisOnCpu = onCpu - scheduled.OnCpu;
        result.RedisWaiting = waiting - scheduled.Waiting;
        Log($"{name}: {result.Slowlog.Count(e => !e.ByHarness)} slow log entries of the workload, {result.Slowlog.Count(e => e.ByHarness)} of the harness; {clock.Elapsed:m\\:ss}");
        return result;
    }

    /// <summary>Block <paramref name="pair"/> of [0, n) cut in <paramref name="pairs"/>.</summary>
    public static (int From, int Count) Block(int n, int pairs, int pair)
    {
        var size = n / pairs;
        var from = pair * size;
        return (from, pair == pairs - 1 ? n - from : size);
    }

    /// <summary>One idle process with the defaults (auto cleanup on) and a termination callback: the Redis work it causes
    /// per second with no traffic at all, which every application server with a callback adds.</summary>
    private static async Task<BackgroundLoad> MeasureBackgroundAsync(RedisProbe probe, RedisSessionsSide side, TimeSpan duration)
    {
        Log("background load of one idle process (auto cleanup on, one termination callback), on an empty Redis");
        // Empty, so that the process is idle: logouts without a callback leave their terminations pending, and the first
        // process with a callback would otherwise spend this time working through them.
        await probe.FlushAsync();
        await using var idle = new SessionManager(side.Redis, new SessionOptions { NodeName = "bench-idle" });
        idle.RegisterTerminationCallback((_, _) => Task.CompletedTask);
        await Task.Delay(TimeSpan.FromSeconds(2));
        await probe.ResetStatisticsAsync();
        var before = await probe.SnapshotAsync();
        var trips = side.RoundTrips;
        var clock = Stopwatch.StartNew();
        await Task.Delay(duration < TimeSpan.FromSeconds(3) ? TimeSpan.FromSeconds(3) : duration);
        var after = await probe.SnapshotAsync();
        var seconds = clock.Elapsed.TotalSeconds;
        var cost = RedisProbe.CostBetween(before, after, 1, side.RoundTrips - trips);
        var load = new BackgroundLoad(seconds, cost.RoundTripsPerOp / seconds, cost.CommandsPerOp / seconds, cost.ServerCpuUsPerOp / seconds / 1e4,
            string.Join(", ", cost.Breakdown.Where(b => b.Value / seconds >= 1).Select(b => $"{b.Key} {b.Value / seconds:N0}/s")));
        Log($"  {load.RoundTripsPerSecond:N0} round trips/s, {load.CommandsPerSecond:N0} Redis commands/s, {load.ServerCpuPercent:0.0}% of a Redis core");
        return load;
    }

    public static void Log(string message) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");
}

/// <summary>Measures one run of a phase: resets Redis's statistics, runs it, reads what Redis did, keeps and logs it.</summary>
internal sealed class Recorder(RedisProbe probe, TopologyResult result)
{
    public TopologyResult Result => result;

    public async Task<PhaseRun> MeasureAsync(string side, string phase, int pair, Func<Task<LoadResult>> run, Func<long>? roundTrips)
    {
        await probe.ResetStatisticsAsync();
        var before = await probe.SnapshotAsync();
        var tripsBefore = roundTrips?.Invoke() ?? 0;
        var load = await run();
        var tripsAfter = roundTrips?.Invoke() ?? 0;
        var after = await probe.SnapshotAsync();
        var cost = RedisProbe.CostBetween(before, after, load.Operations, roundTrips is null ? null : tripsAfter - tripsBefore);
        var measured = new PhaseRun(side, phase, pair, load, cost);
        result.Runs.Add(measured);
        var errors = load.Errors == 0 ? string.Empty : $"  {load.Errors} ERRORS, first: {load.FirstError}";
        var script = cost.ScriptCallsPerOp > 0 ? string.Create(CultureInfo.InvariantCulture, $", scripts {cost.ScriptCallsPerOp:0.###}/op at {cost.ScriptUsPerCall:0.0} µs") : string.Empty;
        Scenario.Log($"  {pair + 1} {side,-34} {phase,-28} {load.OperationsPerSecond,9:N0} ops/s  p50 {load.P50Ms,5:0.00} p99 {load.P99Ms,6:0.00} ms  " +
            $"{cost.RoundTripsPerOp:0.00} rt, {cost.CommandsPerOp:0.0} cmds, server {cost.ServerCpuUsPerOp:0.0} µs{script}, client {load.ClientCpuUsPerOp:0.0} µs{errors}");
        return measured;
    }
}
