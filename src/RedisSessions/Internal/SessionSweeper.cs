using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using RedisSessions.Hosting;
using StackExchange.Redis;

namespace RedisSessions.Internal;

/// <summary>
/// The background half of <see cref="SessionOptions.EnableAutoCleanup"/> and of the hosted termination listener.
/// <list type="bullet">
/// <item>A full sweep at start and every <see cref="SessionOptions.CleanupInterval"/>: the authority. It walks every
/// bucket's expiry index and pending claims, so it finds whatever the faster paths missed (listener down, pub/sub
/// dropped, notifications off, a Redis restart).</item>
/// <item>In a process with termination callbacks, the deadline schedule: every
/// <see cref="SessionOptions.DeadlineRefreshInterval"/> it reads each bucket's earliest deadline (session expiry or
/// claim timeout) and sweeps that bucket when it comes, so sessions end at their time whatever Redis's expiry cycle
/// does with the bucket due keys.</item>
/// <item>Also with callbacks: the expiry listener (keyspace events of the buckets' due keys on every master, and the pending
/// channel on which processes announce terminations they left for others) and the heartbeat key.</item>
/// </list>
/// Bucket sweeps run on a small pool of workers; a bucket requested again while queued is swept once.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "StopAsync disposes the listener and the token sources.")]
internal sealed partial class SessionSweeper
{
    private const int WorkerCount = 32;
    private static readonly TimeSpan RedisTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan TopologyInterval = TimeSpan.FromSeconds(10);
    private readonly SessionManager _manager;
    private readonly Channel<string> _requests = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = false, SingleWriter = false });
    private readonly ConcurrentDictionary<string, byte> _queued = new(StringComparer.Ordinal);
    private readonly DeadlineSchedule _schedule = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly HeartbeatWriter _heartbeat;
    private ExpiryNotificationListener? _listener;
    private Task? _loop;
    private Task[] _workers = [];
    private Task _fullSweep = Task.CompletedTask;
    private Task _topology = Task.CompletedTask;
    private int _signalled;
    private int _fullSweepRequested;
    private long _lastRefreshOk;
    private int _stopped;

    public SessionSweeper(SessionManager manager)
    {
        _manager = manager;
        _heartbeat = new HeartbeatWriter(manager);
    }

    public bool IsRunning => _loop is { IsCompleted: false };

    /// <summary>The primaries whose expired events were seen to arrive (empty when the listener does not run).</summary>
    public IReadOnlyCollection<string> ListenedEndpoints => _listener?.Endpoints ?? [];

    private SessionOptions Settings => _manager.Settings;

    private bool Claiming => _manager.Terminations.HasCallbacks;

    private bool RefreshEnabled => Settings.DeadlineRefreshInterval > TimeSpan.Zero;

    public void Start()
    {
        _workers = Enumerable.Range(0, WorkerCount).Select(_ => Task.Run(WorkAsync)).ToArray();
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Asks for a sweep of one bucket soon (coalesced with a request already queued).</summary>
    public void RequestBucket(string bucket)
    {
        if (!_stop.IsCancellationRequested && _queued.TryAdd(bucket, 0))
        {
            _requests.Writer.TryWrite(bucket);
        }
    }

    /// <summary>Asks for a full sweep now (after a gap in notifications).</summary>
    public void RequestFullSweep()
    {
        Interlocked.Exchange(ref _fullSweepRequested, 1);
        Wake();
    }

    /// <summary>Stops claiming, lets terminations in flight finish until <paramref name="grace"/> is cancelled (at most
    /// <see cref="SessionOptions.TerminationClaimTimeout"/>, after which the claim is void anyway), then cancels their
    /// callbacks: what was claimed and not run is handed back to the farm, never dropped.</summary>
    public async Task StopAsync(CancellationToken grace = default)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        _requests.Writer.TryComplete();
        var running = _workers.Append(_fullSweep).Append(_topology).Append(_loop ?? Task.CompletedTask).ToArray();
        using (var limit = CancellationTokenSource.CreateLinkedTokenSource(grace))
        {
            limit.CancelAfter(Settings.TerminationClaimTimeout);
            try
            {
                await Task.WhenAll(running).WaitAsync(limit.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (limit.IsCancellationRequested)
            {
                Log.GraceOver(_manager.Logger, _manager.Terminations.InFlight);
            }
#pragma warning disable CA1031 // Stopping must finish whatever a background task ended with; each logged its own failures.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }
        await _abort.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(running).ConfigureAwait(false);
        }
#pragma warning disable CA1031
        catch (Exception)
#pragma warning restore CA1031
        {
        }
        if (_listener is not null)
        {
            await _listener.DisposeAsync().ConfigureAwait(false);
        }
        await _heartbeat.RemoveAsync().ConfigureAwait(false);
        var released = _manager.Terminations.Released;
        if (released > 0)
        {
            Log.HandedBack(_manager.Logger, released);
        }
        _stop.Dispose();
        _abort.Dispose();
    }

    private async Task RunAsync()
    {
        var stop = _stop.Token;
        _manager.LogAutoCleanupStarted();
        var now = Stopwatch.GetTimestamp();
        long nextFull = now, nextRefresh = now, nextTopology = now, nextHeartbeat = now;
        var failures = 0;
        while (!stop.IsCancellationRequested)
        {
            Volatile.Write(ref _signalled, 0);
            now = Stopwatch.GetTimestamp();
            try
            {
                if (Claiming)
                {
                    if (now >= nextTopology && _topology.IsCompleted)
                    {
                        // In the background: a probe waits up to two seconds for an event, and must not hold up the
                        // deadline schedule. Until the listener has started, retry; afterwards re-check the primaries
                        // that were not seen publishing expired events (none, normally: no command is sent then).
                        nextTopology = now + Ticks(TopologyInterval);
                        _listener ??= new ExpiryNotificationListener(_manager, OnExpiredDue, RequestBucket, OnGap);
                        _topology = RefreshListenerAsync(_listener);
                    }
                    if (now >= nextHeartbeat)
                    {
                        nextHeartbeat = now + Ticks(Settings.HeartbeatInterval);
                        await _heartbeat.BeatAsync().WaitAsync(RedisTimeout, stop).ConfigureAwait(false);
                    }
                    if (RefreshEnabled && now >= nextRefresh)
                    {
                        nextRefresh = now + Ticks(Settings.DeadlineRefreshInterval);
                        await RefreshDeadlinesAsync(stop).ConfigureAwait(false);
                    }
                }
                if ((now >= nextFull || Interlocked.Exchange(ref _fullSweepRequested, 0) != 0) && _fullSweep.IsCompleted)
                {
                    nextFull = now + Ticks(Settings.CleanupInterval);
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
                _manager.LogSweepFailed(ex, delay);
                nextRefresh = nextTopology = nextHeartbeat = Stopwatch.GetTimestamp() + Ticks(delay);
                RequestFullSweepAfter(delay);
            }

            foreach (var bucket in _schedule.TakeDue(_manager.NowMs))
            {
                RequestBucket(bucket);
            }

            var until = Math.Min(nextFull, Claiming ? Math.Min(nextTopology, nextHeartbeat) : long.MaxValue);
            if (Claiming && RefreshEnabled)
            {
                until = Math.Min(until, nextRefresh);
            }
            var wait = TimeSpan.FromSeconds((double)(until - Stopwatch.GetTimestamp()) / Stopwatch.Frequency);
            var due = _schedule.NextDue;
            if (due != long.MaxValue)
            {
                var untilDue = TimeSpan.FromMilliseconds(due - _manager.NowMs);
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
        await foreach (var bucket in _requests.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            _queued.TryRemove(bucket, out _);
            if (_stop.IsCancellationRequested)
            {
                continue;
            }
            try
            {
                await _manager.Terminations.SweepBucketAsync(bucket, _stop.Token, _abort.Token).ConfigureAwait(false);
                if (Claiming && RefreshEnabled)
                {
                    var due = await NextDueAsync(bucket).WaitAsync(RedisTimeout, _stop.Token).ConfigureAwait(false);
                    Schedule(bucket, due);
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
            }
            catch (Exception ex) when (IsTransient(ex))
            {
                // Redis is unreachable or slow: try this bucket again shortly (the full sweep after recovery also covers it).
                Log.BucketSweepFailed(_manager.Logger, ex, bucket);
                Schedule(bucket, _manager.NowMs + 1000);
            }
        }
    }

    private async Task FullSweepAsync()
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var (expired, handled) = await _manager.Terminations.SweepAllAsync(_stop.Token, _abort.Token).ConfigureAwait(false);
            Log.FullSweepCompleted(_manager.Logger, expired, handled, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (IsTransient(ex))
        {
            var delay = TimeSpan.FromSeconds(1);
            _manager.LogSweepFailed(ex, delay);
            RequestFullSweepAfter(delay);
        }
    }

    private async Task RefreshListenerAsync(ExpiryNotificationListener listener)
    {
        try
        {
            await listener.StartAsync().WaitAsync(RedisTimeout, _stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (IsTransient(ex))
        {
            // Missing a master's events only delays its terminations until the schedule or the sweep: retry soon.
            Log.ListenerRefreshFailed(_manager.Logger, ex);
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

    /// <summary>A bucket's due key expired on some master. While the deadline schedule is healthy it has swept that
    /// bucket already (or is about to): the event only matters when the schedule is off or failing.</summary>
    private void OnExpiredDue(string bucket)
    {
        if (RefreshEnabled && Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastRefreshOk)) < Settings.DeadlineRefreshInterval * 3)
        {
            return;
        }
        RequestBucket(bucket);
    }

    private void OnGap(string endpoint) => RequestFullSweep();

    private void Schedule(string bucket, long dueMs)
    {
        if (dueMs >= 0 && _schedule.Set(bucket, dueMs))
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

    private static bool IsTransient(Exception ex) =>
        ex is SessionException or RedisException or TimeoutException || RedisConnector.IsUnavailable(ex);
}
