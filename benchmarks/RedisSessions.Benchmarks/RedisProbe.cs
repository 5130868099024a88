using System.Globalization;
using StackExchange.Redis;

namespace RedisSessions.Benchmarks;

/// <summary>What Redis did for one phase, per operation: round trips, commands (those run inside Lua included, as
/// INFO commandstats counts them), server CPU, the scripts' own CPU, bytes in and out, and the per-command breakdown.</summary>
/// <param name="RoundTripsPerOp">Commands the client sent per operation (the client's count; else every command counted).</param>
/// <param name="CommandsPerOp">Commands Redis ran per operation, those inside scripts included.</param>
/// <param name="ServerCpuUsPerOp">used_cpu_user + used_cpu_sys per operation: the commands, Lua, and the sockets.</param>
/// <param name="ScriptCallsPerOp">EVALSHA / EVAL calls per operation.</param>
/// <param name="ScriptUsPerCall">INFO commandstats usec per EVALSHA / EVAL call: the script's time inside Redis,
/// commands included, sockets and parsing not (0 when no script ran).</param>
/// <param name="NetInBytesPerOp">Bytes Redis read per operation.</param>
/// <param name="NetOutBytesPerOp">Bytes Redis wrote per operation.</param>
/// <param name="ServerReadsPerOp">Socket reads Redis did per operation.</param>
/// <param name="Breakdown">Calls per operation by command.</param>
/// <param name="UsecPerCall">INFO commandstats usec per call by command (a script's own figure holds the commands it ran).</param>
internal sealed record RedisCost(
    double RoundTripsPerOp,
    double CommandsPerOp,
    double ServerCpuUsPerOp,
    double ScriptCallsPerOp,
    double ScriptUsPerCall,
    double NetInBytesPerOp,
    double NetOutBytesPerOp,
    double ServerReadsPerOp,
    IReadOnlyList<KeyValuePair<string, double>> Breakdown,
    IReadOnlyDictionary<string, double> UsecPerCall)
{
    /// <summary>"hgetall 1.00, evalsha 0.02" — the commands that ran at least once per 1,000 operations.</summary>
    public string BreakdownText => string.Join(", ", Breakdown.Where(b => b.Value >= 0.001).Select(b => $"{b.Key} {b.Value:0.###}"));

    /// <summary>How often a command ran per operation (0 when it did not).</summary>
    public double PerOp(string command) => Breakdown.FirstOrDefault(b => b.Key == command).Value;
}

/// <summary>Counters of every master at one moment: calls and usec by command (INFO commandstats), CPU, network.</summary>
internal sealed record StatsSnapshot(IReadOnlyDictionary<string, (long Calls, long Usec)> Commands, double CpuSeconds, long NetIn, long NetOut, long Reads);

/// <summary>One slow log entry (SLOWLOG GET): when, how long, the command, and the connection's address and name.</summary>
internal sealed record SlowEntry(string Server, DateTimeOffset At, TimeSpan Duration, string Command, string ClientAddress, string ClientName)
{
    /// <summary>Sent by the harness: its probe connection, or redis-benchmark (whose connections have no name).</summary>
    public bool ByHarness => ClientName == RedisProbe.ClientName || (!InsideScript && ClientName.Length == 0);

    public bool IsScript => Command.StartsWith("EVAL", StringComparison.OrdinalIgnoreCase);

    /// <summary>A command a script ran (Redis logs those under the script's own client, whose address is "?:0").</summary>
    public bool InsideScript => ClientAddress.StartsWith('?');

    /// <summary>A plain command a client sent: every one the clients and redis-benchmark send outside scripts is O(1)
    /// on a small key, so one of those over the threshold is Redis waiting for a core, not work.</summary>
    public bool IsPlain => ClientName != RedisProbe.ClientName && !InsideScript && !IsScript;

    public string What => InsideScript ? "inside a script" : IsScript ? "script" : ByHarness ? "the harness" : "plain command";

    /// <summary>Who sent it: the connection's name; redis-benchmark's connections have none.</summary>
    public string Who => InsideScript ? "(script)" : ClientName.Length > 0 ? ClientName : "(unnamed: redis-benchmark)";
}

/// <summary>A kind of key found by a census: how many, their MEMORY USAGE, and their TTLs.</summary>
internal sealed record KeyGroup(string Kind, string Example, long Count, double Bytes, long WithoutTtl, TimeSpan? LongestTtl);

/// <summary>
/// An admin connection to the private Redis (every master of a cluster) that the harness alone uses: resets and reads
/// INFO around each phase, measures memory, reads the slow log, flushes between the two sides. The clients under test
/// never see it; it names itself <see cref="ClientName"/> so its own commands can be told apart in the slow log.
/// </summary>
internal sealed class RedisProbe : IAsyncDisposable
{
    public const string ClientName = "benchmark-probe";

    /// <summary>Commands of the harness and of client housekeeping (handshakes, heartbeats, topology), not of the
    /// workload. TIME and MEMORY are not among them: the library's scripts run them (the clock, the data size check),
    /// and the harness reads memory only between measured runs.</summary>
    private static readonly string[] Housekeeping =
    [
        "info", "config", "ping", "echo", "cluster", "client", "flushall", "flushdb", "script", "subscribe",
        "psubscribe", "unsubscribe", "punsubscribe", "command", "hello", "select", "auth", "readonly", "slowlog", "dbsize",
        "latency", "ssubscribe", "sunsubscribe",
    ];

    private readonly ConnectionMultiplexer _redis;

    private RedisProbe(ConnectionMultiplexer redis, IServer[] masters)
    {
        _redis = redis;
        Masters = masters;
    }

    public IReadOnlyList<IServer> Masters { get; }

    public IDatabase Db => _redis.GetDatabase();

    public static async Task<RedisProbe> ConnectAsync(string configuration)
    {
        var options = ConfigurationOptions.Parse(configuration);
        options.AllowAdmin = true;
        options.ClientName = ClientName;
        var redis = await ConnectionMultiplexer.ConnectAsync(options);
        var masters = redis.GetEndPoints().Select(e => redis.GetServer(e)).Where(s => !s.IsReplica).ToArray();
        return new RedisProbe(redis, masters);
    }

    public async Task<string> VersionAsync() => Parse(await Masters[0].InfoRawAsync("server")).GetValueOrDefault("redis_version", "?");

    public async Task<string> ConfigAsync(string name)
    {
        var values = await Masters[0].ConfigGetAsync(name);
        return values.Length > 0 ? values[0].Value : "?";
    }

    public async Task ConfigSetAsync(string name, string value)
    {
        foreach (var server in Masters)
        {
            await server.ConfigSetAsync(name, value);
        }
    }

    public async Task ResetStatisticsAsync()
    {
        foreach (var server in Masters)
        {
            await server.ConfigResetStatisticsAsync();
        }
    }

    public async Task<StatsSnapshot> SnapshotAsync()
    {
        var commands = new Dictionary<string, (long Calls, long Usec)>(StringComparer.Ordinal);
        double cpu = 0;
        long netIn = 0, netOut = 0, reads = 0;
        foreach (var server in Masters)
        {
            foreach (var (key, value) in Parse(await server.InfoRawAsync("commandstats")))
            {
                // cmdstat_hgetall:calls=12,usec=34,usec_per_call=2.83,...
                var name = key["cmdstat_".Length..];
                long calls = 0, usec = 0;
                foreach (var part in value.Split(','))
                {
                    if (part.StartsWith("calls=", StringComparison.Ordinal))
                    {
                        calls = long.Parse(part["calls=".Length..], CultureInfo.InvariantCulture);
                    }
                    else if (part.StartsWith("usec=", StringComparison.Ordinal))
                    {
                        usec = long.Parse(part["usec=".Length..], CultureInfo.InvariantCulture);
                    }
                }
                var before = commands.GetValueOrDefault(name);
                commands[name] = (before.Calls + calls, before.Usec + usec);
            }
            var cpuInfo = Parse(await server.InfoRawAsync("cpu"));
            cpu += Double(cpuInfo["used_cpu_sys"]) + Double(cpuInfo["used_cpu_user"]);
            var stats = Parse(await server.InfoRawAsync("stats"));
            netIn += long.Parse(stats["total_net_input_bytes"], CultureInfo.InvariantCulture);
            netOut += long.Parse(stats["total_net_output_bytes"], CultureInfo.InvariantCulture);
            reads += long.Parse(stats["total_reads_processed"], CultureInfo.InvariantCulture);
        }
        return new StatsSnapshot(commands, cpu, netIn, netOut, reads);
    }

    /// <summary>The cost per operation between two snapshots. <paramref name="clientRoundTrips"/> is what the client
    /// counted; without it every top-level command counted is a round trip (true for a client that runs no scripts).</summary>
    public static RedisCost CostBetween(StatsSnapshot before, StatsSnapshot after, long operations, long? clientRoundTrips)
    {
        var ops = Math.Max(1, operations);
        var delta = after.Commands
            .Where(c => !IsHousekeeping(c.Key))
            .Select(c =>
            {
                var b = before.Commands.GetValueOrDefault(c.Key);
                return (Name: c.Key, Calls: c.Value.Calls - b.Calls, Usec: c.Value.Usec - b.Usec);
            })
            .Where(c => c.Calls > 0)
            .ToList();
        var breakdown = delta.OrderByDescending(c => c.Calls).Select(c => KeyValuePair.Create(c.Name, (double)c.Calls / ops)).ToList();
        var scripts = delta.Where(c => c.Name is "evalsha" or "eval" or "evalsha_ro" or "eval_ro").ToList();
        var scriptCalls = scripts.Sum(c => c.Calls);
        var commands = breakdown.Sum(b => b.Value);
        return new RedisCost(
            clientRoundTrips is { } trips ? (double)trips / ops : commands,
            commands,
            (after.CpuSeconds - before.CpuSeconds) * 1e6 / ops,
            (double)scriptCalls / ops,
            scriptCalls > 0 ? (double)scripts.Sum(c => c.Usec) / scriptCalls : 0,
            (double)(after.NetIn - before.NetIn) / ops,
            (double)(after.NetOut - before.NetOut) / ops,
            (double)(after.Reads - before.Reads) / ops,
            breakdown,
            delta.ToDictionary(c => c.Name, c => (double)c.Usec / c.Calls, StringComparer.Ordinal));
    }

    public async Task<long> UsedMemoryAsync()
    {
        long total = 0;
        foreach (var server in Masters)
        {
            total += long.Parse(Parse(await server.InfoRawAsync("memory"))["used_memory"], CultureInfo.InvariantCulture);
        }
        return total;
    }

    public async Task<long> KeyCountAsync()
    {
        long total = 0;
        foreach (var server in Masters)
        {
            total += await server.DatabaseSizeAsync();
        }
        return total;
    }

    /// <summary>FLUSHALL ASYNC on every master (a synchronous flush of a large keyspace would itself land in the slow
    /// log), then waits until the background free is done, so the next memory baseline is not inflated by it.</summary>
    public async Task FlushAsync()
    {
        foreach (var server in Masters)
        {
            await server.ExecuteAsync("FLUSHALL", "ASYNC");
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            var pending = 0L;
            foreach (var server in Masters)
            {
                pending += long.Parse(Parse(await server.InfoRawAsync("memory")).GetValueOrDefault("lazyfree_pending_objects", "0"), CultureInfo.InvariantCulture);
            }
            if (pending == 0)
            {
                break;
            }
            await Task.Delay(20);
        }
        await Task.Delay(200);
    }

    /// <summary>MEMORY USAGE key SAMPLES 0 (every element counted), or null when the key does not exist.</summary>
    public async Task<long?> MemoryUsageAsync(RedisKey key)
    {
        var result = await Db.ExecuteAsync("MEMORY", "USAGE", key, "SAMPLES", "0");
        return result.IsNull ? null : (long)result;
    }

    /// <summary>OBJECT ENCODING of a key (listpack, hashtable, skiplist, ...), or "none" when it does not exist.</summary>
    public async Task<string> EncodingAsync(RedisKey key)
    {
        var result = await Db.ExecuteAsync("OBJECT", "ENCODING", key);
        return result.IsNull ? "none" : (string)result!;
    }

    /// <summary>Every key of every master, grouped by <paramref name="kindOf"/>: count, MEMORY USAGE (every key up
    /// to 5,000 of a kind, a sample scaled up beyond), and TTLs (how many have none, the longest).</summary>
    public async Task<IReadOnlyList<KeyGroup>> CensusAsync(Func<string, string> kindOf)
    {
        var byKind = new Dictionary<string, List<RedisKey>>(StringComparer.Ordinal);
        foreach (var server in Masters)
        {
            await foreach (var key in server.KeysAsync(pageSize: 1000))
            {
                var kind = kindOf((string)key!);
                if (!byKind.TryGetValue(kind, out var list))
                {
                    byKind[kind] = list = [];
                }
                list.Add(key);
            }
        }
        var groups = new List<KeyGroup>();
        foreach (var (kind, keys) in byKind.OrderByDescending(k => k.Value.Count))
        {
            var sample = keys.Count <= 5000 ? keys : keys.Where((_, i) => i % (keys.Count / 5000 + 1) == 0).ToList();
            var sizes = await Task.WhenAll(sample.Select(k => Db.ExecuteAsync("MEMORY", "USAGE", k, "SAMPLES", "0")));
            var ttls = await Task.WhenAll(sample.Select(k => Db.KeyTimeToLiveAsync(k)));
            var bytes = sizes.Where(s => !s.IsNull).Sum(s => (double)(long)s) * keys.Count / Math.Max(1, sample.Count);
            var withoutTtl = (long)Math.Round((double)ttls.Count(t => t is null) * keys.Count / Math.Max(1, sample.Count));
            var longest = ttls.Where(t => t is not null).Select(t => t!.Value).DefaultIfEmpty().Max();
            groups.Add(new KeyGroup(kind, (string)keys[0]!, keys.Count, bytes, withoutTtl, ttls.Any(t => t is not null) ? longest : null));
        }
        return groups;
    }

    /// <summary>Loads a script on every master; returns its SHA1 (hex).</summary>
    public async Task<string> ScriptLoadAsync(string script)
    {
        byte[] sha = [];
        foreach (var server in Masters)
        {
            sha = await server.ScriptLoadAsync(script);
        }
        return Convert.ToHexStringLower(sha);
    }

    /// <summary>Empties the slow log of every master and lets it keep <paramref name="capacity"/> entries, so that a
    /// run's entries are all still there when it is read at the end.</summary>
    public async Task ResetSlowlogAsync(int capacity = 4096)
    {
        foreach (var server in Masters)
        {
            await server.ConfigSetAsync("slowlog-max-len", capacity.ToString(CultureInfo.InvariantCulture));
            await server.SlowlogResetAsync();
        }
    }

    /// <summary>Every entry in the slow logs (commands over slowlog-log-slower-than), oldest first, with the name of
    /// the connection that sent it (SLOWLOG GET answers it since Redis 4).</summary>
    public async Task<IReadOnlyList<SlowEntry>> SlowlogAsync(int capacity = 4096)
    {
        var entries = new List<SlowEntry>();
        foreach (var server in Masters)
        {
            var reply = await server.ExecuteAsync("SLOWLOG", "GET", capacity.ToString(CultureInfo.InvariantCulture));
            foreach (var item in (RedisResult[])reply!)
            {
                var fields = (RedisResult[])item!;
                var at = DateTimeOffset.FromUnixTimeSeconds((long)fields[1]);
                var duration = TimeSpan.FromTicks((long)fields[2] * 10);
                var args = ((RedisResult[])fields[3]!).Select(a => (string?)a ?? string.Empty).ToArray();
                var command = string.Join(' ', args.Take(4).Select(a => a.Length > 48 ? a[..48] + "…" : a)) + (args.Length > 4 ? $" … ({args.Length} args)" : string.Empty);
                var address = fields.Length > 4 ? (string?)fields[4] ?? string.Empty : string.Empty;
                var client = fields.Length > 5 ? (string?)fields[5] ?? string.Empty : string.Empty;
                entries.Add(new SlowEntry(server.EndPoint.ToString() ?? "?", at, duration, command, address, client));
            }
        }
        return entries.OrderBy(e => e.At).ToList();
    }

    /// <summary>used_memory once the keyspace's incremental rehashing (activerehashing, every cron tick) has had a
    /// second to finish, so a table caught mid-resize is not counted twice.</summary>
    public async Task<long> SettledUsedMemoryAsync()
    {
        await Task.Delay(1000);
        return await UsedMemoryAsync();
    }

    private static bool IsHousekeeping(string command)
    {
        var head = command.Split('|')[0];
        return Housekeeping.Contains(head, StringComparer.Ordinal);
    }

    internal static Dictionary<string, string> Parse(string? info)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in (info ?? string.Empty).Split('\n'))
        {
            var text = line.TrimEnd('\r');
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && !text.StartsWith('#'))
            {
                values[text[..colon]] = text[(colon + 1)..];
            }
        }
        return values;
    }

    private static double Double(string text) => double.Parse(text, CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        await _redis.CloseAsync();
        _redis.Dispose();
    }
}
