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
        await ClientDelMissingAsync(concurrency, each);
        await ClientHashGetAllAsync(concurrency, each);
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

    /// <summary>MEMORY USAGE of each key kind: the sample session's hash; the per-bucket keys summed over every bucket
    /// and shared out over the sessions (with the sample bucket's encoding: listpack while small, hashtable / skiplist
    /// past hash-max-listpack-entries / zset-max-listpack-entries); the node registry, one key in all, shared out too.</summary>
    public async Task<IReadOnlyList<KeyKind>> KeyKindsAsync(RedisProbe probe)
    {
        var sid = _ids[0];
        var bucket = sid[..3];
        var n = Math.Max(1, _ids.Length);
        var kinds = new List<KeyKind>
        {
            new("session hash", (string)_keys.Session(bucket, sid)!, await probe.MemoryUsageAsync(_keys.Session(bucket, sid)) ?? 0,
                $"1 per session ({await probe.EncodingAsync(_keys.Session(bucket, sid))})"),
        };
        double users = 0, expiry = 0, dueAndCount = 0;
        int usersKeys = 0, expiryKeys = 0, dueKeys = 0, countKeys = 0;
        foreach (var b in SessionKeys.AllBuckets())
        {
            if (await probe.MemoryUsageAsync(_keys.Users(b)) is { } u)
            {
                users += u;
                usersKeys++;
            }
            if (await probe.MemoryUsageAsync(_keys.Expiry(b)) is { } e)
            {
                expiry += e;
                expiryKeys++;
            }
            if (await probe.MemoryUsageAsync(_keys.Due(b)) is { } d)
            {
                dueAndCount += d;
                dueKeys++;
            }
            if (await probe.MemoryUsageAsync(_keys.Count(b)) is { } c)
            {
                dueAndCount += c;
                countKeys++;
            }
        }
        kinds.Add(new KeyKind("users hash (per bucket: user → session ids)", (string)_keys.Users(bucket)!, users / n,
            $"{usersKeys:N0} buckets ({await probe.EncodingAsync(_keys.Users(bucket))}), shared out per session"));
        kinds.Add(new KeyKind("expiry zset (per bucket: user → lower-bound expiry)", (string)_keys.Expiry(bucket)!, expiry / n,
            $"{expiryKeys:N0} buckets ({await probe.EncodingAsync(_keys.Expiry(bucket))}), shared out per session"));
        kinds.Add(new KeyKind("due string + count int (per bucket)", $"{(string)_keys.Due(bucket)!}, {(string)_keys.Count(bucket)!}", dueAndCount / n,
            $"{dueKeys:N0} + {countKeys:N0} keys, shared out per session"));
        // The harness flushes Redis between phases while the manager keeps its node id cached, so the registry may be
        // gone here: register the node again (after used_memory was read) to show what the key weighs.
        var nodesNote = string.Empty;
        if (await probe.MemoryUsageAsync(_keys.Nodes) is null)
        {
            await SessionScripts.RegisterNode.EvaluateAsync(probe.Db, [_keys.Nodes], [_manager.Options.NodeName, (long)_manager.Options.InactiveTimeout.TotalMilliseconds]);
            nodesNote = "; re-registered after the harness' flush, not in the used_memory delta";
        }
        var nodes = await probe.MemoryUsageAsync(_keys.Nodes) ?? 0;
        kinds.Add(new KeyKind("node registry hash", (string)_keys.Nodes!, (double)nodes / n, $"1 key in all ({nodes:N0} B), shared out per session{nodesNote}"));
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
    /// redis-benchmark: the request cycle's HGETALL, and the touch and set-data scripts with the arguments
    /// SessionManager.TouchCoreAsync / ChangeDataAsync pass (KEYS: the session hash only). With fixed arguments the touch
    /// script slides the expiry on its first call only and then finds nothing to write (HMGET alone); the set-data
    /// script writes its field every call and slides as rarely as in production (ActivityResolution).</summary>
    public async Task<CeilingCommands> CeilingCommandsAsync(RedisProbe probe)
    {
        var session = await _manager.CreateSessionAsync("ceiling-user", NewData());
        var sid = session.SessionId;
        var bucket = sid[..3];
        var options = _manager.Options;
        static string Ms(TimeSpan span) => ((long)span.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var idle = Ms(options.InactiveTimeout);
        var retention = Ms(options.TerminatedSessionRetention);
        var sessionKey = (string)_keys.Session(bucket, sid)!;
        var channel = (string)_keys.PendingChannel!;
        var touch = await probe.ScriptLoadAsync(SessionScripts.Touch.Text);
        var setData = await probe.ScriptLoadAsync(SessionScripts.SetData.Text);
        // ARGV as TouchCoreAsync: sid, now, idle, retention, resolution, node, claim_until (0: no callback), channel.
        var refreshDueResolution = Ms(_refreshDue.Options.EffectiveActivityResolution);
        // ARGV as ChangeDataAsync: the same eight, then max data bytes, 'set', key, value.
        var resolution = Ms(options.EffectiveActivityResolution);
        return new CeilingCommands(
            ["HGETALL", sessionKey],
            ["EVALSHA", touch, "1", sessionKey, sid, now, idle, retention, refreshDueResolution, options.NodeName, "0", channel],
            ["EVALSHA", setData, "1", sessionKey, sid, now, idle, retention, resolution, options.NodeName, "0", channel,
             options.MaxDataBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), "set", "theme", "light"]);
    }

    /// <summary>The client ceiling: StackExchange.Redis on its own (the connection the library opened, PreserveAsyncOrder
    /// off), the same loops and operations in flight, one plain command per operation and no RedisSessions code: a DEL
    /// of a key that does not exist (in the session's bucket, so it spreads over a cluster as the sessions do).</summary>
    public Task<LoadResult> ClientDelMissingAsync(int concurrency, TimeSpan duration)
    {
        var db = _redis.GetDatabase();
        var keys = _ids.Select(id => (RedisKey)(_keys.BucketBase(id[..3]) + "missing:" + id)).ToArray();
        return LoadRunner.RunForAsync(concurrency, keys.Length, duration, async (i, _) =>
        {
            if (await db.KeyDeleteAsync(keys[i]))
            {
                throw new InvalidOperationException($"{keys[i]} existed.");
            }
        });
    }

    /// <summary>The client ceiling with the request cycle's one command: a plain HGETALL of the same session hashes,
    /// without the library's parsing, checks and bookkeeping.</summary>
    public Task<LoadResult> ClientHashGetAllAsync(int concurrency, TimeSpan duration)
    {
        var db = _redis.GetDatabase();
        var keys = _ids.Select(id => _keys.Session(id[..3], id)).ToArray();
        return LoadRunner.RunForAsync(concurrency, keys.Length, duration, async (i, _) =>
        {
            if ((await db.HashGetAllAsync(keys[i])).Length == 0)
            {
                throw new InvalidOperationException($"{keys[i]} not found.");
            }
        });
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
