using RedisSessions.LocalRedis;

namespace RedisSessions.Benchmarks;

/// <summary>
/// One topology, start to end: a private Redis (deploy/redis.conf), both sides warmed up, then each phase on
/// RedisSessions and right after on the peer, then the redis-benchmark ceilings. The two sides never run at the same
/// time, and the same probe reads Redis around every phase.
/// </summary>
internal static class Scenario
{
    public static async Task<TopologyResult> RunStandaloneAsync(BenchmarkSettings settings)
    {
        await using var server = await RedisServerProcess.StartAsync();
        Log($"standalone redis-server on {server.Endpoint} (deploy/redis.conf)");
        return await RunAsync(settings, "standalone", server.Endpoint, [server.Endpoint], cluster: false, masters: 1, settings.RunCeilings ? server.Port : null);
    }

    public static async Task<TopologyResult> RunClusterAsync(BenchmarkSettings settings)
    {
        await using var cluster = await RedisClusterProcess.StartAsync(settings.ClusterMasters);
        Log($"{settings.ClusterMasters}-master cluster on {cluster.Configuration} (deploy/redis.conf)");
        var shorter = settings with { Seconds = settings.ShortSeconds };
        return await RunAsync(shorter, "cluster", cluster.Configuration, cluster.Masters.Select(m => m.Endpoint).ToArray(), cluster: true, settings.ClusterMasters, ceilingPort: null);
    }

    private static async Task<TopologyResult> RunAsync(BenchmarkSettings settings, string name, string configuration, string[] endpoints, bool cluster, int masters, int? ceilingPort)
    {
        await using var probe = await RedisProbe.ConnectAsync(configuration);
        var result = new TopologyResult(name, await probe.VersionAsync(), masters);
        var c = settings.Concurrency;
        var n = settings.Sessions;
        var warmUp = TimeSpan.FromSeconds(settings.WarmupSeconds);
        var headline = TimeSpan.FromSeconds(settings.Seconds);
        var other = TimeSpan.FromSeconds(settings.ShortSeconds);

        await using var side = await RedisSessionsSide.ConnectAsync(configuration);
        await using var peer = settings.RunPeer
            ? await PeerSide.StartAsync(settings.PeerDirectory, endpoints, cluster, c, new SessionOptions().InactiveTimeout)
            : null;
        var ours = new SideResult("RedisSessions");
        var theirs = new SideResult("connect-redis");
        result.RedisSessions = ours;
        result.Peer = peer is null ? null : theirs;
        Log($"warm-up ({name}): {settings.WarmupSeconds:0.#} s per operation on each side");
        await side.WarmUpAsync(c, warmUp);
        if (peer is not null)
        {
            await peer.WarmUpAsync(warmUp);
        }
        await probe.FlushAsync();
        await probe.ResetSlowlogAsync();

        // Each phase runs on one side, then at once on the other, so a disturbance from outside (this machine is shared)
        // lands on both rather than on one side's whole run. The two sides use different key names and never run at once.
        await MeasureAsync(probe, ours, Phases.Create, () => side.CreateAsync(c, n), () => side.RoundTrips);
        (string Key, string Value) sample = (string.Empty, string.Empty);
        if (peer is not null)
        {
            await MeasureAsync(probe, theirs, Phases.Create, () => peer.CreateAsync(n), roundTrips: null);
            sample = await peer.SampleAsync();
        }
        await MeasureAsync(probe, ours, Phases.Get, () => side.GetAsync(c, headline), () => side.RoundTrips);
        if (peer is not null)
        {
            await MeasureAsync(probe, theirs, Phases.Get, () => peer.GetAsync(headline), roundTrips: null);
        }
        await MeasureAsync(probe, ours, Phases.GetRefreshDue, () => side.GetRefreshDueAsync(c, other), () => side.RoundTrips);
        await MeasureAsync(probe, ours, Phases.Touch, () => side.TouchAsync(c, other), () => side.RoundTrips);
        if (peer is not null)
        {
            await MeasureAsync(probe, theirs, Phases.Touch, () => peer.TouchAsync(other), roundTrips: null);
        }
        await MeasureAsync(probe, ours, Phases.SetData, () => side.SetDataAsync(c, headline), () => side.RoundTrips);
        if (peer is not null)
        {
            await MeasureAsync(probe, theirs, Phases.SetData, () => peer.SetDataAsync(headline), roundTrips: null);
        }
        // The client ceiling, in the same run and on the same connection: StackExchange.Redis alone, one plain command per
        // operation, as many in flight. No operation of the library can be faster on this client.
        await MeasureAsync(probe, ours, Phases.ClientDel, () => side.ClientDelMissingAsync(c, other), () => side.RoundTrips);
        await MeasureAsync(probe, ours, Phases.ClientHashGetAll, () => side.ClientHashGetAllAsync(c, other), () => side.RoundTrips);
        await MeasureAsync(probe, ours, Phases.Terminate, () => side.TerminateAsync(c), () => side.RoundTrips);
        if (peer is not null)
        {
            await MeasureAsync(probe, theirs, Phases.Terminate, () => peer.TerminateAsync(), roundTrips: null);
        }
        result.Slowlog = await probe.SlowlogSummaryAsync();

        if (ceilingPort is { } port)
        {
            Log("redis-benchmark: the same commands, pipelined, on the same server");
            var commands = await side.CeilingCommandsAsync(probe);
            var requests = settings.CeilingRequests;
            var get = await RedisBenchmarkTool.RunAsync(port, requests, commands.Get);
            var touch = await RedisBenchmarkTool.RunAsync(port, requests / 3, commands.TouchScript);
            var setData = await RedisBenchmarkTool.RunAsync(port, requests / 3, commands.SetDataScript);
            result.Ceilings.Add(new Ceiling(CeilingNames.OursGet, "HGETALL", get));
            // Fixed arguments: the touch script slides on its first call only, then runs its read path (HMGET), so this is an
            // upper bound; a refresh that writes adds HSET + PEXPIREAT inside the script.
            result.Ceilings.Add(new Ceiling(CeilingNames.OursTouch, "EVALSHA touch script (HMGET; fixed arguments, so no write after the first call)", touch));
            result.Ceilings.Add(new Ceiling(CeilingNames.OursRefreshDue, "HGETALL + EVALSHA touch script (as above)", RedisBenchmarkTool.Sequence(get, touch)));
            result.Ceilings.Add(new Ceiling(CeilingNames.OursSetData, "EVALSHA set-data script (HMGET, MEMORY USAGE, HSET)", setData));
            if (peer is not null)
            {
                await probe.Db.StringSetAsync(sample.Key, sample.Value, TimeSpan.FromMinutes(30));
                var peerGet = await RedisBenchmarkTool.RunAsync(port, requests, ["GET", sample.Key]);
                var expire = await RedisBenchmarkTool.RunAsync(port, requests, ["EXPIRE", sample.Key, "1800"]);
                var set = await RedisBenchmarkTool.RunAsync(port, requests, ["SET", sample.Key, sample.Value, "EX", "1800"]);
                result.Ceilings.Add(new Ceiling(CeilingNames.PeerGet, "GET + EXPIRE", RedisBenchmarkTool.Sequence(peerGet, expire)));
                result.Ceilings.Add(new Ceiling(CeilingNames.PeerSetData, "GET + SET EX", RedisBenchmarkTool.Sequence(peerGet, set)));
            }
        }

        if (!cluster)
        {
            result.Background = await MeasureBackgroundAsync(probe, side, other);
        }

        // Memory: each side alone on an empty Redis, so the keyspace's power-of-two hash tables are charged to the side
        // whose keys they hold (with both sides loaded, whichever side crossed a size step would pay for the other).
        Log($"memory ({name}): {n:N0} sessions of each side, alone on an empty Redis");
        ours.Memory = await MeasureMemoryAsync(probe, n,
            () => side.CreateAsync(c, n), async () => (await side.KeyKindsAsync(probe)).ToList(), () => side.TerminateAsync(c), () => side.EndedSnapshotAsync(probe));
        Log($"  RedisSessions: {ours.Memory.BytesPerSession:N0} B and {ours.Memory.KeysPerSession:0.00} keys per session, {ours.Memory.RetainedAfterLogoutPerSession:N0} B left per session after logout");
        if (peer is not null)
        {
            theirs.Memory = await MeasureMemoryAsync(probe, n, () => peer.CreateAsync(n), async () =>
            {
                var (key, _) = await peer.SampleAsync();
                return [new KeyKind("session string (JSON)", key, await probe.MemoryUsageAsync(key) ?? 0, "1 per session")];
            }, () => peer.TerminateAsync(), afterLogout: null);
            Log($"  connect-redis: {theirs.Memory.BytesPerSession:N0} B and {theirs.Memory.KeysPerSession:0.00} keys per session, {theirs.Memory.RetainedAfterLogoutPerSession:N0} B left per session after logout");
        }
        return result;
    }

    /// <summary>One idle process with the defaults (auto cleanup on) and a termination callback: the Redis work it causes
    /// per second with no traffic at all, which every application server adds.</summary>
    private static async Task<BackgroundLoad> MeasureBackgroundAsync(RedisProbe probe, RedisSessionsSide side, TimeSpan duration)
    {
        Log("background load of one idle process (auto cleanup on, one termination callback), on an empty Redis");
        // Empty, so that the process is idle: logouts without a callback leave their terminations pending, and the first
        // process with a callback would otherwise spend this time working through them.
        await probe.FlushAsync();
        await using var idle = await side.StartIdleProcessAsync();
        await probe.ResetStatisticsAsync();
        var before = await probe.SnapshotAsync();
        var trips = side.RoundTrips;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Task.Delay(duration);
        var after = await probe.SnapshotAsync();
        var seconds = clock.Elapsed.TotalSeconds;
        var cost = RedisProbe.CostBetween(before, after, 1, side.RoundTrips - trips);
        var load = new BackgroundLoad(seconds, cost.RoundTripsPerOp / seconds, cost.CommandsPerOp / seconds, cost.ServerCpuUsPerOp / seconds / 1e4,
            string.Join(", ", cost.Breakdown.Where(b => b.Value / seconds >= 1).Select(b => $"{b.Key} {b.Value / seconds:N0}/s")));
        Log($"  {load.RoundTripsPerSecond:N0} round trips/s, {load.CommandsPerSecond:N0} Redis commands/s, {load.ServerCpuPercent:0.0}% of a Redis core");
        return load;
    }

    private static async Task<MemoryMeasurement> MeasureMemoryAsync(RedisProbe probe, int n, Func<Task<LoadResult>> create,
        Func<Task<List<KeyKind>>> keyKinds, Func<Task<LoadResult>> terminate, Func<Task<KeyKind>>? afterLogout)
    {
        await probe.FlushAsync();
        var empty = await probe.SettledUsedMemoryAsync();
        await create();
        var loaded = await probe.SettledUsedMemoryAsync();
        var keys = await probe.KeyCountAsync();
        var kinds = await keyKinds();
        await terminate();
        var afterLogoutBytes = await probe.SettledUsedMemoryAsync();
        if (afterLogout is not null)
        {
            kinds.Add(await afterLogout());
        }
        await probe.FlushAsync();
        return new MemoryMeasurement(n, (double)(loaded - empty) / n, (double)keys / n, (double)(afterLogoutBytes - empty) / n, kinds);
    }

    private static async Task MeasureAsync(RedisProbe probe, SideResult side, string phase, Func<Task<LoadResult>> run, Func<long>? roundTrips)
    {
        await probe.ResetStatisticsAsync();
        var before = await probe.SnapshotAsync();
        var tripsBefore = roundTrips?.Invoke() ?? 0;
        var load = await run();
        var tripsAfter = roundTrips?.Invoke() ?? 0;
        var after = await probe.SnapshotAsync();
        var cost = RedisProbe.CostBetween(before, after, load.Operations, roundTrips is null ? null : tripsAfter - tripsBefore);
        side.Phases[phase] = new PhaseMeasurement(phase, load, cost);
        var errors = load.Errors == 0 ? string.Empty : $"  {load.Errors} ERRORS, first: {load.FirstError}";
        Log($"  {side.Name,-14} {phase,-16} {load.OperationsPerSecond,10:N0} ops/s   p50 {load.P50Ms,6:0.00} ms   p99 {load.P99Ms,6:0.00} ms   " +
            $"{cost.RoundTripsPerOp:0.00} round trips, {cost.CommandsPerOp:0.0} commands, server {cost.ServerCpuUsPerOp:0.0} µs, client {load.ClientCpuMs * 1000 / Math.Max(1, load.Operations):0.0} µs per op{errors}");
    }

    public static void Log(string message) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");
}

/// <summary>Names of the ceilings the report looks up.</summary>
internal static class CeilingNames
{
    public const string OursGet = "RedisSessions request cycle (fast path)";
    public const string OursTouch = "RedisSessions refresh (touch script)";
    public const string OursRefreshDue = "RedisSessions request cycle, refresh due";
    public const string OursSetData = "RedisSessions write one field (set-data script)";
    public const string PeerGet = "connect-redis request cycle";
    public const string PeerSetData = "connect-redis write one field";
}
