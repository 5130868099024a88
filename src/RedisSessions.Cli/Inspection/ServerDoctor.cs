using RedisSessions.Cli.Connection;
using RedisSessions.Cli.Output;
using StackExchange.Redis;

namespace RedisSessions.Cli.Inspection;

/// <summary>
/// The server checks behind <c>doctor</c>, per primary: version (7.0+: the scripts use PEXPIRETIME), keyspace "expired"
/// notifications (the fast path that ends sessions on time), maxmemory-policy (any evicting policy can drop live
/// sessions: every session key has a TTL, so volatile-* evicts them as surely as allkeys-*), persistence; then the
/// cluster topology and, through the admin API, the listeners and terminations waiting with nobody to run them.
/// These talk to the servers directly (INFO, CONFIG GET, COMMAND INFO): they are about the server, not the key schema.
/// Where a managed Redis or an ACL user refuses CONFIG or INFO, the check says so on its line (status skip, not a
/// problem) instead of failing.
/// </summary>
internal sealed class ServerDoctor
{
    private static readonly Version Minimum = new(7, 0);
    private readonly CliContext _context;

    public ServerDoctor(CliContext context) => _context = context;

    public async Task<List<DoctorCheck>> RunAsync(CancellationToken cancellationToken)
    {
        var checks = new List<DoctorCheck>();
        var primaries = _context.Primaries;
        foreach (var server in primaries)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var name = RedisTarget.Format(server.EndPoint);
            checks.Add(await CheckVersionAsync(server, name));
            checks.Add(await CheckNotificationsAsync(server, name));
            checks.Add(await CheckEvictionAsync(server, name));
            checks.Add(await CheckPersistenceAsync(server, name));
        }
        checks.Add(CheckTopology(primaries));
        checks.AddRange(await CheckListenersAsync(cancellationToken));
        return checks;
    }

    private static async Task<DoctorCheck> CheckVersionAsync(IServer server, string name)
    {
        var (info, error) = await InfoAsync(server, "server");
        if (info is not null && info.TryGetValue("redis_version", out var text) && Version.TryParse(text, out var version))
        {
            return version >= Minimum
                ? Check("version", DoctorCheck.Ok, name, $"Redis {version}")
                : Check("version", DoctorCheck.Fail, name, $"Redis {version}: RedisSessions needs 7.0 or later (its scripts use PEXPIRETIME)");
        }
        // INFO refused: ask whether the one command 7.0 brought that the scripts rely on exists.
        try
        {
            var reply = await server.ExecuteAsync("COMMAND", "INFO", "PEXPIRETIME");
            var known = reply.Length > 0 && !reply[0].IsNull;
            return known
                ? Check("version", DoctorCheck.Ok, name, $"INFO is refused ({error}); PEXPIRETIME exists, so it is Redis 7.0 or later")
                : Check("version", DoctorCheck.Fail, name, $"INFO is refused ({error}) and PEXPIRETIME is unknown: RedisSessions needs Redis 7.0 or later");
        }
        catch (Exception ex) when (IsRefusal(ex))
        {
            return Check("version", DoctorCheck.Skip, name, $"can't tell: INFO is refused ({error}) and so is COMMAND INFO ({RedisTarget.OneLine(ex.Message)}); RedisSessions needs 7.0 or later");
        }
    }

    private static async Task<DoctorCheck> CheckNotificationsAsync(IServer server, string name)
    {
        var (flags, error) = await ConfigAsync(server, "notify-keyspace-events");
        if (flags is null)
        {
            return Check("notify-keyspace-events", DoctorCheck.Skip, name,
                $"can't check: CONFIG GET is refused ({error}); it must include E and x (expired events), or sessions end only at the sweep: see the provider's settings");
        }
        var on = flags.Contains('E', StringComparison.Ordinal) && (flags.Contains('x', StringComparison.Ordinal) || flags.Contains('A', StringComparison.Ordinal));
        return on
            ? Check("notify-keyspace-events", DoctorCheck.Ok, name, $"\"{flags}\": expired events reach the listeners, sessions end on time")
            : Check("notify-keyspace-events", DoctorCheck.Warn, name, $"\"{flags}\" has no expired events (needs E and x): sessions end only at the deadline schedule or the next full sweep; set notify-keyspace-events Ex");
    }

    private static async Task<DoctorCheck> CheckEvictionAsync(IServer server, string name)
    {
        var (policy, error) = await ConfigAsync(server, "maxmemory-policy");
        if (policy is null)
        {
            return Check("maxmemory-policy", DoctorCheck.Skip, name,
                $"can't check: CONFIG GET is refused ({error}); it must be noeviction, or a full Redis drops live sessions: see the provider's settings");
        }
        var (maxmemory, _) = await ConfigAsync(server, "maxmemory");
        var limit = maxmemory is null or "0" ? "no maxmemory limit" : $"maxmemory {maxmemory} bytes";
        return policy switch
        {
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
        var (info, infoError) = await InfoAsync(server, "persistence");
        if (info is null)
        {
            return Check("persistence", DoctorCheck.Skip, name, $"can't check: INFO is refused ({infoError}); without AOF or RDB every session is lost when Redis restarts");
        }
        if (info.GetValueOrDefault("aof_last_write_status") is "err" || info.GetValueOrDefault("rdb_last_bgsave_status") is "err")
        {
            return Check("persistence", DoctorCheck.Fail, name, "the last AOF write or RDB save failed (see the server log): sessions written since may be lost on restart");
        }
        var aof = info.GetValueOrDefault("aof_enabled") == "1";
        var (save, configError) = await ConfigAsync(server, "save");
        if (save is null && !aof)
        {
            return Check("persistence", DoctorCheck.Skip, name, $"AOF is off and CONFIG GET save is refused ({configError}): can't tell whether RDB snapshots are on");
        }
        var rdb = !string.IsNullOrWhiteSpace(save);
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

    private DoctorCheck CheckTopology(IReadOnlyList<IServer> primaries)
    {
        var all = _context.Target.Display;
        var cluster = primaries.FirstOrDefault(m => m.ServerType == ServerType.Cluster);
        if (cluster is null)
        {
            return primaries.Count == 1
                ? Check("topology", DoctorCheck.Info, all, "standalone server")
                : Check("topology", DoctorCheck.Warn, all, $"{primaries.Count} standalone primaries: sessions go to one of them only; name one server (or a cluster)");
        }
        var configuration = cluster.ClusterConfiguration;
        if (configuration is null)
        {
            return Check("topology", DoctorCheck.Skip, all, "cluster mode, but CLUSTER NODES could not be read");
        }
        var clusterPrimaries = configuration.Nodes.Where(n => !n.IsReplica).ToList();
        var replicas = configuration.Nodes.Count(n => n.IsReplica);
        var covered = clusterPrimaries.SelectMany(n => n.Slots).Sum(r => (long)r.To - r.From + 1);
        var failing = configuration.Nodes.Where(n => n.Raw.Split(' ').ElementAtOrDefault(2)?.Split(',').Any(f => f is "fail" or "fail?") == true).ToList();
        var summary = $"cluster: {clusterPrimaries.Count} master(s), {replicas} replica(s), {covered}/16384 slots covered, {primaries.Count} master(s) reachable";
        if (covered < 16384 || failing.Count > 0 || primaries.Count < clusterPrimaries.Count(n => n.Slots.Count > 0))
        {
            var failed = failing.Count > 0 ? $"; failing: {string.Join(", ", failing.Select(f => f.EndPoint is null ? f.NodeId : RedisTarget.Format(f.EndPoint)))}" : string.Empty;
            return Check("topology", DoctorCheck.Fail, all, summary + failed);
        }
        return Check("topology", DoctorCheck.Ok, all, summary);
    }

    private async Task<List<DoctorCheck>> CheckListenersAsync(CancellationToken cancellationToken)
    {
        var listeners = await _context.Admin.GetListenersAsync(cancellationToken);
        var totals = (await _context.Admin.GetStatisticsAsync(walkSessions: false, cancellationToken)).Totals;
        var checks = new List<DoctorCheck>();
        var prefix = _context.Prefix;
        if (listeners.Count == 0)
        {
            checks.Add(Check("listeners", DoctorCheck.Info, prefix, $"no listener heartbeat (processes with termination handlers announce themselves with a key matching {_context.Admin.HeartbeatKeyPattern})"));
        }
        foreach (var beat in listeners)
        {
            var ago = beat.SinceLastSeen is { } since ? Text.Duration(since) + " ago" : "never";
            checks.Add(Check("listeners", DoctorCheck.Ok, prefix, $"{beat.Node} on {(beat.Host.Length > 0 ? beat.Host : "?")} (pid {(beat.ProcessId.Length > 0 ? beat.ProcessId : "?")}), last seen {ago}"));
        }
        if (totals.PendingTerminations > 0 && listeners.Count == 0)
        {
            checks.Add(Check("pending terminations", DoctorCheck.Warn, prefix, $"{totals.PendingTerminations} ended session(s) wait for a process with termination handlers, and no listener announces itself (run the worker, or EnableAutoCleanup in the app)"));
        }
        else
        {
            checks.Add(Check("pending terminations", DoctorCheck.Ok, prefix, $"{totals.PendingTerminations} pending, {totals.OverdueSessions} session(s) past their time not yet ended"));
        }
        return checks;
    }

    private static DoctorCheck Check(string check, string status, string server, string detail) =>
        new() { Check = check, Status = status, Server = server, Detail = detail };

    /// <summary>A server's answer that it won't run a command for us (ACL NOPERM, a renamed or disabled command, a
    /// managed Redis that hides it), as opposed to it being unreachable.</summary>
    private static bool IsRefusal(Exception ex) => ex is RedisServerException or RedisCommandException;

    private static async Task<(string? Value, string? Error)> ConfigAsync(IServer server, string name)
    {
        try
        {
            var pairs = await server.ConfigGetAsync(name);
            return (pairs.Where(p => p.Key == name).Select(p => p.Value).FirstOrDefault() ?? string.Empty, null);
        }
        catch (Exception ex) when (IsRefusal(ex))
        {
            return (null, RedisTarget.OneLine(ex.Message));
        }
    }

    private static async Task<(Dictionary<string, string>? Info, string? Error)> InfoAsync(IServer server, string section)
    {
        try
        {
            var info = await server.InfoAsync(section);
            return (info.SelectMany(g => g).GroupBy(p => p.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Value, StringComparer.Ordinal), null);
        }
        catch (Exception ex) when (IsRefusal(ex))
        {
            return (null, RedisTarget.OneLine(ex.Message));
        }
    }
}
