using System.Collections.Concurrent;
using System.Diagnostics;
using StackExchange.Redis;

namespace RedisSessions.Internal;

/// <summary>
/// Runs termination callbacks exactly once per ended session across the farm. A script that ends a session also
/// claims it for the calling process (a pending entry scored with the claim's deadline) when that process has
/// callbacks; the process runs them and acknowledges (drops the entry and the snapshot, appends to the event
/// stream). A process that dies before acknowledging leaves the entry to run out; the next sweep anywhere claims it
/// again (attempt + 1). A process with no callbacks claims nothing: its terminations wait, announced on the pending
/// channel, for a process that has some. A process that stops before running the callbacks of a claim (shutdown)
/// releases it: the entry is due at once and announced, so another process takes it without waiting for the timeout.
/// </summary>
internal sealed partial class TerminationPipeline
{
    private const int SweepBatch = 500;
    private const int CallbackParallelism = 16;
    private readonly SessionManager _manager;
    private readonly object _gate = new();
    private readonly ConcurrentDictionary<(string Bucket, string SessionId), byte> _inFlight = new();
    private readonly ConcurrentDictionary<Task, byte> _retries = new();
    private Func<SessionTermination, CancellationToken, Task>[] _callbacks = [];
    private long _handled;
    private long _released;

    public TerminationPipeline(SessionManager manager) => _manager = manager;

    public long Handled => Interlocked.Read(ref _handled);

    /// <summary>Claims this process gave back (shutdown before the callbacks ran).</summary>
    public long Released => Interlocked.Read(ref _released);

    public bool HasCallbacks => Volatile.Read(ref _callbacks).Length > 0;

    /// <summary>Terminations whose callbacks run in this process right now.</summary>
    public int InFlight => _inFlight.Count;

    /// <summary>The claim deadline to give scripts: 0 (claim nothing) when this process has no callbacks.</summary>
    public long ClaimUntil(long now) => HasCallbacks ? now + (long)_manager.Settings.TerminationClaimTimeout.TotalMilliseconds : 0;

    public IDisposable Register(Func<SessionTermination, CancellationToken, Task> callback)
    {
        lock (_gate)
        {
            _callbacks = [.. _callbacks, callback];
        }
        return new Registration(this, callback);
    }

    /// <summary>Handles the snapshots in items[start..], each {sid, field, value, ...}.</summary>
    public async Task HandleSnapshotsAsync(string bucket, RedisResult[] items, int start, CancellationToken cancellationToken)
    {
        if (items.Length <= start)
        {
            return;
        }
        var work = new List<(string SessionId, RedisValue[] Fields)>(items.Length - start);
        for (var i = start; i < items.Length; i++)
        {
            var snapshot = (RedisResult[])items[i]!;
            var fields = new RedisValue[snapshot.Length - 1];
            for (var j = 1; j < snapshot.Length; j++)
            {
                fields[j - 1] = (RedisValue)snapshot[j];
            }
            work.Add(((string)snapshot[0]!, fields));
        }
        if (work.Count == 1)
        {
            await DispatchAsync(bucket, work[0].SessionId, SessionRecord.FromFlat(work[0].SessionId, work[0].Fields, _manager.Settings.InactiveTimeout), cancellationToken).ConfigureAwait(false);
            return;
        }
        // Every claimed snapshot is dispatched (run, or released when stopping): the loop itself is never cancelled.
        await Parallel.ForEachAsync(work, new ParallelOptions { MaxDegreeOfParallelism = CallbackParallelism, CancellationToken = CancellationToken.None },
            async (item, _) => await DispatchAsync(bucket, item.SessionId, SessionRecord.FromFlat(item.SessionId, item.Fields, _manager.Settings.InactiveTimeout), cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
    }

    private async Task DispatchAsync(string bucket, string sessionId, SessionRecord? record, CancellationToken cancellationToken)
    {
        var keys = _manager.Keys;
        var db = _manager.Db;
        if (record is null)
        {
            // The snapshot has no user: it was damaged outside RedisSessions. Nothing to hand to callbacks.
            await SessionScripts.Ack.EvaluateAsync(db, [keys.Pending(bucket), keys.Ended(bucket, sessionId)], [sessionId]).ConfigureAwait(false);
            return;
        }
        try
        {
            await _manager.Nodes.ResolveAsync(record).ConfigureAwait(false);
        }
        catch (SessionStoreUnavailableException)
        {
            // The creating node's name is cosmetic: run the callbacks with the id rather than not at all.
            record.Node = "#" + record.NodeId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        _inFlight.TryAdd((bucket, sessionId), 0);
        try
        {
            var callbacks = Volatile.Read(ref _callbacks);
            if (callbacks.Length == 0 || cancellationToken.IsCancellationRequested)
            {
                await ReleaseAsync(bucket, sessionId).ConfigureAwait(false);
                return;
            }
            var reason = TerminationReasonNames.FromWire(record.Reason);
            var session = new Session(_manager, record);
            session.MarkTerminated();
            var termination = new SessionTermination(session, reason, record.EndedAt ?? _manager.TimeProvider.GetUtcNow(), Math.Max(1, record.Attempts));
            foreach (var callback in callbacks)
            {
                try
                {
                    await callback(termination, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    // Shutting down mid-way: give it back so another process runs it now rather than after the claim timeout.
                    await ReleaseAsync(bucket, sessionId).ConfigureAwait(false);
                    return;
                }
#pragma warning disable CA1031 // A failing callback must not stop the others or lose the termination for them.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    SessionMetrics.CallbackFailures.Add(1);
                    _manager.LogCallbackFailed(ex, sessionId, reason);
                }
            }
            Interlocked.Increment(ref _handled);
            SessionMetrics.Terminated.Add(1, new KeyValuePair<string, object?>("reason", TerminationReasonNames.ToWire(reason)));
            _manager.LogTerminated(sessionId, record.UserId, reason);
            await AcknowledgeAsync(bucket, record, reason).ConfigureAwait(false);
        }
        finally
        {
            _inFlight.TryRemove((bucket, sessionId), out _);
        }
    }

    /// <summary>The callbacks ran: the pending entry must go, or another process runs them again once the claim runs out.
    /// The ack and the stream append are sent together (one round trip; on a standalone Redis the append is applied
    /// after the ack). When Redis can't be reached (a restart, a failover) both are retried in the background.</summary>
    private async Task AcknowledgeAsync(string bucket, SessionRecord record, TerminationReason reason)
    {
        var ack = AckAsync(bucket, record.SessionId);
        var append = AppendEventAsync(record, reason);
        var acked = await ack.ConfigureAwait(false);
        var appended = await append.ConfigureAwait(false);
        if (!acked || !appended)
        {
            Track(RetryAcknowledgeAsync(bucket, record, reason, acked, appended));
        }
    }

    private async Task RetryAcknowledgeAsync(string bucket, SessionRecord record, TerminationReason reason, bool acked, bool appended)
    {
        // Past twice the claim timeout another process has long retried the termination: stop trying then.
        var limit = TimeSpan.FromTicks(_manager.Settings.TerminationClaimTimeout.Ticks * 2);
        var clock = Stopwatch.StartNew();
        var delay = TimeSpan.FromMilliseconds(50);
        while (!acked || !appended)
        {
            if (clock.Elapsed > limit)
            {
                Log.AcknowledgeAbandoned(_manager.Logger, record.SessionId, acked, appended, limit);
                return;
            }
            await Task.Delay(delay).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(1).Ticks));
            acked = acked || await AckAsync(bucket, record.SessionId).ConfigureAwait(false);
            appended = appended || await AppendEventAsync(record, reason).ConfigureAwait(false);
        }
    }

    private async Task<bool> AckAsync(string bucket, string sessionId)
    {
        try
        {
            var keys = _manager.Keys;
            await SessionScripts.Ack.EvaluateAsync(_manager.Db, [keys.Pending(bucket), keys.Ended(bucket, sessionId)], [sessionId]).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (IsTransient(ex))
        {
            Log.AcknowledgeFailed(_manager.Logger, ex, sessionId);
            return false;
        }
    }

    private async Task<bool> AppendEventAsync(SessionRecord record, TerminationReason reason)
    {
        var max = _manager.Settings.EventStreamMaxLength;
        if (max == 0)
        {
            return true;
        }
        try
        {
            await SessionScripts.AppendEvent.EvaluateAsync(_manager.Db, [_manager.Keys.Events],
            [
                max,
                "session", record.SessionId,
                "user", record.UserId,
                "reason", TerminationReasonNames.ToWire(reason),
                "at", (record.EndedAt ?? _manager.TimeProvider.GetUtcNow()).ToUnixTimeMilliseconds(),
                "expires", record.ExpiresAt.ToUnixTimeMilliseconds(),
                "created", record.CreatedAt.ToUnixTimeMilliseconds(),
                "node", record.Node,
                "handled_by", _manager.Settings.NodeName,
                "attempt", Math.Max(1, record.Attempts),
            ]).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (IsTransient(ex))
        {
            _manager.LogEventAppendFailed(ex, record.SessionId);
            return false;
        }
    }

    private async Task ReleaseAsync(string bucket, string sessionId)
    {
        try
        {
            await SessionScripts.Release.EvaluateAsync(_manager.Db, [_manager.Keys.Pending(bucket), _manager.Keys.Ended(bucket, sessionId)],
                [sessionId, _manager.NowMs, (string)_manager.Keys.PendingChannel!]).ConfigureAwait(false);
            Interlocked.Increment(ref _released);
        }
        catch (Exception ex) when (IsTransient(ex))
        {
            // Not lost: the claim runs out and another process retries it then.
            Log.ReleaseFailed(_manager.Logger, ex, sessionId);
        }
    }

    /// <summary>Sweeps every bucket. Returns (sessions ended, terminations handled here).</summary>
    public Task<(int Expired, int Handled)> SweepAllAsync(CancellationToken cancellationToken) =>
        SweepAllAsync(cancellationToken, cancellationToken);

    /// <summary>Sweeps every bucket; <paramref name="stop"/> stops starting new bucket sweeps, <paramref name="callbacks"/>
    /// is what callbacks of claimed terminations get (cancelled: they are released).</summary>
    public async Task<(int Expired, int Handled)> SweepAllAsync(CancellationToken stop, CancellationToken callbacks)
    {
        var expired = 0;
        var before = Handled;
        Exception? failure = null;
        await Parallel.ForEachAsync(SessionKeys.AllBuckets(), new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = stop },
            async (bucket, ct) =>
            {
                try
                {
                    Interlocked.Add(ref expired, await SweepBucketAsync(bucket, ct, callbacks).ConfigureAwait(false));
                }
                catch (Exception ex) when (ex is SessionStoreUnavailableException || RedisConnector.IsUnavailable(ex))
                {
                    // One unreachable master (a cluster mid-failover) must not keep the other buckets from being swept.
                    Interlocked.CompareExchange(ref failure, ex, null);
                }
            }).ConfigureAwait(false);
        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }
        return (expired, (int)(Handled - before));
    }

    /// <summary>Ends the bucket's sessions whose time is up and claims its abandoned terminations; returns how many ended.</summary>
    public Task<int> SweepBucketAsync(string bucket, CancellationToken cancellationToken) =>
        SweepBucketAsync(bucket, cancellationToken, cancellationToken);

    /// <inheritdoc cref="SweepBucketAsync(string, CancellationToken)"/>
    public async Task<int> SweepBucketAsync(string bucket, CancellationToken stop, CancellationToken callbacks)
    {
        var keys = _manager.Keys;
        var total = 0;
        while (true)
        {
            stop.ThrowIfCancellationRequested();
            var now = _manager.NowMs;
            var result = await _manager.RunAsync("sweep", () => SessionScripts.Sweep.EvaluateAsync(_manager.Db,
                [keys.Expiry(bucket), keys.Pending(bucket), keys.Users(bucket), keys.Due(bucket), keys.Count(bucket)],
                [now, _manager.RetentionMs, _manager.Settings.NodeName, ClaimUntil(now), SweepBatch, (string)keys.PendingChannel!])).ConfigureAwait(false);
            var items = (RedisResult[])result!;
            total += (int)items[0];
            await HandleSnapshotsAsync(bucket, items, 2, callbacks).ConfigureAwait(false);
            if ((int)items[1] == 0)
            {
                return total;
            }
        }
    }

    /// <summary>Waits for callbacks in flight and acknowledgements being retried (bounded by the claim timeout).</summary>
    public async Task DrainAsync()
    {
        var deadline = Stopwatch.StartNew();
        var limit = _manager.Settings.TerminationClaimTimeout;
        while ((!_inFlight.IsEmpty || !_retries.IsEmpty) && deadline.Elapsed < limit)
        {
            await Task.Delay(20).ConfigureAwait(false);
        }
    }

    private void Track(Task task)
    {
        _retries.TryAdd(task, 0);
        task.ContinueWith(t => _retries.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private static bool IsTransient(Exception ex) => RedisConnector.IsUnavailable(ex) || ex is RedisServerException or RedisException or SessionStoreUnavailableException;

    private sealed class Registration(TerminationPipeline owner, Func<SessionTermination, CancellationToken, Task> callback) : IDisposable
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
