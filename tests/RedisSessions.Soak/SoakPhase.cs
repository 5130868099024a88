using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using RedisSessions.LocalRedis;
using StackExchange.Redis;

namespace RedisSessions.Soak;

/// <summary>One phase of the soak: a private redis-server, two web managers running the load, two handling managers
/// running the callbacks, samples every <see cref="SoakSettings.SampleEvery"/> during the load and the drain.</summary>
internal sealed class SoakPhase(SoakSettings settings, TimeSpan? notice)
{
    private const string Prefix = "soak";
    private readonly ConcurrentDictionary<string, int> _callbacks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<int, ConcurrentBag<long>> _latencyByMinute = new();
    private readonly ConcurrentDictionary<string, byte> _created = new(StringComparer.Ordinal);
    private readonly Stopwatch _clock = new();
    private long _logins, _logouts, _reads, _errors, _skipped, _expiredCallbacks;
    private string? _firstError;
    private RedisClockEstimate? _redisClock;

    public string Name => notice is { } n ? $"TerminationNoticePeriod {n.TotalMinutes:0.##} min" : "TerminationNoticePeriod default (5 min)";

    public List<Sample> Samples { get; } = [];

    public long BaselineMemory { get; private set; }

    public long PeakMemory => Samples.Count == 0 ? 0 : Samples.Max(s => s.UsedMemory);

    public Sample? Final { get; private set; }

    public long StreamBytes { get; private set; }

    public TimeSpan DrainTook { get; private set; }

    public bool MemoryReturned { get; private set; }

    public long Logins => Interlocked.Read(ref _logins);

    public long Logouts => Interlocked.Read(ref _logouts);

    public long Reads => Interlocked.Read(ref _reads);

    public long Errors => Interlocked.Read(ref _errors);

    public long Skipped => Interlocked.Read(ref _skipped);

    public string? FirstError => _firstError;

    public long ExpiredCallbacks => Interlocked.Read(ref _expiredCallbacks);

    public int Lost => _created.Keys.Count(id => !_callbacks.ContainsKey(id));

    public int Duplicated => _callbacks.Values.Count(c => c > 1);

    public int Callbacks => _callbacks.Values.Sum();

    public IReadOnlyList<(int Minute, int Count, long P50, long P99, long Max)> Latency =>
        _latencyByMinute.OrderBy(p => p.Key).Select(p =>
        {
            var sorted = p.Value.Order().ToArray();
            return (p.Key + 1, sorted.Length, Percentile(sorted, 50), Percentile(sorted, 99), sorted[^1]);
        }).ToList();

    public TimeSpan LoadTook { get; private set; }

    public async Task RunAsync(CancellationToken cancel)
    {
        // A redis-server process, not a container: the soak is a measuring program of its own (bash .ci/soak), which
        // needs no Docker engine, and its memory and latency figures carry no port forwarding of Docker's.
        await using var server = await RedisServerProcess.StartAsync();
        using var admin = await ConnectionMultiplexer.ConnectAsync(server.Endpoint + ",allowAdmin=true");
        using var stopClock = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        _redisClock = new RedisClockEstimate(admin);
        var clockTask = _redisClock.RunAsync(stopClock.Token);
        var configuration = server.Endpoint + ",abortConnect=false";
        await using var web1 = await SessionManager.ConnectAsync(configuration, Options("web-1", autoCleanup: false));
        await using var web2 = await SessionManager.ConnectAsync(configuration, Options("web-2", autoCleanup: false));
        await using var handler1 = await SessionManager.ConnectAsync(configuration, Options("handler-1", autoCleanup: true));
        await using var handler2 = await SessionManager.ConnectAsync(configuration, Options("handler-2", autoCleanup: true));
        handler1.RegisterTerminationCallback(OnTerminated);
        handler2.RegisterTerminationCallback(OnTerminated);

        // Warm up (scripts loaded, listeners subscribed), then the baseline.
        for (var i = 0; i < 20; i++)
        {
            var session = await web1.CreateSessionAsync("warmup-" + i, cancellationToken: cancel);
            await web1.TerminateSessionAsync(session.SessionId, cancel);
        }
        await WaitAsync(async () => (await web1.GetStatsAsync()).PendingTerminations == 0, TimeSpan.FromSeconds(30), cancel);
        _callbacks.Clear();
        BaselineMemory = await UsedMemoryAsync(admin);
        Console.WriteLine($"[{Name}] baseline used_memory {BaselineMemory:N0} B; load for {settings.Minutes} min at {settings.LoginsPerSecond} logins/s");

        _clock.Start();
        using var stopLoad = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        stopLoad.CancelAfter(TimeSpan.FromMinutes(settings.Minutes));
        var sampling = SampleAsync(admin, web1, "load", stopLoad.Token);
        await LoadAsync([web1, web2], stopLoad.Token);
        LoadTook = _clock.Elapsed;
        await sampling;

        // Drain: every session ends (expiry) and is handled; then Redis's memory goes back (or the notice period
        // passes: the notices of the last terminations live that long).
        var drainStarted = _clock.Elapsed;
        var limit = settings.InactiveTimeout + (notice ?? TimeSpan.FromMinutes(5)) + TimeSpan.FromMinutes(2);
        using var stopDrain = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        stopDrain.CancelAfter(limit);
        var lastSample = _clock.Elapsed;
        while (!stopDrain.IsCancellationRequested)
        {
            var stats = await web1.GetStatsAsync(CancellationToken.None);
            StreamBytes = await StreamBytesAsync(admin);
            var used = await UsedMemoryAsync(admin);
            var ended = stats.TotalActiveSessions == 0 && stats.OverdueSessions == 0 && stats.PendingTerminations == 0 && Lost == 0;
            MemoryReturned = ended && used - StreamBytes <= BaselineMemory * 1.05;
            if (_clock.Elapsed - lastSample >= settings.SampleEvery || MemoryReturned)
            {
                Samples.Add(await SampleOnceAsync(admin, web1, "drain"));
                lastSample = _clock.Elapsed;
            }
            if (MemoryReturned)
            {
                break;
            }
            try
            {
                await Task.Delay(1000, stopDrain.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        DrainTook = _clock.Elapsed - drainStarted;
        Final = await SampleOnceAsync(admin, web1, "end");
        Samples.Add(Final);
        StreamBytes = await StreamBytesAsync(admin);
        await stopClock.CancelAsync();
        await clockTask;
        Console.WriteLine($"[{Name}] done: {Logins} logins, {Callbacks} callbacks, lost {Lost}, duplicated {Duplicated}, memory {(MemoryReturned ? "back" : "NOT back")} after {DrainTook.TotalSeconds:0} s");
    }

    private Task OnTerminated(SessionTermination termination, CancellationToken cancellationToken)
    {
        _callbacks.AddOrUpdate(termination.Session.SessionId, 1, (_, n) => n + 1);
        if (termination.Reason == TerminationReason.Expired && _redisClock is { } clock)
        {
            var latency = clock.NowMs - termination.Session.ExpiresAt.ToUnixTimeMilliseconds();
            var minute = (int)(_clock.Elapsed.TotalMinutes);
            _latencyByMinute.GetOrAdd(minute, _ => []).Add(latency);
            Interlocked.Increment(ref _expiredCallbacks);
        }
        return Task.CompletedTask;
    }

    private async Task LoadAsync(SessionManager[] managers, CancellationToken stop)
    {
        using var inFlight = new SemaphoreSlim(512);
        using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        var running = new ConcurrentDictionary<Task, byte>();
        var owed = 0.0;
        var n = 0L;
        try
        {
            while (await tick.WaitForNextTickAsync(stop))
            {
                owed += settings.LoginsPerSecond / 10.0;
                for (; owed >= 1; owed--)
                {
                    if (!inFlight.Wait(0, CancellationToken.None))
                    {
                        Interlocked.Increment(ref _skipped);
                        continue;
                    }
                    var manager = managers[n % managers.Length];
                    var user = "user-" + (n++).ToString(CultureInfo.InvariantCulture);
                    var task = LifecycleAsync(manager, user);
                    running.TryAdd(task, 0);
                    _ = task.ContinueWith(t =>
                    {
                        running.TryRemove(t, out _);
                        inFlight.Release();
                    }, TaskScheduler.Default);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        await Task.WhenAll(running.Keys);
    }

    private async Task LifecycleAsync(SessionManager manager, string user)
    {
        try
        {
            var session = await manager.CreateSessionAsync(user, new Dictionary<string, string>
            {
                ["name"] = user,
                ["role"] = "member",
                ["cart"] = "3 items",
            });
            _created.TryAdd(session.SessionId, 0);
            Interlocked.Increment(ref _logins);
            for (var i = 0; i < 2; i++)
            {
                await manager.GetSessionAsync(session.SessionId);
                Interlocked.Increment(ref _reads);
            }
            if (Random.Shared.NextDouble() < settings.LogoutShare)
            {
                await manager.TerminateSessionAsync(session.SessionId);
                Interlocked.Increment(ref _logouts);
            }
        }
        catch (SessionException ex)
        {
            Interlocked.Increment(ref _errors);
            Interlocked.CompareExchange(ref _firstError, ex.Message, null);
        }
    }

    private async Task SampleAsync(ConnectionMultiplexer admin, SessionManager manager, string phase, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(settings.SampleEvery, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            var sample = await SampleOnceAsync(admin, manager, phase);
            Samples.Add(sample);
            Console.WriteLine($"[{Name}] {sample.At.TotalSeconds,5:0} s  used_memory {sample.UsedMemory,12:N0} B  live {sample.Live,6}  pending {sample.Pending,4}  logins {sample.Logins,8}  callbacks {sample.Callbacks,8}  errors {sample.Errors}");
        }
    }

    private async Task<Sample> SampleOnceAsync(ConnectionMultiplexer admin, SessionManager manager, string phase)
    {
        var stats = await manager.GetStatsAsync();
        var keys = await admin.GetServers()[0].DatabaseSizeAsync();
        return new Sample(phase, _clock.Elapsed, await UsedMemoryAsync(admin), keys, stats.TotalActiveSessions, stats.PendingTerminations, Logins, Callbacks, Errors);
    }

    private static async Task<long> UsedMemoryAsync(ConnectionMultiplexer admin)
    {
        var info = await admin.GetServers()[0].InfoRawAsync("memory") ?? string.Empty;
        var line = info.Split('\n').First(l => l.StartsWith("used_memory:", StringComparison.Ordinal));
        return long.Parse(line["used_memory:".Length..].Trim(), CultureInfo.InvariantCulture);
    }

    private static async Task<long> StreamBytesAsync(ConnectionMultiplexer admin)
    {
        var result = await admin.GetDatabase().ExecuteAsync("MEMORY", "USAGE", Prefix + ":events", "SAMPLES", "0");
        return result.IsNull ? 0 : (long)result;
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan limit, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > limit)
            {
                throw new TimeoutException("The warm-up's terminations were not handled within " + limit);
            }
            await Task.Delay(100, cancel);
        }
    }

    private SessionOptions Options(string node, bool autoCleanup)
    {
        var options = new SessionOptions
        {
            KeyPrefix = Prefix,
            NodeName = node,
            InactiveTimeout = settings.InactiveTimeout,
            EnableAutoCleanup = autoCleanup,
            MaxSessionsPerUser = 0,
        };
        if (notice is { } period)
        {
            options.TerminationNoticePeriod = period;
        }
        return options;
    }

    private static long Percentile(long[] sorted, int percentile) =>
        sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, Math.Max(0, (int)Math.Ceiling(percentile / 100.0 * sorted.Length) - 1))];
}

/// <summary>One sample: when (since the load started), Redis's used_memory and key count, the live sessions and
/// pending terminations, and the counters so far.</summary>
internal sealed record Sample(string Phase, TimeSpan At, long UsedMemory, long Keys, long Live, long Pending, long Logins, long Callbacks, long Errors);
