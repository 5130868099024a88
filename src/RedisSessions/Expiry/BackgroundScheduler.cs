using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using RedisSessions.Keys;
using RedisSessions.Scripts;
using RedisSessions.Store;
using RedisSessions.Termination;

namespace RedisSessions.Expiry;

/// <summary>
/// The background half of a manager (<see cref="SessionOptions.EnableAutoCleanup"/>, or the hosted termination
/// listener): it decides when each tag is swept.
/// <list type="bullet">
/// <item>A full sweep at start and every <see cref="SessionOptions.CleanupInterval"/>: the authority, which finds
/// whatever the faster paths missed (listener down, pub/sub dropped, notifications off, a Redis restart).</item>
/// <item>Keyspace "expired" events of the tags' wake keys (<see cref="ExpiryHintListener"/>): a hint that a tag has
/// work.</item>
/// <item>In a process with termination callbacks: the deadline schedule (every <see cref="SessionOptions.DeadlineRefreshInterval"/>
/// it reads each tag's next expiry or lease deadline and sweeps the tag when it comes, so sessions end at their time
/// whatever Redis's expiry cycle does with wake keys), claims of what is announced on the pending channel, lease
/// renewal and the heartbeat.</item>
/// </list>
/// Tag sweeps run on a small pool of workers; a tag requested again while queued is swept once.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "StopAsync disposes the token source and the listener.")]
internal sealed partial class BackgroundScheduler
{
    private const int WorkerCount = 16;
    private static readonly TimeSpan RedisTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan ListenerInterval = TimeSpan.FromSeconds(10);

    private readonly RedisConnection _connection;
    private readonly ScriptContext _scripts;
    private readonly SessionOptions _options;
    private readonly RedisClock _clock;
    private readonly ILogger _logger;
    private readonly TagSweeper _sweeper;
    private readonly TerminationDispatcher _terminations;
    private readonly HeartbeatWriter _heartbeat;
    private readonly Channel<string> _requests = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = false, SingleWriter = false });
    private readonly ConcurrentDictionary<string, byte> _queued = new(StringComparer.Ordinal);
    private readonly DeadlineSchedule _schedule = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _wake = new(0);
    private ExpiryHintListener? _listener;
    private Task? _loop;
    private Task[] _workers = [];
    private Task _fullSweep = Task.CompletedTask;
    private Task _listening = Task.CompletedTask;
    private int _signalled;
    private int _fullSweepRequested;
    private long _lastRefreshOk;
    private int _stopped;

    public BackgroundScheduler(RedisConnection connection, ScriptContext scripts, SessionOptions options, RedisClock clock, ILogger logger,
        TagSweeper sweeper, TerminationDispatcher terminations)
    {
        _connection = connection;
        _scripts = scripts;
        _options = options;
        _clock = clock;
        _logger = logger;
        _sweeper = sweeper;
        _terminations = terminations;
        _heartbeat = new HeartbeatWriter(connection, scripts.Keys, options);
        _terminations.SlotFreed += RequestTag;
    }

    public bool IsRunning => _loop is { IsCompleted: false };

    /// <summary>The primaries whose expired events were seen to arrive (empty when the listener does not run).</summary>
    public IReadOnlyCollection<string> ListenedEndpoints => _listener?.Endpoints ?? [];

    private bool Handling => _terminations.HasCallbacks;

    private bool RefreshEnabled => _options.DeadlineRefreshInterval > TimeSpan.Zero;

    public void Start()
    {
        _workers = Enumerable.Range(0, WorkerCount).Select(_ => Task.Run(WorkAsync)).ToArray();
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Asks for a sweep of one tag soon (coalesced with a request already queued).</summary>
    public void RequestTag(string tag)
    {
        if (!_stop.IsCancellationRequested && _queued.TryAdd(tag, 0))
        {
            _requests.Writer.TryWrite(tag);
        }
    }

    /// <summary>Asks for a full sweep now (after a gap in notifications).</summary>
    public void RequestFullSweep()
    {
        Interlocked.Exchange(ref _fullSweepRequested, 1);
        Wake();
    }

    /// <summary>Stops sweeping and claiming, lets held terminations finish within <paramref name="grace"/> (at most
    /// <see cref="SessionOptions.TerminationClaimTimeout"/>) and hands the rest back.</summary>
    public async Task StopAsync(CancellationToken grace = default)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        _requests.Writer.TryComplete();
        await _terminations.DrainAsync(grace).ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_workers.Append(_fullSweep).Append(_listening).Append(_loop ?? Task.CompletedTask)).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Stopping must finish whatever a background task ended with; each logged its own failures.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
        if (_listener is not null)
        {
            await _listener.DisposeAsync().ConfigureAwait(false);
        }
        await _heartbeat.RemoveAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        var stop = _stop.Token;
        Log.Started(_logger, _options.NodeName, _options.CleanupInterval);
        var now = Stopwatch.GetTimestamp();
        long nextFull = now, nextRefresh = now, nextListener = now, nextHeartbeat = now;
        var failures = 0;
        while (!stop.IsCancellationRequested)
        {
            Volatile.Write(ref _signalled, 0);
            now = Stopwatch.GetTimestamp();
            try
            {
                if (now >= nextListener && _listening.IsCompleted)
                {
                    // In the background: a probe waits up to two seconds for an event, and must not hold up the
                    // schedule. Until the listener has started, retry; afterwards re-check the primaries that were not
                    // seen publishing expired events (none, normally: no command is sent then).
                    nextListener = now + Ticks(ListenerInterval);
                    _listening = StartListenerAsync();
                }
                if (Handling)
                {
                    if (now >= nextHeartbeat)
                    {
                        nextHeartbeat = now + Ticks(_options.HeartbeatInterval);
                        await _heartbeat.BeatAsync().WaitAsync(RedisTimeout, stop).ConfigureAwait(false);
                    }
                    if (RefreshEnabled && now >= nextRefresh)
                    {
                        nextRefresh = now + Ticks(_options.DeadlineRefreshInterval);
                        await RefreshDeadlinesAsync(stop).ConfigureAwait(false);
                    }
                }
                if ((now >= nextFull || Interlocked.Exchange(ref _fullSweepRequested, 0) != 0) && _fullSweep.IsCompleted)
                {
                    nextFull = now + Ticks(_options.CleanupInterval);
                    _fullSweep = FullSweepAsync();
                }
                failures = 0;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (IsTransient(ex))
            {
                failures++;
                var delay = TimeSpan.FromMilliseconds(Math.Min(10_000, 250 * Math.Pow(2, Math.Min(failures, 6))));
                Log.SweepFailed(_logger, ex, delay);
                nextRefresh = nextHeartbeat = Stopwatch.GetTimestamp() + Ticks(delay);
                RequestFullSweepAfter(delay);
            }

            if (_clock.TryGetNow(out var redisNow))
            {
                foreach (var tag in _schedule.TakeDue(redisNow))
                {
                    RequestTag(tag);
                }
            }

            var until = Math.Min(nextFull, nextListener);
            if (Handling)
            {
                until = Math.Min(until, nextHeartbeat);
                if (RefreshEnabled)
                {
                    until = Math.Min(until, nextRefresh);
                }
            }
            var wait = TimeSpan.FromSeconds((double)(until - Stopwatch.GetTimestamp()) / Stopwatch.Frequency);
            var due = _schedule.NextDue;
            if (due != long.MaxValue && _clock.TryGetNow(out redisNow))
            {
                var untilDue = TimeSpan.FromMilliseconds(Math.Max(0, due - redisNow));
                wait = untilDue < wait ? untilDue : wait;
            }
            if (wait > TimeSpan.Zero)
            {
                try
                {
                    await _wake.WaitAsync(wait, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task WorkAsync()
    {
        await foreach (var tag in _requests.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            _queued.TryRemove(tag, out _);
            if (_stop.IsCancellationRequested)
            {
                continue;
            }
            try
            {
                var result = await SweepTagAsync(tag, _stop.Token).ConfigureAwait(false);
                if (Handling && RefreshEnabled && result.NextMs >= 0)
                {
                    Schedule(tag, result.NextMs);
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
            }
            catch (Exception ex) when (IsTransient(ex))
            {
                // Redis is unreachable or slow: try this tag again shortly (the full sweep after recovery also covers it).
                Log.TagSweepFailed(_logger, ex, tag);
                Schedule(tag, _clock.NowMs + 1000);
            }
        }
    }

    /// <summary>Sweeps one tag, then (with callbacks) claims what is ready there as this process has room.</summary>
    public async Task<TagSweeper.Result> SweepTagAsync(string tag, CancellationToken stop)
    {
        var result = await _sweeper.SweepAsync(tag, stop).ConfigureAwait(false);
        if (Handling)
        {
            await _terminations.ClaimReadyAsync(tag, stop).ConfigureAwait(false);
        }
        return result;
    }

    /// <summary>Sweeps every tag (32 at a time). Returns the sessions ended.</summary>
    public async Task<int> SweepAllAsync(CancellationToken stop)
    {
        var ended = 0;
        Exception? failure = null;
        await Parallel.ForEachAsync(Tags.All, new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = stop }, async (tag, ct) =>
        {
            try
            {
                Interlocked.Add(ref ended, (await SweepTagAsync(tag, ct).ConfigureAwait(false)).Ended);
            }
            catch (Exception ex) when (IsTransient(ex))
            {
                // One unreachable primary (a cluster mid-failover) must not keep the tags of the others from being swept.
                Interlocked.CompareExchange(ref failure, ex, null);
            }
        }).ConfigureAwait(false);
        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }
        return ended;
    }

    private async Task FullSweepAsync()
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var ended = await SweepAllAsync(_stop.Token).ConfigureAwait(false);
            Log.FullSweepCompleted(_logger, ended, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (IsTransient(ex))
        {
            var delay = TimeSpan.FromSeconds(1);
            Log.SweepFailed(_logger, ex, delay);
            RequestFullSweepAfter(delay);
        }
    }

    private async Task StartListenerAsync()
    {
        try
        {
            var redis = await _connection.GetAsync().ConfigureAwait(false);
            _listener ??= new ExpiryHintListener(redis, _scripts.Keys, _options, _logger, OnWakeExpired, OnPending, OnGap);
            await _listener.StartAsync().WaitAsync(RedisTimeout, _stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (IsTransient(ex))
        {
            // Missing events only delays terminations until the schedule or the sweep: retry soon.
            Log.ListenerStartFailed(_logger, ex);
        }
    }

    /// <summary>Reads every tag's next expiry or lease deadline (1,024 read-only scripts, pipelined) and schedules a
    /// sweep for each.</summary>
    private async Task RefreshDeadlinesAsync(CancellationToken stop)
    {
        var db = (await _connection.GetAsync().ConfigureAwait(false)).GetDatabase();
        var reads = Tags.All.Select(tag => TagCalls.NextDueAsync(db, _scripts, tag)).ToArray();
        Exception? failure = null;
        try
        {
            await Task.WhenAll(reads).WaitAsync(RedisTimeout, stop).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsTransient(ex))
        {
            // On a cluster with one primary unreachable the tags of the others still count: keep what was read.
            failure = ex;
        }
        var failed = 0;
        for (var i = 0; i < reads.Length; i++)
        {
            if (!reads[i].IsCompletedSuccessfully)
            {
                failed++;
                continue;
            }
            var (now, due, pending) = reads[i].Result;
            _clock.Observe(now);
            var next = due >= 0 && (pending < 0 || due <= pending) ? due : pending;
            if (next >= 0)
            {
                _schedule.Set(Tags.All[i], next);
            }
        }
        if (failed == 0)
        {
            Interlocked.Exchange(ref _lastRefreshOk, Stopwatch.GetTimestamp());
        }
        else if (failed == reads.Length)
        {
            throw failure ?? new TimeoutException("No tag's next deadline could be read.");
        }
        else
        {
            Log.DeadlineRefreshIncomplete(_logger, failure!, failed, reads.Length);
        }
    }

    private void RequestFullSweepAfter(TimeSpan delay) =>
        _ = Task.Delay(delay, _stop.Token).ContinueWith(t =>
        {
            if (!t.IsCanceled)
            {
                RequestFullSweep();
            }
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    /// <summary>A tag's wake key expired. While the deadline schedule is healthy it has swept that tag already (or is
    /// about to): the event matters when the schedule is off or failing, or in a process without callbacks.</summary>
    private void OnWakeExpired(string tag)
    {
        if (Handling && RefreshEnabled && Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastRefreshOk)) < _options.DeadlineRefreshInterval * 3)
        {
            return;
        }
        RequestTag(tag);
    }

    /// <summary>A termination was left for any handler: only a process with callbacks goes to claim it.</summary>
    private void OnPending(string tag)
    {
        if (Handling)
        {
            RequestTag(tag);
        }
    }

    private void OnGap(string endpoint) => RequestFullSweep();

    private void Schedule(string tag, long dueMs)
    {
        if (dueMs >= 0 && _schedule.Set(tag, dueMs))
        {
            Wake();
        }
    }

    private void Wake()
    {
        if (Interlocked.Exchange(ref _signalled, 1) == 0)
        {
            _wake.Release();
        }
    }

    private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    private static bool IsTransient(Exception ex) => ex is SessionException or TimeoutException || RedisErrors.IsTransient(ex);
}
