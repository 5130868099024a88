using System.Globalization;
using System.Text;

namespace RedisSessions.Benchmarks;

/// <summary>One row of the side-by-side table: a RedisSessions call, the peer's equivalent, and the issue's target.</summary>
internal sealed record Comparison(string Workload, string ShortName, string OursCall, string PeerCall, string OursPhase, string PeerPhase, double? Target);

/// <summary>Builds the markdown the program prints and writes to benchmarks/results/.</summary>
internal static class ReportWriter
{
    public static readonly Comparison[] Rows =
    [
        new("request cycle: load for use, sliding refresh", "request cycle", "`GetSessionAsync`", "`store.get` + `store.touch`", Phases.Get, Phases.Get, 2.0),
        new("write one data field", "write one data field", "`Session.SetDataAsync`", "`store.get` + `store.set`", Phases.SetData, Phases.SetData, 1.5),
        new("login: create with limit enforcement", "login (limit enforced)", "`CreateSessionAsync`", "`store.set`", Phases.Create, Phases.Create, 1.0),
        new("logout", "logout", "`TerminateSessionAsync`", "`store.destroy`", Phases.Terminate, Phases.Terminate, 1.0),
        new("refresh only", "refresh only", "`UpdateSessionActivityAsync`", "`store.touch`", Phases.Touch, Phases.Touch, null),
        new("request cycle, refresh due on every read", "request cycle, refresh due", "`GetSessionAsync`, ActivityResolution 1 ms", "`store.get` + `store.touch`", Phases.GetRefreshDue, Phases.Get, null),
    ];

    /// <summary>The client the RedisSessions side runs on, as the report names it ("StackExchange.Redis 1.2.6").</summary>
    public static string ClientName
    {
        get
        {
            var version = typeof(StackExchange.Redis.ConnectionMultiplexer).Assembly.GetName().Version;
            return version is null ? "StackExchange.Redis" : $"StackExchange.Redis {version.ToString(3)}";
        }
    }

    /// <summary>The client-ceiling rows: StackExchange.Redis alone, no RedisSessions code.</summary>
    public static readonly (string Phase, string Label, string Call)[] ClientCeilingRows =
    [
        (Phases.ClientDel, "plain `DEL` of a missing key", "`IDatabase.KeyDeleteAsync`"),
        (Phases.ClientHashGetAll, "plain `HGETALL` of the same session hashes", "`IDatabase.HashGetAllAsync`"),
    ];

    public const double MemoryTarget = 1.0;
    public const double CeilingTarget = 0.5;

    public static string Build(BenchmarkSettings settings, string environment, TopologyResult standalone, TopologyResult? cluster)
    {
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"<!-- Written by benchmarks/run{(settings.Quick ? " --quick" : string.Empty)}; do not edit by hand. -->");
        md.AppendLine(CultureInfo.InvariantCulture, $"{environment}").AppendLine();
        AppendTopology(md, settings, standalone);
        if (cluster is not null)
        {
            AppendTopology(md, settings, cluster);
        }
        return md.ToString();
    }

    private static void AppendTopology(StringBuilder md, BenchmarkSettings settings, TopologyResult t)
    {
        var where = t.Masters == 1 ? $"one redis-server {t.RedisVersion}" : $"a {t.Masters}-master Redis Cluster {t.RedisVersion}";
        md.AppendLine(CultureInfo.InvariantCulture, $"### {Title(t)}: {where}, {settings.Concurrency} operations in flight").AppendLine();
        AppendSideBySide(md, t);
        AppendClientCeiling(md, t, settings.Concurrency);
        AppendCost(md, t);
        if (t.Ceilings.Count > 0)
        {
            AppendCeilings(md, t);
        }
        AppendMemory(md, t);
        if (t.Background is { } idle)
        {
            md.AppendLine(CultureInfo.InvariantCulture,
                $"Background load of one idle application process (library defaults: auto cleanup on, DeadlineRefreshInterval 1 s; one termination callback), no traffic, {idle.Seconds:0} s: {idle.RoundTripsPerSecond:N0} round trips/s, {idle.CommandsPerSecond:N0} Redis commands/s, {idle.ServerCpuPercent:0.0}% of a Redis core ({idle.Breakdown}). Every application server adds this.").AppendLine();
        }
        md.AppendLine(CultureInfo.InvariantCulture, $"Slow log (commands over 10 ms) during the measured phases: {t.Slowlog}.").AppendLine();
    }

    private static string Title(TopologyResult t) => t.Masters == 1 ? "Standalone" : "Cluster";

    private static void AppendSideBySide(StringBuilder md, TopologyResult t)
    {
        md.AppendLine("| workload | RedisSessions | ops/s | p50 / p99 ms | connect-redis | ops/s | p50 / p99 ms | ratio | target |");
        md.AppendLine("| --- | --- | --: | --: | --- | --: | --: | --: | --- |");
        foreach (var row in Rows)
        {
            var ours = t.RedisSessions?[row.OursPhase];
            var theirs = t.Peer?[row.PeerPhase];
            if (ours is null)
            {
                continue;
            }
            var ratio = theirs is null ? (double?)null : ours.Load.OperationsPerSecond / theirs.Load.OperationsPerSecond;
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {row.Workload} | {row.OursCall} | {Rate(ours)} | {Latency(ours)} | {row.PeerCall} | {Rate(theirs)} | {Latency(theirs)} | {Ratio(ratio)} | {Verdict(ratio, row.Target, higherIsBetter: true)} |");
        }
        if (t.RedisSessions?.Memory is { } mine)
        {
            var other = t.Peer?.Memory;
            var ratio = other is null ? (double?)null : mine.BytesPerSession / other.BytesPerSession;
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| Redis memory per session ({mine.Sessions:N0} sessions, 3 small fields, all indexes) | used_memory delta / n | {mine.BytesPerSession:N0} B | | same | {Bytes(other?.BytesPerSession)} | | {Ratio(ratio)} | {Verdict(ratio, MemoryTarget, higherIsBetter: false)} |");
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| Redis memory left per session after logout | used_memory delta / n | {Bytes(mine.RetainedAfterLogoutPerSession)} | | same | {Bytes(other?.RetainedAfterLogoutPerSession)} | | | |");
        }
        foreach (var (phase, label, call) in ClientCeilingRows)
        {
            if (t.RedisSessions?[phase] is { } p)
            {
                md.AppendLine(CultureInfo.InvariantCulture,
                    $"| **client ceiling, not a RedisSessions call:** {ClientName} alone, {label} | {call} | {Rate(p)} | {Latency(p)} | | | | | |");
            }
        }
        md.AppendLine();
        var errors = new[] { t.RedisSessions, t.Peer }.Where(s => s is not null).SelectMany(s => s!.Phases.Values)
            .Where(p => p.Load.Errors > 0).Select(p => $"{p.Phase}: {p.Load.Errors} errors ({p.Load.FirstError})").ToList();
        if (errors.Count > 0)
        {
            md.AppendLine("**Errors:** " + string.Join("; ", errors)).AppendLine();
        }
    }

    /// <summary>Each RedisSessions workload and the ops/s its target asks for, next to what the client reaches on its own
    /// with one plain command per operation: a target above the client ceiling cannot be met on this client, whatever the
    /// library does.</summary>
    private static void AppendClientCeiling(StringBuilder md, TopologyResult t, int concurrency)
    {
        if (t.RedisSessions?[Phases.ClientDel] is not { } del)
        {
            return;
        }
        var ceiling = del.Load.OperationsPerSecond;
        md.AppendLine(CultureInfo.InvariantCulture,
            $"Client ceiling: {ClientName} on its own — the connection the library opened (PreserveAsyncOrder off), the same {concurrency} loops in flight, one plain `DEL` of a missing key per operation, no RedisSessions code — reached {ceiling:N0} ops/s in this run. No operation of the library, which needs at least one round trip, can beat it on this client; a target above it is beyond the client itself:").AppendLine();
        md.AppendLine("| workload | RedisSessions ops/s | share of the client ceiling | target ops/s (connect-redis × target) | target ÷ client ceiling |");
        md.AppendLine("| --- | --: | --: | --: | --: |");
        foreach (var row in Rows.Where(r => r.Target is not null))
        {
            if (t.RedisSessions[row.OursPhase] is not { } ours)
            {
                continue;
            }
            var needed = t.Peer?[row.PeerPhase] is { } theirs && row.Target is { } x ? theirs.Load.OperationsPerSecond * x : (double?)null;
            var share = needed is { } need ? need / ceiling : (double?)null;
            var beyond = share is > 1 ? " (beyond the client)" : string.Empty;
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {row.Workload} | {ours.Load.OperationsPerSecond:N0} | {ours.Load.OperationsPerSecond / ceiling:P0} | {(needed is { } v ? v.ToString("N0", CultureInfo.InvariantCulture) : "—")} | {(share is { } r ? r.ToString("0.00", CultureInfo.InvariantCulture) + "×" : "—")}{beyond} |");
        }
        md.AppendLine();
    }

    private static void AppendCost(StringBuilder md, TopologyResult t)
    {
        md.AppendLine("Redis work per operation (INFO commandstats, cpu and stats around each phase; commands run inside Lua scripts count as commands; round trips as the client counted them; round trips per socket read is how well the client batches its writes):").AppendLine();
        md.AppendLine("| phase | side | round trips | Redis commands | server CPU µs | client CPU µs | bytes in / out | round trips per socket read | commands per operation |");
        md.AppendLine("| --- | --- | --: | --: | --: | --: | --: | --: | --- |");
        foreach (var phase in new[] { Phases.Get, Phases.GetRefreshDue, Phases.Touch, Phases.SetData, Phases.Create, Phases.Terminate, Phases.ClientDel, Phases.ClientHashGetAll })
        {
            foreach (var side in new[] { t.RedisSessions, t.Peer })
            {
                if (side?[phase] is not { } p)
                {
                    continue;
                }
                var c = p.Cost;
                var clientUs = p.Load.ClientCpuMs * 1000 / Math.Max(1, p.Load.Operations);
                md.AppendLine(CultureInfo.InvariantCulture,
                    $"| {phase} | {side.Name} | {c.RoundTripsPerOp:0.00} | {c.CommandsPerOp:0.0} | {c.ServerCpuUsPerOp:0.0} | {clientUs:0.0} | {c.NetInBytesPerOp:N0} / {c.NetOutBytesPerOp:N0} | {c.RoundTripsPerOp / Math.Max(1e-9, c.ServerReadsPerOp):0.0} | {c.BreakdownText} |");
            }
        }
        md.AppendLine();
    }

    private static void AppendCeilings(StringBuilder md, TopologyResult t)
    {
        md.AppendLine(CultureInfo.InvariantCulture,
            $"Against the physical limit: redis-benchmark running the same commands pipelined (-c {RedisBenchmarkTool.Clients} -P {RedisBenchmarkTool.Pipeline}) on the same server; a sequence of commands is rated 1 / Σ(1 / rate):").AppendLine();
        md.AppendLine("| operation | commands | redis-benchmark ops/s | measured ops/s | share of the limit |");
        md.AppendLine("| --- | --- | --: | --: | --: |");
        void Row(string name, SideResult? side, string phase, double? target)
        {
            var ceiling = t.Ceilings.FirstOrDefault(c => c.Name == name);
            var measured = side?[phase];
            if (ceiling is null || measured is null)
            {
                return;
            }
            var share = measured.Load.OperationsPerSecond / ceiling.OpsPerSecond;
            var verdict = target is { } x ? $" ({(share >= x ? "✓ target" : "✗ target")} ≥ {x:P0})" : string.Empty;
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {name} | {ceiling.Commands} | {ceiling.OpsPerSecond:N0} | {measured.Load.OperationsPerSecond:N0} | {share:P0}{verdict} |");
        }
        Row(CeilingNames.OursGet, t.RedisSessions, Phases.Get, CeilingTarget);
        Row(CeilingNames.OursRefreshDue, t.RedisSessions, Phases.GetRefreshDue, null);
        Row(CeilingNames.OursTouch, t.RedisSessions, Phases.Touch, null);
        Row(CeilingNames.OursSetData, t.RedisSessions, Phases.SetData, null);
        Row(CeilingNames.PeerGet, t.Peer, Phases.Get, null);
        Row(CeilingNames.PeerSetData, t.Peer, Phases.SetData, null);
        md.AppendLine();
    }

    private static void AppendMemory(StringBuilder md, TopologyResult t)
    {
        md.AppendLine("Memory: each side's sessions alone on an empty Redis (used_memory after 1 s to settle). By key kind: MEMORY USAGE … SAMPLES 0 of a sample key, per-bucket keys summed over the buckets and shared out; the used_memory delta also holds the keyspace's and the expires dictionary's entries and tables, about 50-70 B per key:").AppendLine();
        md.AppendLine("| side | key kind | bytes | how many | example |");
        md.AppendLine("| --- | --- | --: | --- | --- |");
        foreach (var side in new[] { t.RedisSessions, t.Peer })
        {
            if (side?.Memory is not { } m)
            {
                continue;
            }
            foreach (var kind in m.KeyKinds)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"| {side.Name} | {kind.Kind} | {kind.Bytes:N0} | {kind.Per} | `{kind.Example}` |");
            }
            md.AppendLine(CultureInfo.InvariantCulture, $"| {side.Name} | **keys per session** | {m.KeysPerSession:0.00} | DBSIZE / sessions | |");
        }
        md.AppendLine();
    }

    private static string Rate(PhaseMeasurement? p) => p is null ? "—" : p.Load.OperationsPerSecond.ToString("N0", CultureInfo.InvariantCulture);

    private static string Latency(PhaseMeasurement? p) => p is null ? "—" : string.Create(CultureInfo.InvariantCulture, $"{p.Load.P50Ms:0.00} / {p.Load.P99Ms:0.00}");

    private static string Ratio(double? ratio) => ratio is { } r ? string.Create(CultureInfo.InvariantCulture, $"**{r:0.00}×**") : "—";

    private static string Bytes(double? bytes) => bytes is { } b ? string.Create(CultureInfo.InvariantCulture, $"{b:N0} B") : "—";

    private static string Verdict(double? ratio, double? target, bool higherIsBetter)
    {
        if (target is not { } x)
        {
            return string.Empty;
        }
        var goal = string.Create(CultureInfo.InvariantCulture, $"{(higherIsBetter ? "≥" : "≤")} {x:0.0}×");
        if (ratio is not { } r)
        {
            return goal;
        }
        var met = higherIsBetter ? r >= x : r <= x;
        return $"{goal} {(met ? "✓" : "✗")}";
    }
}
