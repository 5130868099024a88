using System.Collections.Concurrent;
using StackExchange.Redis;

namespace RedisSessions.Internal;

/// <summary>
/// Runs termination callbacks exactly once per ended session across the farm. A script that ends a session also
/// claims it for the calling process (a pending entry scored with the claim's deadline) when that process has
/// callbacks; the process runs them and acknowledges (drops the entry and the snapshot, appends to the event
/// stream). A process that dies before acknowledging leaves the entry to run out; the next sweep anywhere claims it
/// again (attempt + 1). A process with no callbacks claims nothing: its terminations wait, announced on the pending
/// channel, for a process that has some.
/// </summary>
internal sealed class TerminationPipeline
{
    private const int SweepBatch = 500;
    private readonly SessionManager _manager;
    private readonly object _gate = new();
    private readonly ConcurrentDictionary<(string Bucket, string SessionId), byte> _inFlight = new();
    private Func<SessionTermination, CancellationToken, Task>[] _callbacks = [];
    private long _handled;

    public TerminationPipeline(SessionManager manager) => _manager = manager;

    public long Handled => Interlocked.Read(ref _handled);

    public bool HasCallbacks => Volatile.Read(ref _callbacks).Length > 0;

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
        await Parallel.ForEachAsync(work, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = CancellationToken.None },
            async (item, _) => await DispatchAsync(bucket, item.SessionId, SessionRecord.FromFlat(item.SessionId, item.Fields), cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
    }

    /// <summary>Handles one snapshot given as a flat field list.</summary>
    public Task HandleAsync(string bucket, string sessionId, RedisResult snapshot, CancellationToken cancellationToken) =>
        DispatchAsync(bucket, sessionId, SessionRecord.FromResult(sessionId, snapshot), cancellationToken);

    private async Task DispatchAsync(string bucket, string sessionId, SessionRecord? record, CancellationToken cancellationToken)
    {
        var keys = _manager.Keys;
        var db = _manager.Db;
        if (record is null)
        {
            // The snapshot has no user: it was damaged outside RedisSessions. Nothing to hand to callbacks.
            await db.ScriptEvaluateAsync(SessionScripts.Ack, [keys.Pending(bucket), keys.Ended(bucket, sessionId)], [sessionId]).ConfigureAwait(false);
            return;
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
            var ack = db.ScriptEvaluateAsync(SessionScripts.Ack, [keys.Pending(bucket), keys.Ended(bucket, sessionId)], [sessionId]);
            var append = AppendEventAsync(db, record, reason);
            await _manager.RunAsync("acknowledge", () => ack).ConfigureAwait(false);
            await append.ConfigureAwait(false);
        }
        finally
        {
            _inFlight.TryRemove((bucket, sessionId), out _);
        }
    }

    private async Task AppendEventAsync(IDatabase db, SessionRecord record, TerminationReason reason)
    {
        var max = _manager.Settings.EventStreamMaxLength;
        if (max == 0)
        {
            return;
        }
        try
        {
            await db.ScriptEvaluateAsync(SessionScripts.AppendEvent, [_manager.Keys.Events],
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
            ]).ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisConnector.IsUnavailable(ex) || ex is RedisServerException)
        {
            _manager.LogEventAppendFailed(ex, record.SessionId);
        }
    }

    private Task<RedisResult> ReleaseAsync(string bucket, string sessionId) =>
        _manager.Db.ScriptEvaluateAsync(SessionScripts.Release, [_manager.Keys.Pending(bucket), _manager.Keys.Ended(bucket, sessionId)],
            [sessionId, _manager.NowMs, (string)_manager.Keys.PendingChannel!]);

    /// <summary>Sweeps every bucket. Returns (sessions ended, terminations handled here).</summary>
    public async Task<(int Expired, int Handled)> SweepAllAsync(CancellationToken cancellationToken)
    {
        var expired = 0;
        var before = Handled;
        await Parallel.ForEachAsync(SessionKeys.AllBuckets(), new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = cancellationToken },
            async (bucket, ct) => Interlocked.Add(ref expired, await SweepBucketAsync(bucket, ct).ConfigureAwait(false))).ConfigureAwait(false);
        return (expired, (int)(Handled - before));
    }

    /// <summary>Ends the bucket's sessions whose time is up and claims its abandoned terminations; returns how many ended.</summary>
    public async Task<int> SweepBucketAsync(string bucket, CancellationToken cancellationToken)
    {
        var keys = _manager.Keys;
        var total = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var now = _manager.NowMs;
            var result = await _manager.RunAsync("sweep", () => _manager.Db.ScriptEvaluateAsync(SessionScripts.Sweep,
                [keys.Expiry(bucket), keys.Pending(bucket), keys.Users(bucket)],
                [now, _manager.RetentionMs, _manager.Settings.NodeName, ClaimUntil(now), SweepBatch, (string)keys.PendingChannel!])).ConfigureAwait(false);
            var items = (RedisResult[])result!;
            total += (int)items[0];
            await HandleSnapshotsAsync(bucket, items, 2, cancellationToken).ConfigureAwait(false);
            if ((int)items[1] == 0)
            {
                return total;
            }
        }
    }

    /// <summary>Waits for callbacks in flight (bounded by the claim timeout).</summary>
    public async Task DrainAsync()
    {
        var deadline = DateTime.UtcNow + _manager.Settings.TerminationClaimTimeout;
        while (!_inFlight.IsEmpty && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20).ConfigureAwait(false);
        }
    }

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
