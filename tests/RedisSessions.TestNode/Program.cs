// A farm node for multi-process tests. Usage:
//   create <redis> <prefix> <user> <count> <max> <evict|reject> <go-file>
//     waits until <go-file> exists (so every process starts at once), creates <count> sessions for <user>,
//     and prints one line per attempt: "created <sid>" or "rejected".
//   listen <redis> <prefix> <out-file> [name=value ...]
//     a listening process: a SessionManager with auto cleanup and one termination callback that appends
//     "<sid> <attempt> <expires-ms> <handled-ms> <reason> <node> <pid> <user> <data:n> <listener>" to <out-file> (written through at
//     once, so a SIGKILL loses no recorded line). Prints "ready" when started, "stopped" after a clean stop (SIGTERM).
//     Options: claim=<ms> cleanup=<ms> refresh=<ms> (0 = no deadline schedule) heartbeat=<ms> node=<name>
//     stream=<max events> configure-notifications=true block-after=<n> (callbacks after the n-th never finish and
//     print "blocked" once: a process stuck mid-callback, for crash tests).
//   serve <redis> <prefix> <user> <count> [name=value ...]
//     a web-server-like node without callbacks: creates <count> sessions for <user> (printing "created <sid>" or
//     "rejected"), prints "ready", and on SIGTERM shuts the manager down (printing "stopped").
//     Options: timeout=<ms> max=<n> policy=reject|evict terminate-on-shutdown=true node=<name> cleanup=<ms>
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using RedisSessions;

if (args.Length == 0)
{
    Console.Error.WriteLine("usage: create|listen|serve ... (see Program.cs)");
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
    if (o.TryGetValue("refresh", out var refresh)) { options.DeadlineRefreshInterval = TimeSpan.FromMilliseconds(int.Parse(refresh)); }
    if (o.TryGetValue("heartbeat", out var heartbeat)) { options.HeartbeatInterval = TimeSpan.FromMilliseconds(int.Parse(heartbeat)); }
    if (o.TryGetValue("stream", out var stream)) { options.EventStreamMaxLength = int.Parse(stream); }
    if (o.TryGetValue("configure-notifications", out var configure)) { options.ConfigureKeyspaceNotifications = bool.Parse(configure); }
    var blockAfter = o.TryGetValue("block-after", out var block) ? int.Parse(block) : int.MaxValue;

    // Auto cleanup starts in the constructor, before the callback below is registered: what a sweep ends meanwhile
    // waits unclaimed (announced on the pending channel) and is claimed as soon as the callback is there.
    await using var manager = await SessionManager.ConnectAsync(redis, options, new StderrLogger());
    var output = new FileStream(outFile, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, bufferSize: 1);
    var gate = new object();
    var handled = 0;
    var blocked = 0;
    var never = new TaskCompletionSource();
    using var registration = manager.RegisterTerminationCallback(async (t, ct) =>
    {
        if (Interlocked.Increment(ref handled) > blockAfter)
        {
            if (Interlocked.Exchange(ref blocked, 1) == 0)
            {
                Console.WriteLine("blocked");
            }
            await never.Task.WaitAsync(ct);
        }
        var line = string.Join(' ', t.Session.SessionId, t.Attempt, t.Session.ExpiresAt.ToUnixTimeMilliseconds(),
            DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), TerminationReasonNames.ToWire(t.Reason), t.Session.Node,
            Environment.ProcessId, t.Session.UserId, t.Session.GetData("n") ?? "-", options.NodeName) + "\n";
        var bytes = Encoding.UTF8.GetBytes(line);
        lock (gate)
        {
            output.Write(bytes); // one write(2) per line: what returned is in the file even if the process dies next
        }
    });
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
    using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
    await manager.ShutdownAsync(grace.Token);
    lock (gate)
    {
        output.Dispose();
    }
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
    await using var manager = await SessionManager.ConnectAsync(redis, options);
    for (var i = 0; i < count; i++)
    {
        try
        {
            var session = await manager.CreateSessionAsync(user, new Dictionary<string, string> { ["n"] = i.ToString() });
            Console.WriteLine("created " + session.SessionId);
        }
        catch (SessionLimitExceededException)
        {
            Console.WriteLine("rejected");
        }
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
