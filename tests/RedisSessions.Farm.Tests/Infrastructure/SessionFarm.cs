using System.Diagnostics;
using RedisSessions.LocalRedis;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace RedisSessions.Farm.Tests.Infrastructure;

/// <summary>
/// One scenario's farm: a key prefix, a work directory for the listeners' callback files, the processes started (all
/// stopped at the end), and a session manager in the test process that creates sessions the way a web server does
/// (no callbacks, no background work: it only writes).
/// </summary>
public sealed class SessionFarm : IAsyncDisposable
{
    private readonly List<FarmProcess> _processes = [];
    private readonly ITestOutputHelper _output;
    private ConnectionMultiplexer? _redis;

    public SessionFarm(string redisConfiguration, ITestOutputHelper output, string prefix = "farm")
    {
        Configuration = redisConfiguration;
        Prefix = prefix;
        _output = output;
        Directory = Path.Combine(Path.GetTempPath(), "redis-sessions-farm-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Configuration { get; }

    public string Prefix { get; }

    public string Directory { get; }

    /// <summary>Every process this farm started.</summary>
    public IReadOnlyList<FarmProcess> Processes => _processes;

    public IConnectionMultiplexer Redis => _redis ?? throw new InvalidOperationException("Call ConnectAsync first.");

    public IDatabase Db => Redis.GetDatabase();

    public IEnumerable<string> CallbackFiles => System.IO.Directory.EnumerateFiles(Directory, "callbacks-*.txt");

    public async Task<SessionFarm> ConnectAsync()
    {
        var options = ConfigurationOptions.Parse(Configuration);
        options.AbortOnConnectFail = false;
        _redis = await ConnectionMultiplexer.ConnectAsync(options);
        return this;
    }

    /// <summary>Starts a listener node that records its callbacks in its own file, and waits until it runs.</summary>
    public Task<FarmProcess> StartListenerAsync(string name, params string[] options) => StartListenerCoreAsync(name, clockShift: null, options);

    /// <summary>Starts a listener node whose wall clock is shifted by <paramref name="clockShift"/> (faketime's syntax,
    /// e.g. <c>+45s</c>), and waits until it runs.</summary>
    public Task<FarmProcess> StartSkewedListenerAsync(string name, string clockShift, params string[] options) => StartListenerCoreAsync(name, clockShift, options);

    private async Task<FarmProcess> StartListenerCoreAsync(string name, string? clockShift, string[] options)
    {
        var file = Path.Combine(Directory, $"callbacks-{name}.txt");
        string[] arguments = ["listen", Configuration, Prefix, file, $"node={name}", .. options];
        var node = clockShift is null ? FarmProcess.StartNode(name, arguments) : FarmProcess.StartSkewedNode(name, clockShift, arguments);
        _processes.Add(node);
        await node.WaitForOutputAsync("ready", TimeSpan.FromSeconds(60));
        return node;
    }

    public FarmProcess StartNode(string name, params string[] arguments)
    {
        var node = FarmProcess.StartNode(name, arguments);
        _processes.Add(node);
        return node;
    }

    /// <summary>Starts a test node whose wall clock is shifted by <paramref name="clockShift"/> (faketime's syntax).</summary>
    public FarmProcess StartSkewedNode(string name, string clockShift, params string[] arguments)
    {
        var node = FarmProcess.StartSkewedNode(name, clockShift, arguments);
        _processes.Add(node);
        return node;
    }

    /// <summary>A file of this farm's work directory (for a node's output or a go signal).</summary>
    public string PathOf(string name) => Path.Combine(Directory, name);

    public FarmProcess StartWorker(string name, IDictionary<string, string>? environment = null, params string[] arguments)
    {
        var variables = new Dictionary<string, string>
        {
            ["RedisSessions__Configuration"] = Configuration,
            ["RedisSessions__KeyPrefix"] = Prefix,
            ["RedisSessions__NodeName"] = name,
            ["RedisSessions__EventStreamMaxLength"] = "50000",
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            variables[key] = value;
        }
        var worker = FarmProcess.StartWorker(name, variables, arguments);
        _processes.Add(worker);
        return worker;
    }

    /// <summary>Creates <paramref name="count"/> sessions, one per user, with <paramref name="timeout"/> of inactivity.</summary>
    public async Task<IReadOnlyDictionary<string, DateTimeOffset>> CreateSessionsAsync(int count, TimeSpan timeout, string node = "web-1", string userPrefix = "user-", bool quiet = false)
    {
        var options = new SessionOptions
        {
            KeyPrefix = Prefix,
            InactiveTimeout = timeout,
            EnableAutoCleanup = false,
            NodeName = node,
            MaxSessionsPerUser = 0,
        };
        var manager = new SessionManager(Redis, options);
        var created = new System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset>();
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, ct) =>
        {
            var session = await manager.CreateSessionAsync($"{userPrefix}{i}", new Dictionary<string, string> { ["n"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) }, ct);
            created[session.SessionId] = session.ExpiresAt;
        });
        if (!quiet)
        {
            _output.WriteLine($"created {count} sessions in {clock.ElapsedMilliseconds} ms");
        }
        return created;
    }

    /// <summary>Farm-wide figures from the tags' indexes (no keyspace scan).</summary>
    public async Task<SessionStats> StatsAsync()
    {
        var manager = new SessionManager(Redis, new SessionOptions { KeyPrefix = Prefix, EnableAutoCleanup = false });
        return await manager.GetStatsAsync();
    }

    /// <summary>True when nothing can be delivered any more: no session left in the tags' indexes, no pending termination.</summary>
    public async Task<bool> AllSettledAsync()
    {
        try
        {
            var stats = await StatsAsync();
            return stats.TotalActiveSessions == 0 && stats.OverdueSessions == 0 && stats.PendingTerminations == 0;
        }
        catch (SessionStoreUnavailableException)
        {
            return false;
        }
    }

    public async Task<long> StreamLengthAsync() => (long)await Db.ExecuteAsync("XLEN", Prefix + ":events");

    /// <summary>The termination stream's entries as field maps (XRANGE - +).</summary>
    public async Task<IReadOnlyList<Dictionary<string, string>>> ReadStreamAsync()
    {
        var result = (RedisResult[])(await Db.ExecuteAsync("XRANGE", Prefix + ":events", "-", "+"))!;
        var entries = new List<Dictionary<string, string>>(result.Length);
        foreach (var entry in result)
        {
            var parts = (RedisResult[])entry!;
            var fields = (RedisResult[])parts[1]!;
            var map = new Dictionary<string, string>(StringComparer.Ordinal) { ["id"] = (string)parts[0]! };
            for (var i = 0; i + 1 < fields.Length; i += 2)
            {
                map[(string)fields[i]!] = (string)fields[i + 1]!;
            }
            entries.Add(map);
        }
        return entries;
    }

    /// <summary>Stops every process still running with SIGTERM and checks each exits cleanly (code 0).</summary>
    public async Task StopAllAsync()
    {
        var running = _processes.Where(p => !p.HasExited).ToList();
        foreach (var process in running)
        {
            process.Terminate();
        }
        foreach (var process in running)
        {
            var code = await process.WaitForExitAsync(TimeSpan.FromSeconds(45));
            if (code != 0)
            {
                throw new InvalidOperationException($"{process.Name} exited with code {code} after SIGTERM. {process.Describe()}");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }
        _redis?.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
