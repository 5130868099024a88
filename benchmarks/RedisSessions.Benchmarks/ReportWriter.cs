using System.Globalization;
using System.Text;

namespace RedisSessions.Benchmarks;

/// <summary>One side-by-side workload: a RedisSessions call, the peer's equivalent, and its target (null: none).</summary>
internal sealed record Comparison(string Workload, string ShortName, string OursCall, string PeerCall, string OursSide, string OursPhase, string PeerPhase, double? Target);

/// <summary>Builds the markdown the program prints and writes to benchmarks/results/.</summary>
internal static class ReportWriter
{
    public const double MemoryTarget = 1.5;
    public const double LoginScriptTargetUs = 10;
    public const double ScalingTarget = 1.5;

    public static readonly Comparison[] Rows =
    [
        new("request cycle, the common request (no refresh due; `SessionManager.ConnectAsync`)", "request cycle", "`GetSessionAsync`", "`store.get` + `store.touch`",
            Sides.Ours, Phases.Request, Phases.Request, 2.0),
        new("request cycle over the caller's multiplexer (`new SessionManager(multiplexer, options)`)", "request cycle, caller's multiplexer", "`GetSessionAsync`", "`store.get` + `store.touch`",
            Sides.OursOverCaller, Phases.Request, Phases.Request, 2.0),
        new("login, per-user limit enforced", "login", "`CreateSessionAsync`", "`store.set`", Sides.Ours, Phases.Login, Phases.Login, 0.5),
        new("logout, by session id", "logout", "`TerminateSessionAsync`", "`store.destroy`", Sides.Ours, Phases.Logout, Phases.Logout, null),
        new("write one field, by session id", "write one field", "`SetSessionDataAsync`", "`store.get` + `store.set`", Sides.Ours, Phases.Write, Phases.Write, null),
        new("refresh only, by session id", "refresh only", "`UpdateSessionActivityAsync`", "`store.touch`", Sides.Ours, Phases.Refresh, Phases.Refresh, null),
        new("request cycle, refresh due on every read", "request cycle, refresh due", "`GetSessionAsync`, ActivityResolution 0", "`store.get` + `store.touch`",
            Sides.Ours, Phases.RequestRefreshDue, Phases.Request, null),
    ];

    /// <summary>Phases of the cost table, in order, with the sides each ran on.</summary>
    private static readonly (string Phase, string[] Sides)[] CostRows =
    [
        (Phases.Request, [Sides.Ours, Sides.OursOverCaller, Sides.Peer]),
        (Phases.ClientHashGetAll, [Sides.Client]),
        (Phases.RequestRefreshDue, [Sides.Ours]),
        (Phases.Login, [Sides.Ours, Sides.Peer]),
        (Phases.Logout, [Sides.Ours, Sides.Peer]),
        (Phases.LogoutHandled, [Sides.Ours]),
        (Phases.Write, [Sides.Ours, Sides.Peer]),
        (Phases.Refresh, [Sides.Ours, Sides.Peer]),
    ];

    public static string Build(BenchmarkSettings settings, RunEnvironment environment, TimeSpan took, string loadAtEnd, TopologyResult standalone, TopologyResult? cluster)
    {
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"<!-- Written by {environment.Command}; do not edit by hand. -->");
        md.AppendLine(settings.Quick
            ? "# RedisSessions vs express-session + connect-redis — quick run (a development check: fewer sessions, short runs, not for publishing)"
            : "# RedisSessions vs express-session + connect-redis").AppendLine();
        AppendEnvironment(md, settings, environment, took, loadAtEnd, standalone, cluster);
        AppendTopology(md, settings, standalone);
        if (cluster is not null)
        {
            AppendTopology(md, settings, cluster);
        }
        md.AppendLine("Expiry → termination-callback latency is measured by `benchmarks/run --latency` (it takes minutes): [`latency.md`](latency.md).");
        return md.ToString();
    }

    private static void AppendEnvironment(StringBuilder md, BenchmarkSettings settings, RunEnvironment e, TimeSpan took, string loadAtEnd, TopologyResult standalone, TopologyResult? cluster)
    {
        md.AppendLine("| | |");
        md.AppendLine("| --- | --- |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| command | `{e.Command}` |");
        md.AppendLine(CultureInfo.InvariantCulture,
            $"| when | {e.StartedUtc:yyyy-MM-dd HH:mm} UTC; the program ran {took:m\\:ss} (standalone {standalone.Duration:m\\:ss}{(cluster is null ? string.Empty : $", cluster {cluster.Duration:m\\:ss}")}, plus start-up) |");
        md.AppendLine(CultureInfo.InvariantCulture,
            $"| machine | {e.Machine}; clients, peer and Redis share it; load average (1 min) {e.LoadAtStart} at the start, {loadAtEnd} at the end (other work lowers every side's figures) |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| RedisSessions | {e.RedisSessionsBuild}, {e.DotNet}, StackExchange.Redis {e.StackExchangeRedis} |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| peer | {(settings.RunPeer ? $"Node.js {e.Node}, {e.PeerPackages}" : "not run")} |");
        md.AppendLine(CultureInfo.InvariantCulture,
            $"| Redis | {standalone.RedisVersion}, `deploy/redis.conf` (AOF everysec, slowlog-log-slower-than {standalone.SlowlogThresholdUs} µs); a private server, then a private {settings.ClusterMasters}-master cluster |");
        md.AppendLine(CultureInfo.InvariantCulture,
            $"| load | {settings.Sessions:N0} sessions per side, 3 small data fields, one user each; {settings.Concurrency} operations in flight per side; every phase run {settings.Pairs} times per side, the sides alternating (RedisSessions, connect-redis, RedisSessions, ...), medians reported; runs of {settings.Seconds:0.##} s (request cycle, write) and {settings.ShortSeconds:0.##} s (others, and every timed run on the cluster), after a {settings.WarmupSeconds:0.##} s warm-up per operation |");
        md.AppendLine("| RedisSessions settings | library defaults (30 min idle timeout, ActivityResolution 1 % of it, 5 sessions per user); background work off and no termination callback in the measured processes, except where a row says otherwise |");
        md.AppendLine();
    }

    private static void AppendTopology(StringBuilder md, BenchmarkSettings settings, TopologyResult t)
    {
        var where = t.Masters == 1 ? $"one redis-server {t.RedisVersion}" : $"a {t.Masters}-master Redis Cluster {t.RedisVersion}";
        md.AppendLine(CultureInfo.InvariantCulture, $"## {(t.Masters == 1 ? "Standalone" : "Cluster")}: {where}").AppendLine();
        AppendTargets(md, t);
        AppendPairs(md, t);
        AppendCost(md, t);
        AppendInsideScripts(md, t);
        AppendCeilings(md, t);
        AppendScaling(md, settings, t);
        AppendMemory(md, t);
        if (t.Background is { } idle)
        {
            md.AppendLine(CultureInfo.InvariantCulture,
                $"**Background load of one idle application process** (library defaults: auto cleanup on, DeadlineRefreshInterval 1 s; one termination callback), no traffic, {idle.Seconds:0} s: {idle.RoundTripsPerSecond:N0} round trips/s, {idle.CommandsPerSecond:N0} Redis commands/s, {idle.ServerCpuPercent:0.0} % of a Redis core ({idle.Breakdown}). Every process with a callback adds this, whatever the traffic.").AppendLine();
        }
        AppendSlowlog(md, t);
    }

    private static void AppendTargets(StringBuilder md, TopologyResult t)
    {
        md.AppendLine("### Targets").AppendLine();
        md.AppendLine("| | RedisSessions | compared with (same run) | ratio | target | |");
        md.AppendLine("| --- | --: | --: | --: | --- | --- |");
        foreach (var row in Rows.Where(r => r.Target is not null))
        {
            var ours = t.Median(row.OursSide, row.OursPhase, r => r.Load.OperationsPerSecond);
            if (ours is null)
            {
                continue;
            }
            var theirs = t.Median(Sides.Peer, row.PeerPhase, r => r.Load.OperationsPerSecond);
            var ratio = t.MedianRatio(row.OursSide, row.OursPhase, Sides.Peer, row.PeerPhase, r => r.Load.OperationsPerSecond);
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {row.Workload}: {row.OursCall} vs {row.PeerCall} | {Ops(ours)} | connect-redis {Ops(theirs)} | {Ratio(ratio)} | ≥ {row.Target:0.0}× | {Verdict(ratio, row.Target!.Value, higherIsBetter: true)} |");
            if (row.OursPhase == Phases.Login)
            {
                var script = t.Median(Sides.Ours, Phases.Login, r => r.Cost.ScriptUsPerCall);
                var set = t.Median(Sides.Peer, Phases.Login, r => r.Cost.UsecPerCall.GetValueOrDefault("set"));
                md.AppendLine(CultureInfo.InvariantCulture,
                    $"| Redis CPU per login: usec per call of the create script (`INFO commandstats`, the login runs) | {Us(script)} | connect-redis `SET` {Us(set)} | {Ratio(script / set)} | ≤ {LoginScriptTargetUs:0} µs | {Verdict(script, LoginScriptTargetUs, higherIsBetter: false)} |");
            }
        }
        foreach (var row in Rows.Where(r => r.Target is null && r.OursPhase is Phases.Logout or Phases.Write))
        {
            var ours = t.Median(row.OursSide, row.OursPhase, r => r.Load.OperationsPerSecond);
            var ratio = t.MedianRatio(row.OursSide, row.OursPhase, Sides.Peer, row.PeerPhase, r => r.Load.OperationsPerSecond);
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {row.Workload}: {row.OursCall} vs {row.PeerCall} (where the time goes: below) | {Ops(ours)} | connect-redis {Ops(t.Median(Sides.Peer, row.PeerPhase, r => r.Load.OperationsPerSecond))} | {Ratio(ratio)} | ratio, no target | |");
        }
        foreach (var phase in new[] { Phases.ScaleLogin, Phases.ScaleLogout, Phases.ScaleRefresh })
        {
            var big = t.Median(Sides.LargeUser, phase, r => r.Cost.ScriptUsPerCall);
            var small = t.Median(Sides.SmallUser, phase, r => r.Cost.ScriptUsPerCall);
            if (big is null)
            {
                continue;
            }
            var ratio = t.MedianRatio(Sides.LargeUser, phase, Sides.SmallUser, phase, r => r.Cost.ScriptUsPerCall);
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {phase} of a user with 50,000 sessions: script µs per call (MaxSessionsPerUser 0) | {Us(big)} | a user with 10: {Us(small)} | {Ratio(ratio)} | ≤ {ScalingTarget:0.0}× | {Verdict(ratio, ScalingTarget, higherIsBetter: false)} |");
        }
        if (t.MemoryOf(Sides.Ours) is { } mine)
        {
            var other = t.MemoryOf(Sides.Peer);
            var ratio = other is null ? (double?)null : mine.MedianBytesPerSession / other.MedianBytesPerSession;
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| Redis memory per session ({mine.Sessions:N0} sessions, 3 small fields, every index; used_memory delta / n) | {Bytes(mine.MedianBytesPerSession)} | connect-redis {Bytes(other?.MedianBytesPerSession)} | {Ratio(ratio)} | ≤ {MemoryTarget:0.0}× | {Verdict(ratio, MemoryTarget, higherIsBetter: false)} |");
            foreach (var after in mine.After)
            {
                var (text, met) = Returns(after, mine.Sessions);
                md.AppendLine(CultureInfo.InvariantCulture,
                    $"| memory after every session ended and was handled (callback registered, {after.Label}) | {text} | connect-redis after `store.destroy`: {Signed(other is { After.Count: > 0 } ? other.After[0].LeftBytes : null)} | | returns to where it started | {(met ? "✓" : "✗")} |");
            }
        }
        var workload = t.Slowlog.Count(e => !e.ByHarness);
        var harness = t.Slowlog.Count(e => e.ByHarness);
        var slowest = t.Slowlog.Where(e => !e.ByHarness).Select(e => e.Duration.TotalMilliseconds).DefaultIfEmpty(0).Max();
        md.AppendLine(CultureInfo.InvariantCulture,
            $"| SLOWLOG over the whole run (reset at the start, read at the end; the 50,000-session user included): commands over {Threshold(t)} | {workload} (slowest {slowest:0.0} ms) | {harness} of the harness itself (flush, census, redis-benchmark){NoiseFloor(t)}{Waiting(t)} | | none over 10 ms | {(workload == 0 ? "✓" : "✗")} |");
        md.AppendLine();
        if (t.Median(Sides.Client, Phases.ClientHashGetAll, r => r.Load.OperationsPerSecond) is { } client && t.Median(Sides.Peer, Phases.Request, r => r.Load.OperationsPerSecond) is { } peer)
        {
            md.AppendLine(CultureInfo.InvariantCulture,
                $"2.0× connect-redis' request cycle is {2 * peer:N0} ops/s in this run; StackExchange.Redis {RunEnvironment.StackExchangeRedisVersion} alone, sending the request cycle's one `HGETALL` with no library code over the same connection and the same loops, reached {client:N0} ops/s ({2 * peer / client:0.00}× of it would be needed). No RedisSessions call, which needs at least that round trip, can pass the client's own figure.").AppendLine();
        }
    }

    /// <summary>Whether memory returned to where it started: no key left but the bounded event stream (and with a
    /// notice period, markers that all expire within it).</summary>
    private static (string Text, bool Met) Returns(MemoryAfterEnd after, long sessions)
    {
        var stream = after.Left.Where(g => g.Kind.StartsWith("event stream", StringComparison.Ordinal)).ToList();
        var rest = after.Left.Except(stream).ToList();
        var streamBytes = stream.Sum(g => g.Bytes);
        var perSession = (after.LeftBytes - streamBytes) / sessions;
        var parts = new List<string>
        {
            string.Create(CultureInfo.InvariantCulture, $"{Signed(after.LeftBytes)} in all, {perSession:+0.0;-0.0;0} B per session besides the event stream ({streamBytes / 1024:N0} KiB, {stream.Sum(g => g.Count)} key, bounded)"),
        };
        bool met;
        if (after.Notice > TimeSpan.Zero)
        {
            var expiring = rest.All(g => g.WithoutTtl == 0 && g.LongestTtl is { } ttl && ttl <= after.Notice);
            parts.Add(string.Create(CultureInfo.InvariantCulture,
                $"{rest.Sum(g => g.Count):N0} keys left, {(expiring ? $"every one expiring within {after.Notice.TotalMinutes:0} min" : "some NOT expiring within the notice period")} ({string.Join("; ", rest.Select(g => $"{g.Kind}: {g.Count:N0}"))})"));
            met = expiring;
        }
        else
        {
            parts.Add(rest.Count == 0 ? "no other key left" : $"keys left: {string.Join("; ", rest.Select(g => $"{g.Kind}: {g.Count:N0}"))}");
            // Back where it started: nothing left but the stream (used_memory no higher than the stream and 1 B per session).
            met = rest.Count == 0 && perSession < 1;
        }
        parts.Add(string.Create(CultureInfo.InvariantCulture, $"{after.Handled:N0} callbacks ran"));
        return (string.Join("; ", parts), met);
    }

    private static void AppendPairs(StringBuilder md, TopologyResult t)
    {
        var pairs = t.Runs.Where(r => r.Phase == Phases.Request).Select(r => r.Pair).DefaultIfEmpty(-1).Max() + 1;
        if (pairs <= 0)
        {
            return;
        }
        md.AppendLine("### Every run (ops/s, in the order they ran within each pair)").AppendLine();
        md.Append("| phase | side |");
        for (var p = 1; p <= pairs; p++)
        {
            md.Append(CultureInfo.InvariantCulture, $" {p} |");
        }
        md.AppendLine(" median |");
        md.Append("| --- | --- |");
        for (var p = 0; p <= pairs; p++)
        {
            md.Append(" --: |");
        }
        md.AppendLine();
        var order = new[] { Phases.Login, Phases.Request, Phases.ClientHashGetAll, Phases.RequestRefreshDue, Phases.Refresh, Phases.Write, Phases.Logout };
        foreach (var phase in order)
        {
            foreach (var side in t.Runs.Where(r => r.Phase == phase).Select(r => r.Side).Distinct())
            {
                var runs = t.RunsOf(side, phase).ToDictionary(r => r.Pair);
                md.Append(CultureInfo.InvariantCulture, $"| {phase} | {side} |");
                for (var p = 0; p < pairs; p++)
                {
                    md.Append(CultureInfo.InvariantCulture, $" {(runs.TryGetValue(p, out var r) ? r.Load.OperationsPerSecond.ToString("N0", CultureInfo.InvariantCulture) : "—")} |");
                }
                md.AppendLine(CultureInfo.InvariantCulture, $" **{Ops(t.Median(side, phase, r => r.Load.OperationsPerSecond))}** |");
            }
        }
        md.AppendLine();
    }

    private static void AppendCost(StringBuilder md, TopologyResult t)
    {
        md.AppendLine("### Where the time goes (medians over the pairs)").AppendLine();
        md.AppendLine("Redis's own counters around each run: `INFO commandstats` (commands inside scripts count as commands; a script's usec holds the commands it ran), `cpu` (server CPU: commands, Lua and sockets) and `stats`; round trips as the client counted them; client CPU and allocations per operation as the client process saw them over the run (every thread; .NET's `GC.GetTotalAllocatedBytes`).").AppendLine();
        md.AppendLine("| phase | side | ops/s | p50 / p99 ms | round trips | Redis commands | script calls × µs | server CPU µs | client CPU µs | client bytes allocated | bytes in / out | commands per operation |");
        md.AppendLine("| --- | --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --- |");
        foreach (var (phase, sides) in CostRows)
        {
            foreach (var side in sides)
            {
                if (!t.Has(side, phase))
                {
                    continue;
                }
                double M(Func<PhaseRun, double> f) => t.Median(side, phase, f)!.Value;
                var median = t.RunsOf(side, phase).OrderBy(r => r.Load.OperationsPerSecond).ElementAt(t.RunsOf(side, phase).Count() / 2);
                var scripts = M(r => r.Cost.ScriptCallsPerOp);
                var scriptText = scripts > 0 ? string.Create(CultureInfo.InvariantCulture, $"{scripts:0.###} × {M(r => r.Cost.ScriptUsPerCall):0.0}") : "—";
                md.AppendLine(CultureInfo.InvariantCulture,
                    $"| {phase} | {side} | {M(r => r.Load.OperationsPerSecond):N0} | {M(r => r.Load.P50Ms):0.00} / {M(r => r.Load.P99Ms):0.00} | {M(r => r.Cost.RoundTripsPerOp):0.00} | {M(r => r.Cost.CommandsPerOp):0.0} | {scriptText} | {M(r => r.Cost.ServerCpuUsPerOp):0.0} | {M(r => r.Load.ClientCpuUsPerOp):0.0} | {(median.Load.AllocatedBytesPerOp is null ? "—" : M(r => r.Load.AllocatedBytesPerOp ?? 0).ToString("N0", CultureInfo.InvariantCulture))} | {M(r => r.Cost.NetInBytesPerOp):N0} / {M(r => r.Cost.NetOutBytesPerOp):N0} | {median.Cost.BreakdownText} |");
            }
        }
        md.AppendLine();
        foreach (var side in new[] { Sides.Ours, Sides.OursOverCaller })
        {
            if (!t.Has(side, Phases.Request))
            {
                continue;
            }
            var shares = string.Join(", ", t.RunsOf(side, Phases.Request).OrderBy(r => r.Pair).Select(r => r.Cost.ScriptCallsPerOp.ToString("P1", CultureInfo.InvariantCulture)));
            md.AppendLine(CultureInfo.InvariantCulture,
                $"- **Request cycle, {side}**: {t.Median(side, Phases.Request, r => r.Cost.RoundTripsPerOp):0.00} round trips per request. The reads that found their refresh due ran the touch script after the `HGETALL` ({shares} of the reads in the successive runs): a session's activity is recorded once per ActivityResolution (18 s), so the share depends on how long the run has gone on since each session's last refresh; the other reads were one `HGETALL`.");
        }
        foreach (var (phase, what) in new[]
        {
            (Phases.Login, "the create script"),
            (Phases.Logout, "a lookup of the session's user (`HMGET`: every key a script touches is declared, and the user's index key needs the user) and the end script"),
            (Phases.LogoutHandled, "the lookup, the end script (which claims the termination for this process), the callback, the acknowledge script and the event-stream `XADD`"),
            (Phases.Write, "a lookup of the session's user and the set-data script (which checks the session is live, checks MaxDataBytes against the stored data and slides the expiry)"),
        })
        {
            if (!t.Has(Sides.Ours, phase))
            {
                continue;
            }
            var peer = t.Has(Sides.Peer, phase)
                ? string.Create(CultureInfo.InvariantCulture, $"; connect-redis: {t.Median(Sides.Peer, phase, r => r.Cost.RoundTripsPerOp):0.00} round trips, {t.Median(Sides.Peer, phase, r => r.Cost.ServerCpuUsPerOp):0.0} µs of Redis CPU, {t.Median(Sides.Peer, phase, r => r.Load.ClientCpuUsPerOp):0.0} µs of client CPU")
                : string.Empty;
            md.AppendLine(CultureInfo.InvariantCulture,
                $"- **{phase}**: {t.Median(Sides.Ours, phase, r => r.Cost.RoundTripsPerOp):0.00} round trips — {what}; {t.Median(Sides.Ours, phase, r => r.Cost.CommandsPerOp):0.0} Redis commands, the script {t.Median(Sides.Ours, phase, r => r.Cost.ScriptUsPerCall):0.0} µs inside Redis, {t.Median(Sides.Ours, phase, r => r.Cost.ServerCpuUsPerOp):0.0} µs of Redis CPU in all, {t.Median(Sides.Ours, phase, r => r.Load.ClientCpuUsPerOp):0.0} µs of client CPU{peer}.");
        }
        md.AppendLine();
    }

    /// <summary>Where a script's time goes, for the phases whose only top-level command is the script: INFO
    /// commandstats times every command a script runs as well as the script, so the script's usec splits into its
    /// commands and the rest (Lua itself, converting arguments and answers).</summary>
    private static void AppendInsideScripts(StringBuilder md, TopologyResult t)
    {
        var rows = new[]
        {
            (Side: Sides.Ours, Phase: Phases.Login, Label: "login (create script, per-user limit 5)"),
            (Side: Sides.SmallUser, Phase: Phases.ScaleLogin, Label: "login (create script, no limit)"),
            (Side: Sides.SmallUser, Phase: Phases.ScaleRefresh, Label: "refresh (touch script)"),
            (Side: Sides.SmallUser, Phase: Phases.ScaleLogout, Label: "logout (end script)"),
        }.Where(r => t.Has(r.Side, r.Phase)).ToList();
        if (rows.Count == 0)
        {
            return;
        }
        md.AppendLine("Inside the scripts (the median run of each phase whose only top-level command is the script; `INFO commandstats` times every command a script runs as well as the script itself, so the script's time splits into its commands and the rest: Lua, turning arguments into Lua strings and the answer back):").AppendLine();
        md.AppendLine("| operation | script µs per call | its commands, µs per call | Lua and argument handling | commands (calls × µs) |");
        md.AppendLine("| --- | --: | --: | --: | --- |");
        foreach (var (side, phase, label) in rows)
        {
            var runs = t.RunsOf(side, phase).OrderBy(r => r.Cost.ScriptUsPerCall).ToList();
            var run = runs[runs.Count / 2];
            var calls = Math.Max(1e-9, run.Cost.ScriptCallsPerOp);
            var inner = run.Cost.Breakdown.Where(b => b.Key is not ("evalsha" or "eval")).Select(b => (b.Key, Calls: b.Value / calls, Us: run.Cost.UsecPerCall.GetValueOrDefault(b.Key))).ToList();
            var commandsUs = inner.Sum(c => c.Calls * c.Us);
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {label} | {run.Cost.ScriptUsPerCall:0.0} | {commandsUs:0.0} | {run.Cost.ScriptUsPerCall - commandsUs:0.0} | {string.Join(", ", inner.OrderByDescending(c => c.Calls * c.Us).Select(c => $"{c.Key} {c.Calls:0.##}×{c.Us:0.0}"))} |");
        }
        md.AppendLine();
    }

    private static void AppendCeilings(StringBuilder md, TopologyResult t)
    {
        if (t.Ceilings.Count == 0)
        {
            return;
        }
        md.AppendLine(CultureInfo.InvariantCulture,
            $"The server's side of the request cycle: `redis-benchmark -c {RedisBenchmarkTool.Clients} -P {RedisBenchmarkTool.Pipeline}` sending the same commands, pipelined, on the same server (a sequence rated 1 / Σ(1 / rate)): how much of what this Redis can serve of those commands each client's request cycle reached.").AppendLine();
        md.AppendLine("| side | commands | redis-benchmark ops/s | measured request cycles/s | share |");
        md.AppendLine("| --- | --- | --: | --: | --: |");
        foreach (var ceiling in t.Ceilings)
        {
            var measured = t.Median(ceiling.Name, Phases.Request, r => r.Load.OperationsPerSecond);
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {ceiling.Name} | {ceiling.Commands} | {ceiling.OpsPerSecond:N0} | {Ops(measured)} | {(measured is { } m ? (m / ceiling.OpsPerSecond).ToString("P0", CultureInfo.InvariantCulture) : "—")} |");
        }
        md.AppendLine();
    }

    private static void AppendScaling(StringBuilder md, BenchmarkSettings settings, TopologyResult t)
    {
        if (!t.Has(Sides.LargeUser, Phases.ScaleLogin))
        {
            return;
        }
        md.AppendLine(CultureInfo.InvariantCulture,
            $"### One user with {settings.LargeUserSessions:N0} sessions").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture,
            $"1,000 users with 10 sessions each next to one user with {settings.LargeUserSessions:N0}, MaxSessionsPerUser 0 for both; per pair {settings.ScalingOperations:N0} logins, refreshes and logouts on each (through the session objects: no lookup), the logouts ending that pair's logins. Medians over {settings.Pairs} pairs:").AppendLine();
        md.AppendLine("| operation | script µs per call, 10 sessions | 50,000 sessions | ratio | server CPU µs per op, 10 | 50,000 | ratio | ops/s, 10 / 50,000 |");
        md.AppendLine("| --- | --: | --: | --: | --: | --: | --: | --: |");
        foreach (var phase in new[] { Phases.ScaleLogin, Phases.ScaleRefresh, Phases.ScaleLogout })
        {
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {phase} | {Us(t.Median(Sides.SmallUser, phase, r => r.Cost.ScriptUsPerCall))} | {Us(t.Median(Sides.LargeUser, phase, r => r.Cost.ScriptUsPerCall))} | {Ratio(t.MedianRatio(Sides.LargeUser, phase, Sides.SmallUser, phase, r => r.Cost.ScriptUsPerCall))} " +
                $"| {Us(t.Median(Sides.SmallUser, phase, r => r.Cost.ServerCpuUsPerOp))} | {Us(t.Median(Sides.LargeUser, phase, r => r.Cost.ServerCpuUsPerOp))} | {Ratio(t.MedianRatio(Sides.LargeUser, phase, Sides.SmallUser, phase, r => r.Cost.ServerCpuUsPerOp))} " +
                $"| {Ops(t.Median(Sides.SmallUser, phase, r => r.Load.OperationsPerSecond))} / {Ops(t.Median(Sides.LargeUser, phase, r => r.Load.OperationsPerSecond))} |");
        }
        if (t.RunsOf(Sides.LargeUser, Phases.EndUser).FirstOrDefault() is { } end)
        {
            md.AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture,
                $"Ending every session of that user at once (`TerminateUserSessionsAsync`, batches of 200): {end.Load.Seconds:0.00} s, {end.Cost.ScriptCallsPerOp:N0} scripts of {end.Cost.ScriptUsPerCall:0} µs each on average{(end.Load.Errors > 0 ? $" — ERROR: {end.Load.FirstError}" : string.Empty)}.");
        }
        md.AppendLine();
    }

    private static void AppendMemory(StringBuilder md, TopologyResult t)
    {
        if (t.Memory.Count == 0)
        {
            return;
        }
        md.AppendLine("### Memory").AppendLine();
        md.AppendLine("Each side's sessions alone on an empty Redis; used_memory after a second to settle. By kind of key: every key counted (`SCAN`), `MEMORY USAGE … SAMPLES 0` summed (a sample of 5,000 scaled up for larger kinds); used_memory also holds the keyspace's and the expires dictionary's entries and tables, about 50–70 B per key.").AppendLine();
        md.AppendLine("| side | used_memory per session | keys per session | kind of key | keys | bytes per session (MEMORY USAGE) | TTL |");
        md.AppendLine("| --- | --: | --: | --- | --: | --: | --- |");
        foreach (var m in t.Memory)
        {
            var first = true;
            foreach (var kind in m.Loaded)
            {
                var perSession = string.Join(" / ", m.BytesPerSession.Select(b => b.ToString("N0", CultureInfo.InvariantCulture))) + " B";
                md.AppendLine(CultureInfo.InvariantCulture,
                    $"| {(first ? m.Side : string.Empty)} | {(first ? perSession : string.Empty)} | {(first ? m.KeysPerSession.ToString("0.00", CultureInfo.InvariantCulture) : string.Empty)} | {kind.Kind} | {kind.Count:N0} | {kind.Bytes / m.Sessions:N1} | {Ttl(kind)} |");
                first = false;
            }
        }
        md.AppendLine();
        md.AppendLine("Left after every session ended (RedisSessions: a process with a termination callback ended them, each callback ran and was acknowledged):").AppendLine();
        md.AppendLine("| side | after | used_memory delta | kind of key | keys | bytes | TTL |");
        md.AppendLine("| --- | --- | --: | --- | --: | --: | --- |");
        foreach (var m in t.Memory)
        {
            foreach (var after in m.After)
            {
                if (after.Left.Count == 0)
                {
                    md.AppendLine(CultureInfo.InvariantCulture, $"| {m.Side} | {after.Label} | {Signed(after.LeftBytes)} | no key left | 0 | | |");
                    continue;
                }
                var first = true;
                foreach (var kind in after.Left)
                {
                    md.AppendLine(CultureInfo.InvariantCulture,
                        $"| {(first ? m.Side : string.Empty)} | {(first ? after.Label : string.Empty)} | {(first ? Signed(after.LeftBytes) : string.Empty)} | {kind.Kind} | {kind.Count:N0} | {kind.Bytes:N0} B | {Ttl(kind)} |");
                    first = false;
                }
            }
        }
        md.AppendLine();
    }

    private static void AppendSlowlog(StringBuilder md, TopologyResult t)
    {
        md.AppendLine(CultureInfo.InvariantCulture,
            $"**SLOWLOG** (commands over {Threshold(t)}, the whole {t.Name} run: reset at its start, read at its end): {(t.Slowlog.Count == 0 ? "no entry" : $"{t.Slowlog.Count} entries")}{Waiting(t)}.").AppendLine();
        if (t.Slowlog.Count == 0)
        {
            return;
        }
        if (NoiseFloor(t).Length > 0)
        {
            md.AppendLine(CultureInfo.InvariantCulture,
                $"A plain O(1) command (every command the clients send outside scripts is one) took up to {t.Slowlog.Where(e => e.IsPlain).Max(e => e.Duration.TotalMilliseconds):0.0} ms here: the slow log times commands by the wall clock, so entries up to about that long are the Redis process waiting for a core on a busy machine, not work; a command inside a script shows as its own entry too.").AppendLine();
        }
        md.AppendLine("| time (UTC) | server | ms | connection | what | command |");
        md.AppendLine("| --- | --- | --: | --- | --- | --- |");
        foreach (var e in t.Slowlog)
        {
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {e.At:HH:mm:ss} | {e.Server} | {e.Duration.TotalMilliseconds:0.0} | {e.Who} | {e.What} | `{e.Command.Replace("|", "\\|", StringComparison.Ordinal)}` |");
        }
        md.AppendLine();
    }

    /// <summary>"; Redis waited 12.3 s for a core (...)": how much other work held Redis up over the run.</summary>
    private static string Waiting(TopologyResult t) => t.RedisOnCpu > TimeSpan.Zero
        ? string.Create(CultureInfo.InvariantCulture, $"; over the {t.Duration.TotalSeconds:0} s run Redis ran {t.RedisOnCpu.TotalSeconds:0.0} s on a core and waited {t.RedisWaiting.TotalSeconds:0.0} s for one")
        : string.Empty;

    /// <summary>"; a plain O(1) command took up to 36.4 ms" when one is in the slow log (the machine held Redis up).</summary>
    private static string NoiseFloor(TopologyResult t) => t.Slowlog.Any(e => e.IsPlain)
        ? string.Create(CultureInfo.InvariantCulture, $"; a plain O(1) command took up to {t.Slowlog.Where(e => e.IsPlain).Max(e => e.Duration.TotalMilliseconds):0.0} ms (Redis waiting for a core)")
        : string.Empty;

    private static string Threshold(TopologyResult t) =>
        long.TryParse(t.SlowlogThresholdUs, NumberStyles.Integer, CultureInfo.InvariantCulture, out var us) ? $"{us / 1000.0:0.#} ms" : t.SlowlogThresholdUs + " µs";

    private static string Ttl(KeyGroup g) => g.WithoutTtl == g.Count
        ? "none"
        : g.WithoutTtl == 0 ? $"all, longest {Span(g.LongestTtl)}" : $"{g.Count - g.WithoutTtl:N0} with, longest {Span(g.LongestTtl)}";

    private static string Span(TimeSpan? span) => span is not { } s ? "—" : s.TotalHours >= 1 ? $"{s.TotalHours:0.#} h" : s.TotalMinutes >= 1 ? $"{s.TotalMinutes:0.#} min" : $"{s.TotalSeconds:0.#} s";

    private static string Ops(double? ops) => ops is { } v ? v.ToString("N0", CultureInfo.InvariantCulture) + " ops/s" : "—";

    private static string Us(double? us) => us is { } v && !double.IsNaN(v) ? v.ToString("0.0", CultureInfo.InvariantCulture) + " µs" : "—";

    private static string Ratio(double? ratio) => ratio is { } r && !double.IsNaN(r) && !double.IsInfinity(r) ? string.Create(CultureInfo.InvariantCulture, $"**{r:0.00}×**") : "—";

    private static string Bytes(double? bytes) => bytes is { } b ? string.Create(CultureInfo.InvariantCulture, $"{b:N0} B") : "—";

    private static string Signed(long? bytes) => bytes is { } b ? string.Create(CultureInfo.InvariantCulture, $"{b:+#,0;-#,0;0} B") : "—";

    private static string Verdict(double? value, double target, bool higherIsBetter) =>
        value is not { } v || double.IsNaN(v) ? "not measured" : (higherIsBetter ? v >= target : v <= target) ? "✓" : "✗";
}
