using System.Buffers.Text;
using System.Security.Cryptography;
using RedisSessions.Internal;
using StackExchange.Redis;

namespace RedisSessions.Benchmarks;

/// <summary>
/// The RedisSessions side: a <see cref="SessionManager"/> with the library's defaults over the connection the library
/// itself opens (<c>RedisConnector</c>, as <c>SessionManager.ConnectAsync</c> and <c>AddRedisSessions</c> do). Two
/// departures, both in the peer's favour or neutral: the background sweep is off (it costs 1,024 small scripts per
/// <c>CleanupInterval</c>, not per request, and would blur the per-phase command counts) and no termination callback is
/// registered (a callback adds an acknowledgement and an event-stream append to every logout).
/// </summary>
internal sealed class RedisSessionsSide : IAsyncDisposable
{
    private readonly IConnectionMultiplexer _redis;
    private readonly SessionManager _manager;
    private readonly SessionManager _refreshDue;
    private readonly SessionKeys _keys;
    private string[] _users = [];
    private string[] _ids = [];
    private Session[] _sessions = [];

    private RedisSessionsSide(IConnectionMultiplexer redis, SessionOptions options)
    {
        _redis = redis;
        _manager = new SessionManager(redis, options);
        // Every read finds its refresh due: what a request costs when the session's last recorded activity is older
        // than ActivityResolution (by default 1% of InactiveTimeout, 18 s of 30 min).
        var refreshDue = options.Clone();
        refreshDue.ActivityResolution = TimeSpan.FromMilliseconds(1);
        _refreshDue = new SessionManager(redis, refreshDue);
        _keys = new SessionKeys(options.KeyPrefix);
    }

    public static async Task<RedisSessionsSide> ConnectAsync(string configuration)
    {
        var redis = await RedisConnector.ConnectAsync(configuration);
        return new RedisSessionsSide(redis, new SessionOptions { EnableAutoCleanup = false });
    }

    public SessionOptions Options => _manager.Options;

    /// <summary>Operations the client sent (round trips), as StackExchange.Redis counts them.</summary>
    public long RoundTrips => _redis.OperationCount;

    public string SampleSessionId => _ids[0];

    public static IReadOnlyDictionary<string, string> NewData() => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["role"] = "member",
        ["theme"] = "dark",
        ["csrf"] = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16)),
    };

    public async Task WarmUpAsync(int concurrency, TimeSpan each)
    {
        var count = Math.Max(concurrency * 20, 2000);
        await CreateAsync(concurrency, count, "warm-");
        await GetAsync(concurrency, each);
        await GetRefreshDueAsync(concurrency, each);
        await TouchAsync(concurrency, each);
        await SetDataAsync(concurrency, each);
        await TerminateAsync(concurrency);
    }

    public Task<LoadResult> CreateAsync(int concurrency, int count, string userPrefix = "user-")
    {
        _users = new string[count];
        _ids = new string[count];
        _sessions = new Session[count];
        return LoadRunner.RunOnceEachAsync(concurrency, count, async (i, _) =>
        {
            var user = userPrefix + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var session = await _manager.CreateSessionAsync(user, NewData());
            _users[i] = user;
            _ids[i] = session.SessionId;
            _sessions[i] = session;
        });
    }

    public Task<LoadResult> GetAsync(int concurrency, TimeSpan duration) => GetWithAsync(_manager, concurrency, duration);

    public Task<LoadResult> GetRefreshDueAsync(int concurrency, TimeSpan duration) => GetWithAsync(_refreshDue, concurrency, duration);

    private Task<LoadResult> GetWithAsync(SessionManager manager, int concurrency, TimeSpan duration) =>
        LoadRunner.RunForAsync(concurrency, _ids.Length, duration, async (i, _) =>
        {
            if (await manager.GetSessionAsync(_ids[i]) is null)
            {
                throw new InvalidOperationException($"Session {_ids[i]} not found.");
            }
        });

    public Task<LoadResult> TouchAsync(int concurrency, TimeSpan duration) =>
        LoadRunner.RunForAsync(concurrency, _ids.Length, duration, async (i, _) =>
        {
            if (!await _manager.UpdateSessionActivityAsync(_ids[i]))
            {
                throw new InvalidOperationException($"Session {_ids[i]} not found.");
            }
        });

    public Task<LoadResult> SetDataAsync(int concurrency, TimeSpan duration) =>
        LoadRunner.RunForAsync(concurrency, _ids.Length, duration, (i, iteration) =>
            _sessions[i].SetDataAsync("theme", iteration % 2 == 0 ? "light" : "dark"));

    public Task<LoadResult> TerminateAsync(int concurrency) =>
        LoadRunner.RunOnceEachAsync(concurrency, _ids.Length, async (i, _) =>
        {
            if (!await _manager.TerminateSessionAsync(_ids[i]))
            {
                throw new InvalidOperationException($"Session {_ids[i]} was already gone.");
            }
        });

    /// <summary>MEMORY USAGE of each key kind, for the sample session and, for the per-bucket keys, summed over every
    /// bucket and shared out over the sessions.</summary>
    public async Task<IReadOnlyList<KeyKind>> KeyKindsAsync(RedisProbe probe)
    {
        var sid = _ids[0];
        var bucket = sid[..3];
        var kinds = new List<KeyKind>
        {
            new("session hash", (string)_keys.Session(bucket, sid)!, await probe.MemoryUsageAsync(_keys.Session(bucket, sid)) ?? 0, "1 per session"),
            new("timer string", (string)_keys.Timer(bucket, sid)!, await probe.MemoryUsageAsync(_keys.Timer(bucket, sid)) ?? 0, "1 per session"),
            new("user index zset", (string)_keys.UserIndex(_users[0])!, await probe.MemoryUsageAsync(_keys.UserIndex(_users[0])) ?? 0, "1 per user (here 1 user per session)"),
        };
        double expiry = 0, users = 0;
        var expiryKeys = 0;
        foreach (var b in SessionKeys.AllBuckets())
        {
            if (await probe.MemoryUsageAsync(_keys.Expiry(b)) is { } e)
            {
                expiry += e;
                expiryKeys++;
            }
            users += await probe.MemoryUsageAsync(_keys.Users(b)) ?? 0;
        }
        var n = Math.Max(1, _ids.Length);
        kinds.Add(new KeyKind("expiry zset (per bucket)", (string)_keys.Expiry(bucket)!, expiry / n, $"{expiryKeys} buckets, shared out per session"));
        kinds.Add(new KeyKind("users counter (per bucket)", (string)_keys.Users(bucket)!, users / n, "1,024 buckets, shared out per session"));
        return kinds;
    }

    /// <summary>MEMORY USAGE of what a terminated session leaves behind (no callback registered: the snapshot waits
    /// TerminatedSessionRetention for a handler).</summary>
    public async Task<KeyKind> EndedSnapshotAsync(RedisProbe probe)
    {
        var sid = _ids[0];
        var key = _keys.Ended(sid[..3], sid);
        return new KeyKind("ended snapshot hash", (string)key!, await probe.MemoryUsageAsync(key) ?? 0, "1 per terminated session, kept for TerminatedSessionRetention (1 day)");
    }

    /// <summary>Creates one live session and names the keys and arguments the library's own commands use for it, for
    /// redis-benchmark.</summary>
    public async Task<CeilingCommands> CeilingCommandsAsync(RedisProbe probe)
    {
        var session = await _manager.CreateSessionAsync("ceiling-user", NewData());
        var sid = session.SessionId;
        var bucket = sid[..3];
        var options = _manager.Options;
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var retention = ((long)options.TerminatedSessionRetention.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var sessionKey = (string)_keys.Session(bucket, sid)!;
        var timerKey = (string)_keys.Timer(bucket, sid)!;
        var expiryKey = (string)_keys.Expiry(bucket)!;
        var channel = (string)_keys.PendingChannel!;
        var touch = await probe.ScriptLoadAsync(SessionScripts.Touch);
        var setData = await probe.ScriptLoadAsync(SessionScripts.SetData);
        return new CeilingCommands(
            ["HGETALL", sessionKey],
            ["EVALSHA", touch, "3", sessionKey, timerKey, expiryKey, sid, now, retention, "0", options.NodeName, "0", channel],
            ["EVALSHA", setData, "3", sessionKey, timerKey, expiryKey, sid, now, retention, options.NodeName, "0", channel,
             options.MaxDataBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), "set", "theme", "light"]);
    }

    /// <summary>Starts a manager with the library's full defaults (background sweep on) and one termination callback,
    /// as an application server runs it, lets its start-up sweep pass and returns it, idle, for the caller to measure
    /// what it asks of Redis by itself.</summary>
    public async Task<SessionManager> StartIdleProcessAsync()
    {
        var manager = new SessionManager(_redis, new SessionOptions { NodeName = "idle-" + Environment.ProcessId });
        manager.RegisterTerminationCallback((_, _) => Task.CompletedTask);
        await Task.Delay(TimeSpan.FromSeconds(2));
        return manager;
    }

    public async ValueTask DisposeAsync()
    {
        await _refreshDue.DisposeAsync();
        await _manager.DisposeAsync();
        await _redis.CloseAsync();
        _redis.Dispose();
    }
}

/// <summary>The commands behind RedisSessions' request cycle (fast path), a refresh (the touch script) and a data
/// write, with real keys and arguments.</summary>
internal sealed record CeilingCommands(string[] Get, string[] TouchScript, string[] SetDataScript);
