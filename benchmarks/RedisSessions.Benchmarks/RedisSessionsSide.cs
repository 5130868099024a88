using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using StackExchange.Redis;

namespace RedisSessions.Benchmarks;

/// <summary>The sessions one side created: index i is session i (its id and user), shared by the RedisSessions sides.</summary>
internal sealed class SessionTable(int capacity)
{
    public string[] Ids { get; } = new string[capacity];

    public string[] Users { get; } = new string[capacity];

    public Session?[] Sessions { get; } = new Session?[capacity];

    public int Capacity => Ids.Length;
}

/// <summary>
/// A RedisSessions side: one <see cref="SessionManager"/> with the library's defaults over one connection — the one
/// <see cref="SessionManager.ConnectAsync(string, SessionOptions, Microsoft.Extensions.Logging.ILogger{SessionManager}?, TimeProvider?)"/>
/// opens, or one the caller opened itself (<c>new SessionManager(multiplexer, options)</c>). Two departures from the
/// defaults, both stated in the report: the background work is off (it costs Redis per process and per
/// <c>CleanupInterval</c>, not per request, and would blur the per-phase counts; the report measures it on its own)
/// and no termination callback is registered (a web server that leaves terminations to a worker: a callback adds a
/// claim, an acknowledgement and an event-stream append to every logout, measured in the memory phase).
/// </summary>
internal sealed class RedisSessionsSide : IAsyncDisposable
{
    /// <summary>The name the caller's own multiplexer gives itself (CLIENT SETNAME), for the slow log.</summary>
    public const string CallerClientName = "benchmark-app";

    private readonly IConnectionMultiplexer? _ownedByCaller;

    private RedisSessionsSide(string name, SessionManager manager, IConnectionMultiplexer redis, IConnectionMultiplexer? ownedByCaller, SessionTable table)
    {
        Name = name;
        Manager = manager;
        Redis = redis;
        _ownedByCaller = ownedByCaller;
        Table = table;
    }

    public string Name { get; }

    public SessionManager Manager { get; }

    /// <summary>The connection the manager works over.</summary>
    public IConnectionMultiplexer Redis { get; }

    public SessionTable Table { get; }

    /// <summary>Operations the client sent (round trips), as StackExchange.Redis counts them.</summary>
    public long RoundTrips => Redis.OperationCount;

    /// <summary>The options every measured manager uses: the defaults, background work off.</summary>
    public static SessionOptions MeasuredOptions(string node) => new() { EnableAutoCleanup = false, NodeName = node };

    /// <summary>A manager over the connection the library opens itself (<c>SessionManager.ConnectAsync</c>).</summary>
    public static async Task<RedisSessionsSide> ConnectAsync(string name, string configuration, SessionOptions options, SessionTable table)
    {
        var manager = await SessionManager.ConnectAsync(configuration, options);
        var redis = manager.Connection.Current ?? throw new InvalidOperationException("SessionManager.ConnectAsync returned without a connection.");
        return new RedisSessionsSide(name, manager, redis, ownedByCaller: null, table);
    }

    /// <summary>A manager over a multiplexer the caller opened itself, as an application that already has one does.</summary>
    public static async Task<RedisSessionsSide> OverCallerMultiplexerAsync(string name, string configuration, SessionOptions options, SessionTable table)
    {
        var config = ConfigurationOptions.Parse(configuration);
        config.ClientName = CallerClientName;
        var redis = await ConnectionMultiplexer.ConnectAsync(config);
        return new RedisSessionsSide(name, new SessionManager(redis, options), redis, redis, table);
    }

    /// <summary>Another manager (other options) over this side's connection, with <paramref name="table"/> (default:
    /// this side's sessions).</summary>
    public RedisSessionsSide With(string name, SessionOptions options, SessionTable? table = null) =>
        new(name, new SessionManager(Redis, options), Redis, ownedByCaller: null, table ?? Table);

    public static IReadOnlyDictionary<string, string> NewData() => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["role"] = "member",
        ["theme"] = "dark",
        ["csrf"] = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16)),
    };

    /// <summary>JIT, script cache and Redis's clock: every operation once round, on sessions of its own (then ended).</summary>
    public async Task WarmUpAsync(int concurrency, TimeSpan each)
    {
        var count = Math.Min(Table.Capacity, Math.Max(concurrency * 20, 2000));
        await CreateAsync(concurrency, 0, count, i => "warm-" + i.ToString(CultureInfo.InvariantCulture));
        await GetAsync(concurrency, 0, count, each);
        await TouchAsync(concurrency, 0, count, each);
        await SetDataAsync(concurrency, 0, count, each);
        await ClientHashGetAllAsync(concurrency, 0, count, each);
        await TerminateAsync(concurrency, 0, count);
    }

    /// <summary>Login: <c>CreateSessionAsync</c> (the per-user limit enforced in Redis) for session i of user
    /// <paramref name="userOf"/>(i): by default one new user per session.</summary>
    public Task<LoadResult> CreateAsync(int concurrency, int from, int count, Func<int, string>? userOf = null) =>
        LoadRunner.RunOnceEachAsync(concurrency, from, count, async (i, _) =>
        {
            var user = userOf?.Invoke(i) ?? "user-" + i.ToString(CultureInfo.InvariantCulture);
            var session = await Manager.CreateSessionAsync(user, NewData());
            Table.Users[i] = user;
            Table.Ids[i] = session.SessionId;
            Table.Sessions[i] = session;
        });

    /// <summary>The request cycle: <c>GetSessionAsync</c>, which loads the session for use and slides its expiry.</summary>
    public Task<LoadResult> GetAsync(int concurrency, int from, int count, TimeSpan duration) =>
        LoadRunner.RunForAsync(concurrency, from, count, duration, async (i, _) =>
        {
            if (await Manager.GetSessionAsync(Table.Ids[i]) is null)
            {
                throw new InvalidOperationException($"Session {Table.Ids[i]} not found.");
            }
        });

    /// <summary>Reads every session once, untimed: records the activity of those whose refresh is due, so the timed
    /// request cycle that follows measures the common request (no refresh due) on either connection, whichever runs
    /// first in a pair. The reads that do find a refresh due are measured on their own (request cycle, refresh due).</summary>
    public Task<LoadResult> SettleAsync(int concurrency, int from, int count) =>
        LoadRunner.RunOnceEachAsync(concurrency, from, count, async (i, _) => await Manager.GetSessionAsync(Table.Ids[i]));

    /// <summary>Refresh only: <c>UpdateSessionActivityAsync</c> by id.</summary>
    public Task<LoadResult> TouchAsync(int concurrency, int from, int count, TimeSpan duration) =>
        LoadRunner.RunForAsync(concurrency, from, count, duration, async (i, _) =>
        {
            if (!await Manager.UpdateSessionActivityAsync(Table.Ids[i]))
            {
                throw new InvalidOperationException($"Session {Table.Ids[i]} not found.");
            }
        });

    /// <summary>Write one field by id: <c>SetSessionDataAsync</c> (the peer's equivalent is store.get + store.set).</summary>
    public Task<LoadResult> SetDataAsync(int concurrency, int from, int count, TimeSpan duration) =>
        LoadRunner.RunForAsync(concurrency, from, count, duration, async (i, iteration) =>
        {
            var values = new Dictionary<string, string>(1, StringComparer.Ordinal) { ["theme"] = iteration % 2 == 0 ? "light" : "dark" };
            if (!await Manager.SetSessionDataAsync(Table.Ids[i], values))
            {
                throw new InvalidOperationException($"Session {Table.Ids[i]} not found.");
            }
        });

    /// <summary>Refresh through the session object (user known: no lookup), for the scaling phases.</summary>
    public Task<LoadResult> TouchSessionsAsync(int concurrency, int from, int count) =>
        LoadRunner.RunOnceEachAsync(concurrency, from, count, async (i, _) =>
        {
            if (!await Table.Sessions[i]!.UpdateActivityAsync())
            {
                throw new InvalidOperationException($"Session {Table.Ids[i]} not found.");
            }
        });

    /// <summary>Logout through the session object (user known: no lookup), for the scaling phases.</summary>
    public Task<LoadResult> TerminateSessionsAsync(int concurrency, int from, int count) =>
        LoadRunner.RunOnceEachAsync(concurrency, from, count, async (i, _) =>
        {
            if (!await Table.Sessions[i]!.TerminateAsync())
            {
                throw new InvalidOperationException($"Session {Table.Ids[i]} was already gone.");
            }
        });

    /// <summary>Logout by id: <c>TerminateSessionAsync</c>.</summary>
    public Task<LoadResult> TerminateAsync(int concurrency, int from, int count) =>
        LoadRunner.RunOnceEachAsync(concurrency, from, count, async (i, _) =>
        {
            if (!await Manager.TerminateSessionAsync(Table.Ids[i]))
            {
                throw new InvalidOperationException($"Session {Table.Ids[i]} was already gone.");
            }
        });

    /// <summary>The client ceiling: StackExchange.Redis on its own over this side's connection, the same loops, one
    /// plain HGETALL of the same session hashes per operation, no RedisSessions code (no parsing, no checks).</summary>
    public Task<LoadResult> ClientHashGetAllAsync(int concurrency, int from, int count, TimeSpan duration)
    {
        var db = Redis.GetDatabase();
        var keys = Manager.Scripts.Keys;
        return LoadRunner.RunForAsync(concurrency, from, count, duration, async (i, _) =>
        {
            var id = Table.Ids[i];
            if ((await db.HashGetAllAsync(keys.Session(id[..3], id))).Length == 0)
            {
                throw new InvalidOperationException($"Session {id} not found.");
            }
        });
    }

    public async ValueTask DisposeAsync()
    {
        await Manager.DisposeAsync();
        if (_ownedByCaller is not null)
        {
            await _ownedByCaller.CloseAsync();
            _ownedByCaller.Dispose();
        }
    }
}
