using System.Globalization;
using StackExchange.Redis;

namespace RedisSessions.Benchmarks;

/// <summary>What Redis did for one phase, per operation: round trips, commands (those run inside Lua included, as
/// INFO commandstats counts them), server CPU, bytes in and out, and the per-command breakdown.</summary>
internal sealed record RedisCost(
    double RoundTripsPerOp,
    double CommandsPerOp,
    double ServerCpuUsPerOp,
    double NetInBytesPerOp,
    double NetOutBytesPerOp,
    double ServerReadsPerOp,
    IReadOnlyList<KeyValuePair<string, double>> Breakdown)
{
    /// <summary>"hgetall 1.00, evalsha 0.02" — the commands that ran at least once per 1,000 operations.</summary>
    public string BreakdownText => string.Join(", ", Breakdown.Where(b => b.Value >= 0.001).Select(b => $"{b.Key} {b.Value:0.##}"));

    /// <summary>How often a command ran per operation (0 when it did not).</summary>
    public double PerOp(string command) => Breakdown.FirstOrDefault(b => b.Key == command).Value;
}

/// <summary>Counters of every master at one moment.</summary>
internal sealed record StatsSnapshot(IReadOnlyDictionary<string, long> Calls, double CpuSeconds, long NetIn, long NetOut, long Reads);

/// <summary>
/// An admin connection to the private Redis (every master of a cluster) that the harness alone uses: resets and reads
/// INFO around each phase, measures memory, flushes between the two sides. The clients under test never see it.
/// </summary>
internal sealed class RedisProbe : IAsyncDisposable
{
    /// <summary>Commands of the harness and of client housekeeping (handshakes, heartbeats), not of the workload.</summary>
    private static readonly string[] Housekeeping =
    [
        "info", "config", "ping", "echo", "cluster", "client", "memory", "flushall", "flushdb", "script", "subscribe",
        "psubscribe", "unsubscribe", "punsubscribe", "command", "hello", "select", "auth", "readonly", "slowlog", "dbsize",
        "time", "latency",
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
        options.ClientName = "benchmark-probe";
        var redis = await ConnectionMultiplexer.ConnectAsync(options);
        var masters = redis.GetEndPoints().Select(e => redis.GetServer(e)).ToArray();
        return new RedisProbe(redis, masters);
    }

    public async Task<string> VersionAsync() => Parse(await Masters[0].InfoRawAsync("server")).GetValueOrDefault("redis_version", "?");

    public async Task ResetStatisticsAsync()
    {
        foreach (var server in Masters)
        {
            await server.ConfigResetStatisticsAsync();
        }
    }

    public async Task<StatsSnapshot> SnapshotAsync()
    {
        var calls = new Dictionary<string, long>(StringComparer.Ordinal);
        double cpu = 0;
        long netIn = 0, netOut = 0, reads = 0;
        foreach (var server in Masters)
        {
            foreach (var (key, value) in Parse(await server.InfoRawAsync("commandstats")))
            {
                // cmdstat_hgetall:calls=12,usec=34,...
                var name = key["cmdstat_".Length..];
                var count = long.Parse(value.Split(',')[0]["calls=".Length..], CultureInfo.InvariantCulture);
                calls[name] = calls.GetValueOrDefault(name) + count;
            }
            var cpuInfo = Parse(await server.InfoRawAsync("cpu"));
            cpu += Double(cpuInfo["used_cpu_sys"]) + Double(cpuInfo["used_cpu_user"]);
            var stats = Parse(await server.InfoRawAsync("stats"));
            netIn += long.Parse(stats["total_net_input_bytes"], CultureInfo.InvariantCulture);
            netOut += long.Parse(stats["total_net_output_bytes"], CultureInfo.InvariantCulture);
            reads += long.Parse(stats["total_reads_processed"], CultureInfo.InvariantCulture);
        }
        return new StatsSnapshot(calls, cpu, netIn, netOut, reads);
    }

    /// <summary>The cost per operation between two snapshots. <paramref name="clientRoundTrips"/> is what the client
    /// counted; without it every command counted is a round trip (true for a client that runs no scripts).</summary>
    public static RedisCost CostBetween(StatsSnapshot before, StatsSnapshot after, long operations, long? clientRoundTrips)
    {
        var ops = Math.Max(1, operations);
        var breakdown = after.Calls
            .Where(c => !IsHousekeeping(c.Key))
            .Select(c => KeyValuePair.Create(c.Key, (double)(c.Value - before.Calls.GetValueOrDefault(c.Key)) / ops))
            .Where(c => c.Value > 0)
            .OrderByDescending(c => c.Value)
            .ToList();
        var commands = breakdown.Sum(b => b.Value);
        return new RedisCost(
            clientRoundTrips is { } trips ? (double)trips / ops : commands,
            commands,
            (after.CpuSeconds - before.CpuSeconds) * 1e6 / ops,
            (double)(after.NetIn - before.NetIn) / ops,
            (double)(after.NetOut - before.NetOut) / ops,
            (double)(after.Reads - before.Reads) / ops,
            breakdown);
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

    public async Task FlushAsync()
    {
        foreach (var server in Masters)
        {
            await server.FlushAllDatabasesAsync();
        }
        // Let jemalloc settle so the next memory baseline is not inflated by pages still being returned.
        await Task.Delay(300);
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

    /// <summary>The workload's entries in the slow logs (commands over slowlog-log-slower-than, 10 ms in
    /// deploy/redis.conf), by command: "none", or e.g. "evalsha 3 (max 14 ms)". The harness' own commands are left out.</summary>
    public async Task<string> SlowlogSummaryAsync()
    {
        var entries = new List<(string Command, TimeSpan Duration)>();
        foreach (var server in Masters)
        {
            foreach (var trace in await server.SlowlogGetAsync(128))
            {
                var command = trace.Arguments.Length > 0 ? ((string?)trace.Arguments[0] ?? "?").ToLowerInvariant() : "?";
                if (!IsHousekeeping(command))
                {
                    entries.Add((command, trace.Duration));
                }
            }
        }
        return entries.Count == 0
            ? "none"
            : string.Join(", ", entries.GroupBy(e => e.Command).OrderByDescending(g => g.Count())
                .Select(g => $"{g.Key} {g.Count()} (max {g.Max(e => e.Duration).TotalMilliseconds:0} ms)"));
    }

    /// <summary>used_memory once the keyspace's incremental rehashing (activerehashing, every cron tick) has had a
    /// second to finish, so a table caught mid-resize is not counted twice.</summary>
    public async Task<long> SettledUsedMemoryAsync()
    {
        await Task.Delay(1000);
        return await UsedMemoryAsync();
    }

    public async Task ResetSlowlogAsync()
    {
        foreach (var server in Masters)
        {
            await server.SlowlogResetAsync();
        }
    }

    private static bool IsHousekeeping(string command)
    {
        var head = command.Split('|')[0];
        return Housekeeping.Contains(head, StringComparer.Ordinal);
    }

    private static Dictionary<string, string> Parse(string? info)
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
