// A farm node for multi-process tests. Every command but create first prints "clock local=<ms> redis=<ms>": this
// process's DateTime.UtcNow and Redis's TIME read right after it (Unix ms), so a test can check that a node run under
// faketime really has a shifted clock. Usage:
//   create <redis> <prefix> <user> <count> <max> <evict|reject> <go-file> [ca=<file>]
//     waits until <go-file> exists (so every process starts at once), creates <count> sessions for <user>,
//     and prints one line per attempt: "created <sid>" or "rejected".
//   listen <redis> <prefix> <out-file> [name=value ...]
//     a listening process: a SessionManager with auto cleanup and one termination callback that appends
//     "<sid> <attempt> <expires-ms> <handled-ms> <reason> <node> <pid> <user> <data:n> <listener> <ended-ms>" to <out-file>
//     (written through at once, so a SIGKILL loses no recorded line; ended-ms is when the script ended the session, on
//     Redis's clock; handled-ms is on Redis's clock as this node measured it at start).
//     Prints "ready" when started; after a clean stop (SIGTERM) "max-in-flight <n>" (the most callbacks that were
//     running at once) and "stopped".
//     Options: claim=<ms> cleanup=<ms> grace=<ms> refresh=<ms> (0 = no deadline schedule) heartbeat=<ms> node=<name>
//     stream=<max events> configure-notifications=true block-after=<n> (callbacks after the n-th never finish and
//     print "blocked" once: a process stuck mid-callback, for crash tests) work=<ms> (each callback takes that long)
//     parallel=<n> (at most n callbacks do their work at once: a handler with a small pool towards its downstream)
//     starts=<file> (a line as each callback begins: session, attempt, Environment.TickCount64).
//   serve <redis> <prefix> <user> <count> [name=value ...]
//     a web-server-like node without callbacks: creates <count> sessions for <user> (printing "created <sid>" or
//     "rejected"), reads each back once (printing "live <sid>" or "gone <sid>"), prints "ready", and on SIGTERM shuts
//     the manager down (printing "stopped").
//     Options: timeout=<ms> max=<n> policy=reject|evict terminate-on-shutdown=true node=<name> cleanup=<ms> grace=<ms>
//   skewed-login <redis> <prefix> <user> <timeout-ms> <go-file>
//     with MaxSessionsPerUser 1 and RejectNew: logs <user> in ("created <sid> <expires-ms>"), tries a second login at
//     once ("second-while-live rejected|created"), waits until <go-file> exists (the test writes it once the first
//     session's time is up on Redis's clock), reads the first session ("read live|gone") and logs in again
//     ("second-after-expiry created <sid>|rejected").
//   churn <redis> <prefix> <out-file> <users> <seconds> [name=value ...]
//     web-server-like traffic for <seconds> over <users> (comma-separated): logins, reads, refreshes, data writes,
//     rotations and logouts at random, by a few concurrent loops. Appends to <out-file> "created <sid> <user>",
//     "rotated <old> <new>", "ended <sid>" (a logout that ended it), "failed <operation> <error>" (anything but an
//     answer), and prints "ready" once connected and "done <operations> <failures>" at the end.
//     Options: timeout=<ms> (default 4000) node=<name> loops=<n> (default 4) pause=<ms> (between operations of a
//     loop, default 2) seed=<n>
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using RedisSessions;
using StackExchange.Redis;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
if (args.Length == 0)
{
    Console.Error.WriteLine("usage: create|listen|serve|skewed-login|churn ... (see Program.cs)");
    return 2;
}

switch (args[0])
{
    case "create":
    {
        var options = new SessionOptions
        {
            KeyPrefix = args[2],
            MaxSessionsPerUser = int.Parse(args[5]),
            LimitPolicy = args[6] == "reject" ? SessionLimitPolicy.RejectNew : SessionLimitPolicy.EvictOldest,
            EnableAutoCleanup = false,
            // ca=<file>: the private CA of a Redis spoken to over TLS.
            TrustedCertificateAuthorityPath = args.Length > 8 && args[8].StartsWith("ca=", StringComparison.Ordinal) ? args[8][3..] : null,
        };
        await using var manager = await SessionManager.ConnectAsync(args[1], options);
        var goFile = args[7];
        while (!File.Exists(goFile))
        {
            await Task.Delay(5);
        }
        var count = int.Parse(args[4]);
        var tasks = Enumerable.Range(0, count).Select(async _ =>
        {
            try
            {
                var session = await manager.CreateSessionAsync(args[3]);
                return "created " + session.SessionId;
            }
            catch (SessionLimitExceededException)
            {
                return "rejected";
            }
        });
        foreach (var line in await Task.WhenAll(tasks))
        {
            Console.WriteLine(line);
        }
        return 0;
    }
    case "listen":
        return await Listen(args[1], args[2], args[3], Options(args.Skip(4)));
    case "serve":
        return await Serve(args[1], args[2], args[3], int.Parse(args[4]), Options(args.Skip(5)));
    case "skewed-login":
        return await SkewedLogin(args[1], args[2], args[3], int.Parse(args[4]), args[5]);
    case "churn":
        return await Churn(args[1], args[2], args[3], args[4].Split(',', StringSplitOptions.RemoveEmptyEntries), int.Parse(args[5]), Options(args.Skip(6)));
    default:
        Console.Error.WriteLine(JsonSerializer.Serialize(new { error = "unknown command", command = args[0] }));
        return 2;
}

static async Task<int> Listen(string redis, string prefix, string outFile, Dictionary<string, string> o)
{
    var options = new SessionOptions
    {
        KeyPrefix = prefix,
        EnableAutoCleanup = true,
        NodeName = o.GetValueOrDefault("node", $"listener-{Environment.ProcessId}"),
    };
    if (o.TryGetValue("claim", out var claim)) { options.TerminationClaimTimeout = TimeSpan.FromMilliseconds(int.Parse(claim)); }
    if (o.TryGetValue("cleanup", out var cleanup)) { options.CleanupInterval = TimeSpan.FromMilliseconds(int.Parse(cleanup)); }
    if (o.TryGetValue("grace", out var grace)) { options.ExpiredSessionGrace = TimeSpan.FromMilliseconds(long.Parse(grace)); }
    if (o.TryGetValue("refresh", out var refresh)) { options.DeadlineRefreshInterval = TimeSpan.FromMilliseconds(int.Parse(refresh)); }
    if (o.TryGetValue("heartbeat", out var heartbeat)) { options.HeartbeatInterval = TimeSpan.FromMilliseconds(int.Parse(heartbeat)); }
    if (o.TryGetValue("stream", out var stream)) { options.EventStreamMaxLength = int.Parse(stream); }
    if (o.TryGetValue("configure-notifications", out var configure)) { options.ConfigureKeyspaceNotifications = bool.Parse(configure); }
    var blockAfter = o.TryGetValue("block-after", out var block) ? int.Parse(block) : int.MaxValue;
    var work = TimeSpan.FromMilliseconds(o.TryGetValue("work", out var w) ? int.Parse(w) : 0);
    using var starts = o.TryGetValue("starts", out var startsPath) ? new LineFile(startsPath) : null;
    using var pool = new SemaphoreSlim(o.TryGetValue("parallel", out var p) ? int.Parse(p) : int.MaxValue);

    var offset = await PrintClockAsync(redis);
    // Auto cleanup starts in the constructor, before the callback below is registered: what a sweep ends meanwhile
    // waits unclaimed (announced on the pending channel) and is claimed as soon as the callback is there.
    await using var manager = await SessionManager.ConnectAsync(redis, options, new StderrLogger());
    var recorder = new CallbackFile(outFile, options.NodeName, offset);
    var handled = 0;
    var blocked = 0;
    var inFlight = 0;
    var maxInFlight = 0;
    var never = new TaskCompletionSource();
    using var registration = manager.RegisterTerminationCallback(async (t, ct) =>
    {
        var running = Interlocked.Increment(ref inFlight);
        for (var seen = Volatile.Read(ref maxInFlight); running > seen; seen = Volatile.Read(ref maxInFlight))
        {
            Interlocked.CompareExchange(ref maxInFlight, running, seen);
        }
        try
        {
            await HandleAsync(t, ct);
        }
        finally
        {
            Interlocked.Decrement(ref inFlight);
        }
    });

    async Task HandleAsync(SessionTermination t, CancellationToken ct)
    {
        // "starts=<file>": a line as each callback begins (session, attempt, monotonic ms since the process started),
        // so a test can tell what a process started before it was frozen from what it started after.
        starts?.Write($"{t.Session.SessionId} {t.Attempt} {Environment.TickCount64}");
        if (Interlocked.Increment(ref handled) > blockAfter)
        {
            if (Interlocked.Exchange(ref blocked, 1) == 0)
            {
                Console.WriteLine("blocked");
            }
            await never.Task.WaitAsync(ct);
        }
        if (work > TimeSpan.Zero)
        {
            await pool.WaitAsync(ct);
            try
            {
                await Task.Delay(work, ct);
            }
            finally
            {
                pool.Release();
            }
        }
        recorder.Write(t);
    }

    using var stop = new CancellationTokenSource();
    using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
    using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
    await WaitUntilListeningAsync(manager);
    Console.WriteLine("ready");
    try
    {
        await Task.Delay(Timeout.Infinite, stop.Token);
    }
    catch (OperationCanceledException)
    {
    }
    using var shutdownGrace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
    await manager.ShutdownAsync(shutdownGrace.Token);
    recorder.Dispose();
    Console.WriteLine($"max-in-flight {maxInFlight}");
    Console.WriteLine("stopped");
    return 0;
}

static async Task<int> Serve(string redis, string prefix, string user, int count, Dictionary<string, string> o)
{
    var options = new SessionOptions
    {
        KeyPrefix = prefix,
        EnableAutoCleanup = o.ContainsKey("cleanup"),
        NodeName = o.GetValueOrDefault("node", $"server-{Environment.ProcessId}"),
        TerminateOnShutdown = o.TryGetValue("terminate-on-shutdown", out var tos) && bool.Parse(tos),
        MaxSessionsPerUser = o.TryGetValue("max", out var max) ? int.Parse(max) : 0,
        LimitPolicy = o.GetValueOrDefault("policy") == "reject" ? SessionLimitPolicy.RejectNew : SessionLimitPolicy.EvictOldest,
    };
    if (o.TryGetValue("timeout", out var timeout)) { options.InactiveTimeout = TimeSpan.FromMilliseconds(int.Parse(timeout)); }
    if (o.TryGetValue("cleanup", out var cleanup)) { options.CleanupInterval = TimeSpan.FromMilliseconds(int.Parse(cleanup)); }
    if (o.TryGetValue("grace", out var grace)) { options.ExpiredSessionGrace = TimeSpan.FromMilliseconds(long.Parse(grace)); }
    await PrintClockAsync(redis);
    await using var manager = await SessionManager.ConnectAsync(redis, options);
    var created = new List<string>();
    for (var i = 0; i < count; i++)
    {
        try
        {
            var session = await manager.CreateSessionAsync(user, new Dictionary<string, string> { ["n"] = i.ToString() });
            created.Add(session.SessionId);
            Console.WriteLine("created " + session.SessionId);
        }
        catch (SessionLimitExceededException)
        {
            Console.WriteLine("rejected");
        }
    }
    foreach (var id in created)
    {
        Console.WriteLine((await manager.GetSessionAsync(id) is null ? "gone " : "live ") + id);
    }
    using var stop = new CancellationTokenSource();
    using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
    Console.WriteLine("ready");
    try
    {
        await Task.Delay(Timeout.Infinite, stop.Token);
    }
    catch (OperationCanceledException)
    {
    }
    await manager.ShutdownAsync();
    Console.WriteLine("stopped");
    return 0;
}

static async Task<int> SkewedLogin(string redis, string prefix, string user, int timeoutMs, string goFile)
{
    var options = new SessionOptions
    {
        KeyPrefix = prefix,
        EnableAutoCleanup = false,
        MaxSessionsPerUser = 1,
        LimitPolicy = SessionLimitPolicy.RejectNew,
        InactiveTimeout = TimeSpan.FromMilliseconds(timeoutMs),
        NodeName = $"skewed-{Environment.ProcessId}",
    };
    await PrintClockAsync(redis);
    await using var manager = await SessionManager.ConnectAsync(redis, options);
    var first = await manager.CreateSessionAsync(user);
    Console.WriteLine($"created {first.SessionId} {first.ExpiresAt.ToUnixTimeMilliseconds()}");
    Console.WriteLine("second-while-live " + await TryLoginAsync(manager, user));
    while (!File.Exists(goFile))
    {
        await Task.Delay(5);
    }
    Console.WriteLine("read " + (await manager.GetSessionAsync(first.SessionId) is null ? "gone" : "live"));
    Console.WriteLine("second-after-expiry " + await TryLoginAsync(manager, user));
    return 0;

    static async Task<string> TryLoginAsync(SessionManager manager, string user)
    {
        try
        {
            return "created " + (await manager.CreateSessionAsync(user)).SessionId;
        }
        catch (SessionLimitExceededException)
        {
            return "rejected";
        }
    }
}

static async Task<int> Churn(string redis, string prefix, string outFile, string[] users, int seconds, Dictionary<string, string> o)
{
    var options = new SessionOptions
    {
        KeyPrefix = prefix,
        EnableAutoCleanup = false,
        MaxSessionsPerUser = 0,
        InactiveTimeout = TimeSpan.FromMilliseconds(o.TryGetValue("timeout", out var timeout) ? int.Parse(timeout) : 4000),
        ActivityResolution = TimeSpan.Zero,
        NodeName = o.GetValueOrDefault("node", $"churn-{Environment.ProcessId}"),
    };
    var loops = o.TryGetValue("loops", out var l) ? int.Parse(l) : 4;
    var pause = TimeSpan.FromMilliseconds(o.TryGetValue("pause", out var ps) ? int.Parse(ps) : 2);
    var seed = o.TryGetValue("seed", out var s) ? int.Parse(s) : Environment.ProcessId;
    await PrintClockAsync(redis);
    await using var manager = await SessionManager.ConnectAsync(redis, options);
    using var output = new LineFile(outFile);
    // Each user's sessions this node believes live; one lock per user keeps a user's operations in order here.
    var live = users.ToDictionary(u => u, _ => new List<string>(), StringComparer.Ordinal);
    long operations = 0, failures = 0;
    Console.WriteLine("ready");
    var until = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, loops).Select(loop => Task.Run(async () =>
    {
        var random = new Random(seed * 31 + loop);
        while (until.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            var user = users[random.Next(users.Length)];
            var sessions = live[user];
            string? target;
            lock (sessions)
            {
                target = sessions.Count == 0 ? null : sessions[random.Next(sessions.Count)];
            }
            var roll = random.Next(100);
            var operation = target is null || roll < 20 ? "login" : roll < 50 ? "read" : roll < 65 ? "refresh" : roll < 80 ? "set-data" : roll < 92 ? "logout" : "rotate";
            Interlocked.Increment(ref operations);
            try
            {
                switch (operation)
                {
                    case "login":
                        var created = await manager.CreateSessionAsync(user, new Dictionary<string, string> { ["n"] = "0" });
                        output.Write($"created {created.SessionId} {user}");
                        Track(sessions, created.SessionId, add: true);
                        break;
                    case "read":
                        if (await manager.GetSessionAsync(target!) is null)
                        {
                            Track(sessions, target!, add: false);
                        }
                        break;
                    case "refresh":
                        if (!await manager.UpdateSessionActivityAsync(target!))
                        {
                            Track(sessions, target!, add: false);
                        }
                        break;
                    case "set-data":
                        if (!await manager.SetSessionDataAsync(target!, new Dictionary<string, string> { ["n"] = random.Next(1000).ToString() }))
                        {
                            Track(sessions, target!, add: false);
                        }
                        break;
                    case "logout":
                        if (await manager.TerminateSessionAsync(target!))
                        {
                            output.Write($"ended {target}");
                        }
                        Track(sessions, target!, add: false);
                        break;
                    case "rotate":
                        var rotated = await manager.RotateSessionIdAsync(target!);
                        output.Write($"rotated {target} {rotated.SessionId}");
                        Track(sessions, target!, add: false);
                        Track(sessions, rotated.SessionId, add: true);
                        break;
                }
            }
            catch (SessionException ex) when (ex is not SessionStoreUnavailableException && operation == "rotate")
            {
                Track(sessions, target!, add: false); // it ended meanwhile: not a failure
            }
            catch (Exception ex)
            {
                Interlocked.Increment(ref failures);
                output.Write($"failed {operation} {ex.GetType().Name}: {(ex.InnerException ?? ex).Message.ReplaceLineEndings(" ")}");
            }
            await Task.Delay(pause);
        }
    }))).ConfigureAwait(false);
    Console.WriteLine($"done {operations} {failures}");
    return 0;

    static void Track(List<string> sessions, string sessionId, bool add)
    {
        lock (sessions)
        {
            if (add)
            {
                sessions.Add(sessionId);
            }
            else
            {
                sessions.Remove(sessionId);
            }
        }
    }
}

// Prints this process's clock and Redis's, read one right after the other; returns the difference (local - Redis, ms).
static async Task<long> PrintClockAsync(string redis)
{
    var configuration = ConfigurationOptions.Parse(redis);
    configuration.AbortOnConnectFail = false;
    using var connection = await ConnectionMultiplexer.ConnectAsync(configuration);
    var local = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    var parts = (RedisResult[])(await connection.GetDatabase().ExecuteAsync("TIME"))!;
    var redisNow = (long)parts[0] * 1000 + (long)parts[1] / 1000;
    Console.WriteLine($"clock local={local} redis={redisNow}");
    return local - redisNow;
}

// "ready" means the background loop has run once: subscriptions made, first sweep started.
static async Task WaitUntilListeningAsync(SessionManager manager)
{
    var clock = Stopwatch.StartNew();
    while (!manager.AutoCleanupRunning && clock.Elapsed < TimeSpan.FromSeconds(30))
    {
        await Task.Delay(10);
    }
}

static Dictionary<string, string> Options(IEnumerable<string> pairs) =>
    pairs.Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "true", StringComparer.Ordinal);

/// <summary>A file written one whole line per write(2): what returned is in the file even if the process dies next.</summary>
internal sealed class LineFile : IDisposable
{
    private readonly FileStream _stream;
    private readonly object _gate = new();

    public LineFile(string path) => _stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, bufferSize: 1);

    public void Write(string line)
    {
        var bytes = Encoding.UTF8.GetBytes(line + "\n");
        lock (_gate)
        {
            _stream.Write(bytes);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _stream.Dispose();
        }
    }
}

/// <summary>The callback lines of one node (format in the usage above). The handling time is this node's clock less
/// the offset it measured against Redis's at start: Redis's clock, whatever this node's says.</summary>
internal sealed class CallbackFile(string path, string listener, long clockOffsetMs) : IDisposable
{
    private readonly LineFile _file = new(path);

    public void Write(SessionTermination t) =>
        _file.Write(string.Join(' ', t.Session.SessionId, t.Attempt, t.Session.ExpiresAt.ToUnixTimeMilliseconds(),
            DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - clockOffsetMs, TerminationReasonNames.ToWire(t.Reason), t.Session.Node,
            Environment.ProcessId, t.Session.UserId, t.Session.GetData("n") ?? "-", listener, t.TerminatedAt.ToUnixTimeMilliseconds()));

    public void Dispose() => _file.Dispose();
}

/// <summary>Warnings, errors and the listener's own information lines to standard error, one line each, so tests
/// can read them (per-session lines would drown the rest).</summary>
internal sealed class StderrLogger : ILogger<SessionManager>
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (logLevel < LogLevel.Warning && eventId.Id < 100)
        {
            return;
        }
        var error = exception is null ? "" : " | " + exception.GetType().Name + ": " + exception.Message;
        Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {eventId.Name}: {formatter(state, exception)}{error}");
    }
}
