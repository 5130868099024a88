using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using RedisSessions.Diagnostics;
using RedisSessions.Scripts;
using RedisSessions.Store;
using StackExchange.Redis;

namespace RedisSessions.Termination;

/// <summary>
/// Runs termination callbacks exactly once per ended session across the farm, with leases.
/// <list type="bullet">
/// <item>A process claims only what it is about to run: the script that ends a session claims it for the calling
/// process when that process has callbacks and runs them at once (logout, eviction); a sweep ends sessions unclaimed
/// and this class then claims as many ready ones as it has free slots (<see cref="ClaimReadyAsync"/>).</item>
/// <item>A claim is a lease on (owner, attempt): renewed while its callbacks run (<see cref="KeepLeasesAsync"/>), so a
/// healthy process's termination is never run a second time however slow its handlers; a process that dies or freezes
/// lets the lease run out, and another process claims it again (attempt + 1).</item>
/// <item>Acknowledging and releasing check owner and attempt: a process that wakes up after its lease ran out
/// neither starts what it held nor acknowledges an attempt that is no longer its own.</item>
/// </list>
/// A process with no callbacks claims nothing: what it ends waits, announced on the pending channel, for one that has.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The abort source lives as long as the manager; DrainAsync cancels it.")]
internal sealed partial class TerminationDispatcher
{
    /// <summary>Terminations one process runs at once from the background (claims from sweeps).</summary>
    public const int Parallelism = 16;

    private readonly RedisConnection _connection;
    private readonly ScriptContext _scripts;
    private readonly SessionOptions _options;
    private readonly RedisClock _clock;
    private readonly ILogger _logger;
    private readonly Func<SessionRecord, Session> _toSession;
    private readonly object _gate = new();
    private readonly ConcurrentDictionary<(string Tag, string SessionId), Held> _held = new();
    private readonly ConcurrentDictionary<string, byte> _waitingForSlots = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Task, byte> _background = new();
    private readonly CancellationTokenSource _abort = new();
    private Task? _leaseKeeper;
    private Func<SessionTermination, CancellationToken, Task>[] _callbacks = [];
    private int _running;
    private long _handled;
    private long _released;
    private long _takenOver;
    private volatile bool _stopping;

    public TerminationDispatcher(RedisConnection connection, ScriptContext scripts, SessionOptions options, RedisClock clock, ILogger logger, Func<SessionRecord, Session> toSession)
    {
        _connection = connection;
        _scripts = scripts;
        _options = options;
        _clock = clock;
        _logger = logger;
        _toSession = toSession;
        Owner = $"{options.NodeName}#{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4))}";
    }

    /// <summary>This process's identity in leases: its node name and a random part, so two processes given the same
    /// node name never take each other's leases for their own.</summary>
    public string Owner { get; }

    /// <summary>What scripts get as the owner: this process when it has callbacks, else '' (leave it to any handler).</summary>
    public RedisValue ClaimOwner => HasCallbacks && !_stopping ? Owner : RedisValue.EmptyString;

    public bool HasCallbacks => Volatile.Read(ref _callbacks).Length > 0;

    /// <summary>Terminations whose callbacks this process ran.</summary>
    public long Handled => Interlocked.Read(ref _handled);

    /// <summary>Claims this process gave back (stopping before it ran them).</summary>
    public long Released => Interlocked.Read(ref _released);

    /// <summary>Claims this process found taken over by another after its lease ran out.</summary>
    public long TakenOver => Interlocked.Read(ref _takenOver);

    /// <summary>Terminations this process holds right now (running or about to).</summary>
    public int HeldCount => _held.Count;

    /// <summary>Free background slots.</summary>
    public int FreeSlots => _stopping ? 0 : Parallelism - Volatile.Read(ref _running);

    /// <summary>Raised with a tag that had more ready terminations than free slots, once a slot frees.</summary>
    public event Action<string>? SlotFreed;

    public IDisposable Register(Func<SessionTermination, CancellationToken, Task> callback)
    {
        lock (_gate)
        {
            _callbacks = [.. _callbacks, callback];
        }
        return new Registration(this, callback);
    }

    /// <summary>Runs terminations a script just claimed for this process (the caller awaits them: a logout returns
    /// once its callbacks ran).</summary>
    public async Task RunNowAsync(string tag, IReadOnlyList<TagCalls.Claimed> claims, CancellationToken cancellationToken)
    {
        if (claims.Count == 0)
        {
            return;
        }
        foreach (var claim in claims)
        {
            Hold(tag, claim);
        }
        if (claims.Count == 1)
        {
            await RunOneAsync(tag, claims[0], cancellationToken).ConfigureAwait(false);
            return;
        }
        // Every claim is run or released, so the loop itself is never cancelled.
        await Parallel.ForEachAsync(claims, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = CancellationToken.None },
            async (claim, _) => await RunOneAsync(tag, claim, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
    }

    /// <summary>Claims ready terminations of <paramref name="tag"/> (left for any handler, or whose lease ran out), no
    /// more than this process has free slots for, and starts them. Stops when nothing it may claim is left. True when
    /// the tag still has some waiting for a free slot.</summary>
    public async Task<bool> ClaimReadyAsync(string tag, CancellationToken stop)
    {
        if (!HasCallbacks)
        {
            return false;
        }
        var db = (await _connection.GetAsync().ConfigureAwait(false)).GetDatabase();
        var pending = _scripts.Keys.Pending(tag);
        while (!stop.IsCancellationRequested && !_stopping)
        {
            var free = FreeSlots;
            if (free <= 0)
            {
                _waitingForSlots.TryAdd(tag, 0);
                return true;
            }
            // Candidates by this process's view of Redis's clock; the script decides with TIME.
            var upTo = _clock.TryGetNow(out var now) ? now + 1 : double.PositiveInfinity;
            var candidates = await db.SortedSetRangeByScoreAsync(pending, double.NegativeInfinity, upTo, take: free).ConfigureAwait(false);
            if (candidates.Length == 0)
            {
                return false;
            }
            // Sweeps of other tags claim at the same time: take the slots before the claim, not after it, so that
            // two of them never count the same free slot.
            var reserved = Reserve(candidates.Length);
            if (reserved == 0)
            {
                _waitingForSlots.TryAdd(tag, 0);
                return true;
            }
            var started = 0;
            TagCalls.ClaimBatch batch;
            try
            {
                var ids = candidates.Take(reserved).Select(c => (string)c!).ToArray();
                batch = await TagCalls.ClaimAsync(db, _scripts, tag, ids, Owner).ConfigureAwait(false);
                _clock.Observe(batch.NowMs);
                if (batch.Lost > 0)
                {
                    Log.SnapshotsLost(_logger, batch.Lost, tag);
                }
                foreach (var claim in batch.Claims)
                {
                    Hold(tag, claim);
                    started++;
                    Track(RunBackgroundAsync(tag, claim));
                }
            }
            finally
            {
                GiveBack(reserved - started);
            }
            if (batch.Claims.Count == 0 || candidates.Length < free)
            {
                return false;
            }
        }
        return false;
    }

    private async Task RunBackgroundAsync(string tag, TagCalls.Claimed claim)
    {
        try
        {
            await Task.Yield();
            await RunOneAsync(tag, claim, _abort.Token, background: true).ConfigureAwait(false);
        }
        finally
        {
            GiveBack(1);
        }
    }

    /// <summary>Takes up to <paramref name="wanted"/> free slots at once; returns how many it took.</summary>
    private int Reserve(int wanted)
    {
        while (true)
        {
            var running = Volatile.Read(ref _running);
            var take = Math.Min(wanted, Parallelism - running);
            if (take <= 0)
            {
                return 0;
            }
            if (Interlocked.CompareExchange(ref _running, running + take, running) == running)
            {
                return take;
            }
        }
    }

    /// <summary>Frees <paramref name="count"/> slots and asks for the tags that waited for one to be swept again.</summary>
    private void GiveBack(int count)
    {
        if (count <= 0)
        {
            return;
        }
        Interlocked.Add(ref _running, -count);
        foreach (var waiting in _waitingForSlots.Keys)
        {
            if (_waitingForSlots.TryRemove(waiting, out _))
            {
                SlotFreed?.Invoke(waiting);
            }
        }
    }

    private void Hold(string tag, TagCalls.Claimed claim)
    {
        var attempt = AttemptOf(claim.Fields);
        _held[(tag, claim.SessionId)] = new Held(attempt);
        // Leases are renewed for as long as this process holds any, background work or not (a logout's slow callback
        // in a process without auto cleanup must not be run again elsewhere either).
        if (Volatile.Read(ref _leaseKeeper) is null)
        {
            lock (_gate)
            {
                _leaseKeeper ??= Task.Run(() => KeepLeasesAsync(_abort.Token));
            }
        }
    }

    private async Task RunOneAsync(string tag, TagCalls.Claimed claim, CancellationToken cancellationToken, bool background = false)
    {
        var key = (tag, claim.SessionId);
        if (!_held.TryGetValue(key, out var held))
        {
            return;
        }
        try
        {
            var record = SessionRecord.From(claim.SessionId, claim.Fields);
            if (record is null)
            {
                // Damaged outside RedisSessions (no user field): nothing to hand to callbacks.
                await AcknowledgeAsync(tag, claim.SessionId, held, record: null).ConfigureAwait(false);
                return;
            }
            var callbacks = Volatile.Read(ref _callbacks);
            if (callbacks.Length == 0 || cancellationToken.IsCancellationRequested || (background && _stopping))
            {
                await ReleaseAsync(tag, claim.SessionId, held).ConfigureAwait(false);
                return;
            }
            // A lease not renewed for a while (this process was frozen, or Redis away) may have run out: ask before
            // starting, and never start what another process has taken over.
            if (Stopwatch.GetElapsedTime(held.RenewedAt) > _options.TerminationClaimTimeout / 2 && !await RenewOneAsync(tag, claim.SessionId, held).ConfigureAwait(false))
            {
                return;
            }
            if (held.Lost)
            {
                NoteTakenOver(claim.SessionId);
                return;
            }
            var reason = TerminationReasonNames.FromWire(record.Reason);
            var session = _toSession(record);
            var termination = new SessionTermination(session, reason, DateTimeOffset.FromUnixTimeMilliseconds(record.EndedMs), (int)Math.Max(1, held.Attempt));
            foreach (var callback in callbacks)
            {
                try
                {
                    await callback(termination, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    // Stopping mid-way: give it back so another process runs it now rather than after the lease.
                    await ReleaseAsync(tag, claim.SessionId, held).ConfigureAwait(false);
                    return;
                }
#pragma warning disable CA1031 // A failing callback must not stop the others or lose the termination for them.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    SessionMetrics.CallbackFailures.Add(1);
                    Log.CallbackFailed(_logger, ex, claim.SessionId, reason);
                }
            }
            if (await AcknowledgeAsync(tag, claim.SessionId, held, record).ConfigureAwait(false))
            {
                Interlocked.Increment(ref _handled);
                SessionMetrics.Terminated.Add(1, new KeyValuePair<string, object?>("reason", TerminationReasonNames.ToWire(reason)));
                Log.Terminated(_logger, claim.SessionId, record.UserId, reason, held.Attempt);
            }
        }
        finally
        {
            _held.TryRemove(key, out _);
        }
    }

    /// <summary>Acknowledges a termination this process ran. When Redis can't be reached it retries in the background
    /// for as long as the lease could still be this process's (another process runs it again after that).</summary>
    private async Task<bool> AcknowledgeAsync(string tag, string sessionId, Held held, SessionRecord? record)
    {
        var limit = Stopwatch.StartNew();
        var delay = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            try
            {
                var db = (await _connection.GetAsync().ConfigureAwait(false)).GetDatabase();
                if (!await TagCalls.AcknowledgeAsync(db, _scripts, tag, sessionId, held.Attempt, Owner).ConfigureAwait(false))
                {
                    // Another process holds it now: this process was too slow (frozen?) and its lease ran out. Its run
                    // happened; the other's is its own, and is not acknowledged here.
                    NoteTakenOver(sessionId);
                    return false;
                }
                if (record is not null)
                {
                    await AppendEventAsync(db, record, held.Attempt).ConfigureAwait(false);
                }
                return true;
            }
            catch (Exception ex) when (RedisErrors.IsTransient(ex))
            {
                if (limit.Elapsed > _options.TerminationClaimTimeout * 2)
                {
                    Log.AcknowledgeAbandoned(_logger, sessionId, limit.Elapsed);
                    return false;
                }
                Log.AcknowledgeFailed(_logger, ex, sessionId);
                await Task.Delay(delay).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(1).Ticks));
            }
        }
    }

    private async Task AppendEventAsync(IDatabase db, SessionRecord record, long attempt)
    {
        var max = _options.EventStreamMaxLength;
        if (max == 0)
        {
            return;
        }
        try
        {
            await db.StreamAddAsync(_scripts.Keys.Events,
            [
                new NameValueEntry("session", record.SessionId),
                new NameValueEntry("user", record.UserId),
                new NameValueEntry("reason", record.Reason ?? string.Empty),
                new NameValueEntry("at", record.EndedMs),
                new NameValueEntry("created", record.CreatedMs),
                new NameValueEntry("expires", record.ExpiresMs),
                new NameValueEntry("node", record.Node),
                new NameValueEntry("handled_by", _options.NodeName),
                new NameValueEntry("attempt", attempt),
            ], maxLength: max, useApproximateMaxLength: true).ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisErrors.IsTransient(ex))
        {
            // The termination is done and acknowledged; only its line in the stream is missing.
            Log.EventAppendFailed(_logger, ex, record.SessionId);
        }
    }

    private async Task ReleaseAsync(string tag, string sessionId, Held held)
    {
        try
        {
            var db = (await _connection.GetAsync().ConfigureAwait(false)).GetDatabase();
            if (await TagCalls.ReleaseAsync(db, _scripts, tag, sessionId, held.Attempt, Owner).ConfigureAwait(false))
            {
                Interlocked.Increment(ref _released);
            }
        }
        catch (Exception ex) when (RedisErrors.IsTransient(ex))
        {
            // Not lost: the lease runs out and another process claims it then.
            Log.ReleaseFailed(_logger, ex, sessionId);
        }
    }

    private async Task<bool> RenewOneAsync(string tag, string sessionId, Held held)
    {
        try
        {
            var db = (await _connection.GetAsync().ConfigureAwait(false)).GetDatabase();
            var (now, lost) = await TagCalls.RenewAsync(db, _scripts, tag, [(sessionId, held.Attempt)], Owner).ConfigureAwait(false);
            _clock.Observe(now);
            if (lost.Count > 0)
            {
                held.Lost = true;
                NoteTakenOver(sessionId);
                return false;
            }
            held.RenewedAt = Stopwatch.GetTimestamp();
            return true;
        }
        catch (Exception ex) when (RedisErrors.IsTransient(ex))
        {
            // Can't tell: don't start it now; the lease runs out and whoever claims it next runs it.
            Log.RenewFailed(_logger, ex, tag);
            return false;
        }
    }

    /// <summary>Renews every lease this process holds, every third of <see cref="SessionOptions.TerminationClaimTimeout"/>,
    /// until <paramref name="stop"/> (started with the first claim). Leases another process took over are marked lost
    /// (their callbacks, if running, finish, but are not acknowledged; if not started, they never start).</summary>
    private async Task KeepLeasesAsync(CancellationToken stop)
    {
        var interval = TimeSpan.FromTicks(Math.Max(_options.TerminationClaimTimeout.Ticks / 3, TimeSpan.FromMilliseconds(20).Ticks));
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            await RenewAllAsync().ConfigureAwait(false);
        }
    }

    private async Task RenewAllAsync()
    {
        var byTag = _held.Where(h => !h.Value.Lost).GroupBy(h => h.Key.Tag).ToList();
        if (byTag.Count == 0)
        {
            return;
        }
        IDatabase db;
        try
        {
            db = (await _connection.GetAsync().ConfigureAwait(false)).GetDatabase();
        }
        catch (Exception ex) when (RedisErrors.IsTransient(ex))
        {
            return;
        }
        await Task.WhenAll(byTag.Select(async group =>
        {
            var items = group.ToList();
            var started = Stopwatch.GetTimestamp();
            try
            {
                var (now, lost) = await TagCalls.RenewAsync(db, _scripts, group.Key, items.Select(h => (h.Key.SessionId, h.Value.Attempt)).ToList(), Owner).ConfigureAwait(false);
                _clock.Observe(now);
                var lostSet = lost.ToHashSet(StringComparer.Ordinal);
                foreach (var (key, held) in items)
                {
                    if (lostSet.Contains(key.SessionId))
                    {
                        held.Lost = true;
                    }
                    else
                    {
                        held.RenewedAt = started;
                    }
                }
            }
            catch (Exception ex) when (RedisErrors.IsTransient(ex))
            {
                Log.RenewFailed(_logger, ex, group.Key);
            }
        })).ConfigureAwait(false);
    }

    /// <summary>Stops claiming; lets held terminations finish until <paramref name="grace"/> is cancelled (at most
    /// <see cref="SessionOptions.TerminationClaimTimeout"/>, after which the lease is void anyway), then cancels their
    /// callbacks: what was claimed and not run is handed back to the farm, never dropped.</summary>
    public async Task DrainAsync(CancellationToken grace)
    {
        _stopping = true;
        using (var limit = CancellationTokenSource.CreateLinkedTokenSource(grace))
        {
            limit.CancelAfter(_options.TerminationClaimTimeout);
            while (!_held.IsEmpty && !limit.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(20, limit.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
        if (!_held.IsEmpty)
        {
            Log.GraceOver(_logger, _held.Count);
        }
        await _abort.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_background.Keys).ConfigureAwait(false);
        if (Volatile.Read(ref _leaseKeeper) is { } keeper)
        {
            await keeper.ConfigureAwait(false);
        }
        if (Released > 0)
        {
            Log.HandedBack(_logger, Released);
        }
    }

    private void Track(Task task)
    {
        _background.TryAdd(task, 0);
        task.ContinueWith(t => _background.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void NoteTakenOver(string sessionId)
    {
        Interlocked.Increment(ref _takenOver);
        SessionMetrics.LeasesTakenOver.Add(1);
        Log.TakenOver(_logger, sessionId);
    }

    private static long AttemptOf(RedisValue[] fields)
    {
        for (var i = 0; i + 1 < fields.Length; i += 2)
        {
            if (fields[i] == "attempt")
            {
                return (long)fields[i + 1];
            }
        }
        return 0;
    }

    /// <summary>One lease this process holds.</summary>
    private sealed class Held(long attempt)
    {
        public long Attempt { get; } = attempt;

        /// <summary>When the lease was last confirmed (monotonic): at the claim, then at each renewal.</summary>
        public long RenewedAt { get; set; } = Stopwatch.GetTimestamp();

        /// <summary>Another process took it over: never start it, never acknowledge it.</summary>
        public volatile bool Lost;
    }

    private sealed class Registration(TerminationDispatcher owner, Func<SessionTermination, CancellationToken, Task> callback) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                lock (owner._gate)
                {
                    owner._callbacks = owner._callbacks.Where(c => c != callback).ToArray();
                }
            }
        }
    }
}
