using System.Diagnostics;
using StackExchange.Redis;

namespace RedisSessions.Internal;

// The deadline schedule: when each bucket next has work (a session's expiry, or a claim that runs out).
internal sealed partial class SessionSweeper
{
    /// <summary>
    /// The earliest moment a bucket has work: the lowest score of its expiry index (a lower bound of a session's deadline) or of its
    /// pending claims (when a claim runs out; 'now' for terminations left for any handler). Read only.
    /// KEYS: 1 expiry index, 2 pending (same bucket). Returns Unix ms, or -1 when the bucket has neither.
    /// </summary>
    internal static readonly StoredScript NextDueScript = new("next-due", """
        local e = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
        local p = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
        local due = -1
        if e[2] then due = tonumber(e[2]) end
        if p[2] and (due < 0 or tonumber(p[2]) < due) then due = tonumber(p[2]) end
        return due
        """);

    private RedisKey[][]? _bucketKeys;

    /// <summary>Reads every bucket's next deadline (1,024 scripts, pipelined) and schedules a sweep for each.</summary>
    private async Task RefreshDeadlinesAsync(CancellationToken stop)
    {
        var keys = _bucketKeys ??= SessionKeys.AllBuckets().Select(b => new[] { _manager.Keys.Expiry(b), _manager.Keys.Pending(b) }).ToArray();
        var db = _manager.Db;
        var reads = new Task<RedisResult>[keys.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            reads[i] = NextDueScript.EvaluateAsync(db, keys[i]);
        }
        Exception? failure = null;
        try
        {
            await Task.WhenAll(reads).WaitAsync(RedisTimeout, stop).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsTransient(ex))
        {
            // On a cluster with one master unreachable the buckets of the others still count: keep what was read.
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
            var due = (long)reads[i].Result;
            if (due >= 0)
            {
                _schedule.Set(SessionKeys.BucketName(i), due);
            }
        }
        if (failed == 0)
        {
            Interlocked.Exchange(ref _lastRefreshOk, Stopwatch.GetTimestamp());
        }
        else if (failed == reads.Length)
        {
            throw failure ?? new TimeoutException("No bucket's next deadline could be read.");
        }
        else
        {
            Log.DeadlineRefreshIncomplete(_manager.Logger, failure!, failed, reads.Length);
        }
    }

    private async Task<long> NextDueAsync(string bucket)
    {
        var result = await NextDueScript.EvaluateAsync(_manager.Db, [_manager.Keys.Expiry(bucket), _manager.Keys.Pending(bucket)]).ConfigureAwait(false);
        return (long)result;
    }

    /// <summary>Bucket → when to sweep it next, earliest first. A bucket is in it at most once (its earliest known due
    /// time); a later refresh that finds an earlier one replaces it, a later time leaves it (the sweep then finds
    /// nothing and the next due time is read again).</summary>
    private sealed class DeadlineSchedule
    {
        private readonly object _gate = new();
        private readonly PriorityQueue<string, long> _queue = new();
        private readonly Dictionary<string, long> _due = new(StringComparer.Ordinal);

        /// <summary>Schedules <paramref name="bucket"/> at <paramref name="dueMs"/> unless it is due earlier already.
        /// True when this changed the schedule.</summary>
        public bool Set(string bucket, long dueMs)
        {
            lock (_gate)
            {
                if (_due.TryGetValue(bucket, out var current) && current <= dueMs)
                {
                    return false;
                }
                _due[bucket] = dueMs;
                _queue.Enqueue(bucket, dueMs);
                if (_queue.Count > 4 * SessionKeys.BucketCount)
                {
                    // Drop the entries a nearer due time replaced.
                    _queue.Clear();
                    foreach (var (name, due) in _due)
                    {
                        _queue.Enqueue(name, due);
                    }
                }
                return true;
            }
        }

        /// <summary>The earliest due time (Unix ms), or long.MaxValue.</summary>
        public long NextDue
        {
            get
            {
                lock (_gate)
                {
                    while (_queue.TryPeek(out var bucket, out var due))
                    {
                        if (_due.TryGetValue(bucket, out var current) && current == due)
                        {
                            return due;
                        }
                        _queue.Dequeue();
                    }
                    return long.MaxValue;
                }
            }
        }

        /// <summary>Removes and returns the buckets due at <paramref name="nowMs"/>.</summary>
        public List<string> TakeDue(long nowMs)
        {
            var due = new List<string>();
            lock (_gate)
            {
                while (_queue.TryPeek(out var bucket, out var at) && at <= nowMs)
                {
                    _queue.Dequeue();
                    if (_due.TryGetValue(bucket, out var current) && current == at)
                    {
                        _due.Remove(bucket);
                        due.Add(bucket);
                    }
                }
            }
            return due;
        }
    }
}
