using RedisSessions.Cli.Connection;
using RedisSessions.Cli.Output;
using StackExchange.Redis;

namespace RedisSessions.Cli.Inspection;

/// <summary>
/// The server checks behind <c>doctor</c>, per master: version (6.2+: the scripts use SET PXAT), keyspace "expired"
/// notifications (the fast path that ends sessions on time), maxmemory-policy (any evicting policy can drop live
/// sessions: every session key has a TTL, so volatile-* evicts them as surely as allkeys-*), persistence; then the
/// cluster topology and the listeners (heartbeats, and terminations waiting with nobody to run them).
/// </summary>
internal sealed class ServerDoctor
{
    private static readonly Version Minimum = new(6, 2);
    private readonly CliContext _context;

    public ServerDoctor(CliContext context) => _context = context;

    public async Task<List<DoctorCheck>> RunAsync(CancellationToken cancellationToken)
    {
        var checks = new List<DoctorCheck>();
        var masters = _context.Masters;
        foreach (var server in masters)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var name = RedisTarget.Format(server.EndPoint);
            checks.Add(CheckVersion(server, name));
            checks.Add(await CheckNotificationsAsync(server, name));
            checks.Add(await CheckEvictionAsync(server, name));
            checks.Add(await CheckPersistenceAsync(server, name));
        }
        checks.Add(CheckTopology(masters));
        checks.AddRange(await CheckListenersAsync(cancellationToken));
        return checks;
    }

    private static DoctorCheck CheckVersion(IServer server, string name) => server.Version >= Minimum
        ? Check("version", DoctorCheck.Ok, name, $"Redis {server.Version}")
        : Check("version", DoctorCheck.Fail, name, $"Redis {server.Version}: RedisSessions needs 6.2 or later (its scripts use SET ... PXAT)");

    private static async Task<DoctorCheck> CheckNotificationsAsync(IServer server, string name)
    {
        var (flags, error) = await ConfigAsync(server, "notify-keyspace-events");
        if (flags is null)
        {
            return Check("notify-keyspace-events", DoctorCheck.Warn, name, $"can't read it ({error}); sessions may end only at the sweep, not on time");
        }
        var on = flags.Contains('E', StringComparison.Ordinal) && (flags.Contains('x', StringComparison.Ordinal) || flags.Contains('A', StringComparison.Ordinal));
        return on
            ? Check("notify-keyspace-events", DoctorCheck.Ok, name, $"\"{flags}\": expired events reach the listeners, sessions end on time")
            : Check("notify-keyspace-events", DoctorCheck.Warn, name, $"\"{flags}\" has no expired events (needs E and x): sessions end only at the next full sweep; set notify-keyspace-events Ex");
    }

    private static async Task<DoctorCheck> CheckEvictionAsync(IServer server, string name)
    {
        var (policy, error) = await ConfigAsync(server, "maxmemory-policy");
        var (maxmemory, _) = await ConfigAsync(server, "maxmemory");
        var limit = maxmemory is null or "0" ? "no maxmemory limit" : $"maxmemory {maxmemory} bytes";
        return policy switch
        {
            null => Check("maxmemory-policy", DoctorCheck.Warn, name, $"can't read it ({error})"),
            "noeviction" => Check("maxmemory-policy", DoctorCheck.Ok, name, $"noeviction ({limit}): a full Redis refuses writes instead of dropping sessions"),
            _ when policy.StartsWith("allkeys-", StringComparison.Ordinal) =>
                Check("maxmemory-policy", DoctorCheck.Warn, name, $"{policy} ({limit}) can silently evict live sessions when memory runs out; use noeviction"),
            _ when policy.StartsWith("volatile-", StringComparison.Ordinal) =>
                Check("maxmemory-policy", DoctorCheck.Warn, name, $"{policy} ({limit}) evicts keys with a TTL, and every session key has one: live sessions can vanish; use noeviction"),
            _ => Check("maxmemory-policy", DoctorCheck.Warn, name, $"{policy} ({limit}): unknown policy; noeviction is the safe one"),
        };
    }

    private static async Task<DoctorCheck> CheckPersistenceAsync(IServer server, string name)
    {
        var info = await InfoAsync(server, "persistence");
        var (save, _) = await ConfigAsync(server, "save");
        var aof = info.GetValueOrDefault("aof_enabled") == "1";
        var rdb = !string.IsNullOrWhiteSpace(save);
        if (info.GetValueOrDefault("aof_last_write_status") is "err" || info.GetValueOrDefault("rdb_last_bgsave_status") is "err")
        {
            return Check("persistence", DoctorCheck.Fail, name, "the last AOF write or RDB save failed (see the server log): sessions written since may be lost on restart");
        }
        if (!aof && !rdb)
        {
            return Check("persistence", DoctorCheck.Warn, name, "no AOF and no RDB snapshots: every session is lost when Redis restarts");
        }
        var parts = new List<string>();
        if (aof)
        {
            var (fsync, _) = await ConfigAsync(server, "appendfsync");
            parts.Add($"AOF on (appendfsync {fsync ?? "?"})");
        }
        if (rdb)
        {
            parts.Add($"RDB snapshots (save {save})");
        }
        return Check("persistence", DoctorCheck.Ok, name, string.Join(", ", parts));
    }

    private DoctorCheck CheckTopology(IReadOnlyList<IServer> masters)
    {
        var all = _context.Target.Display;
        var cluster = masters.FirstOrDefault(m => m.ServerType == ServerType.Cluster);
        if (cluster is null)
        {
            return masters.Count == 1
                ? Check("topology", DoctorCheck.Info, all, "standalone server")
                : Check("topology", DoctorCheck.Warn, all, $"{masters.Count} standalone masters: sessions go to one of them only; name one server (or a cluster)");
        }
        var configuration = cluster.ClusterConfiguration;
        if (configuration is null)
        {
            return Check("topology", DoctorCheck.Fail, all, "cluster mode, but CLUSTER NODES could not be read");
        }
        var clusterMasters = configuration.Nodes.Where(n => !n.IsReplica).ToList();
        var replicas = configuration.Nodes.Count(n => n.IsReplica);
        var covered = clusterMasters.SelectMany(n => n.Slots).Sum(r => (long)r.To - r.From + 1);
        var failing = configuration.Nodes.Where(n => n.Raw.Split(' ').ElementAtOrDefault(2)?.Split(',').Any(f => f is "fail" or "fail?") == true).ToList();
        var summary = $"cluster: {clusterMasters.Count} master(s), {replicas} replica(s), {covered}/16384 slots covered, {masters.Count} master(s) reachable";
        if (covered < 16384 || failing.Count > 0 || masters.Count < clusterMasters.Count(n => n.Slots.Count > 0))
        {
            var failed = failing.Count > 0 ? $"; failing: {string.Join(", ", failing.Select(f => f.EndPoint is null ? f.NodeId : RedisTarget.Format(f.EndPoint)))}" : string.Empty;
            return Check("topology", DoctorCheck.Fail, all, summary + failed);
        }
        return Check("topology", DoctorCheck.Ok, all, summary);
    }

    private async Task<List<DoctorCheck>> CheckListenersAsync(CancellationToken cancellationToken)
    {
        var heartbeats = await HeartbeatReader.ReadAsync(_context, cancellationToken);
        var stats = await _context.Manager.GetStatsAsync(cancellationToken);
        var now = CliContext.NowMs;
        var checks = new List<DoctorCheck>();
        var prefix = _context.Keys.Prefix;
        if (heartbeats.Count == 0)
        {
            checks.Add(Check("listeners", DoctorCheck.Info, prefix, $"no listener heartbeat (processes running the background sweep announce themselves as {prefix}:heartbeat:{{node}})"));
        }
        foreach (var beat in heartbeats)
        {
            var ago = beat.LastSeen is { } last ? Text.Duration(TimeSpan.FromMilliseconds(Math.Max(0, now - last.ToUnixTimeMilliseconds()))) + " ago" : "never";
            checks.Add(Check("listeners", DoctorCheck.Ok, prefix, $"{beat.Node} on {(beat.Host.Length > 0 ? beat.Host : "?")} (pid {(beat.Pid.Length > 0 ? beat.Pid : "?")}), last seen {ago}"));
        }
        if (stats.PendingTerminations > 0 && heartbeats.Count == 0)
        {
            checks.Add(Check("pending terminations", DoctorCheck.Warn, prefix, $"{stats.PendingTerminations} ended session(s) wait for a process with termination callbacks, and no listener announces itself (run the worker, or EnableAutoCleanup in the app)"));
        }
        else
        {
            checks.Add(Check("pending terminations", DoctorCheck.Ok, prefix, $"{stats.PendingTerminations} pending, {stats.OverdueSessions} session(s) past their time not yet ended"));
        }
        return checks;
    }

    private static DoctorCheck Check(string check, string status, string server, string detail) =>
        new() { Check = check, Status = status, Server = server, Detail = detail };

    private static async Task<(string? Value, string? Error)> ConfigAsync(IServer server, string name)
    {
        try
        {
            var pairs = await server.ConfigGetAsync(name);
            return (pairs.Where(p => p.Key == name).Select(p => p.Value).FirstOrDefault() ?? string.Empty, null);
        }
        catch (RedisServerException ex)
        {
            return (null, RedisTarget.OneLine(ex.Message));
        }
    }

    private static async Task<Dictionary<string, string>> InfoAsync(IServer server, string section)
    {
        var info = await server.InfoAsync(section);
        return info.SelectMany(g => g).GroupBy(p => p.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Value, StringComparer.Ordinal);
    }
}
