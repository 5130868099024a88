using RedisSessions.Cli.Connection;
using RedisSessions.Cli.Output;
using RedisSessions.Internal;
using StackExchange.Redis;

namespace RedisSessions.Cli.Inspection;

/// <summary>
/// The seed's emergency clean-up, made safe. <see cref="PlanAsync"/> only reads: it walks the users hash, expiry zset
/// and pending zset of every bucket and (unless told not to) SCANs <c>{prefix}:{*</c> on each master for keys no index
/// points to. <see cref="ApplyAsync"/> fixes each item with a script that re-checks the item's condition atomically, so
/// what changed since the plan (a session that came back, a snapshot a handler took) is left alone; sessions past their
/// time are ended by the library's own sweep script, so their callbacks run once, in a listener.
/// </summary>
internal sealed class CleanupPlanner
{
    private const int ScanPageSize = 1000;
    private const int ExpiryPageSize = 500;
    private const int InFlight = 16;
    private readonly CliContext _context;

    public CleanupPlanner(CliContext context) => _context = context;

    public async Task<List<CleanupItem>> PlanAsync(bool scanKeyspace, CancellationToken cancellationToken)
    {
        var keys = _context.Keys;
        var now = CliContext.NowMs;
        var items = new List<CleanupItem>();

        var entries = await new SessionWalker(_context).WalkAsync(_ => true, cancellationToken);
        var indexed = new HashSet<string>(entries.Select(e => e.SessionId), StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (!entry.HasSession)
            {
                items.Add(new CleanupItem(CleanupKinds.StaleUserEntry, entry.Bucket, entry.SessionId, (string)keys.Users(entry.Bucket)!,
                    $"listed for user {Text.Safe(entry.UserPart)}; its session hash is gone", entry.UserPart));
            }
            else if (entry.IsOverdue(now))
            {
                items.Add(new CleanupItem(CleanupKinds.OverdueSession, entry.Bucket, entry.SessionId, (string)keys.Session(entry.Bucket, entry.SessionId)!,
                    $"user {Text.Safe(entry.User!)}, expired {Text.Duration(TimeSpan.FromMilliseconds(now - entry.Expires))} ago", entry.UserPart));
            }
        }

        // Each user's expiry score must be at or before its earliest session's expiry: the sweep visits a user only once
        // its score has passed (a lower score is normal: slides never rewrite it).
        var earliest = entries.Where(e => e.HasSession)
            .GroupBy(e => (e.Bucket, e.UserPart))
            .ToDictionary(g => g.Key, g => g.Min(e => e.Expires));
        var scores = new Dictionary<(string Bucket, string UserPart), long>();
        foreach (var member in await ReadExpiryAsync(cancellationToken))
        {
            if (member.HasUser)
            {
                scores[(member.Bucket, member.UserPart)] = member.Score;
            }
            else
            {
                items.Add(new CleanupItem(CleanupKinds.StaleExpiryEntry, member.Bucket, null, (string)keys.Expiry(member.Bucket)!,
                    $"user {Text.Safe(member.UserPart)} has no entry in the users hash", member.UserPart));
            }
        }
        foreach (var ((bucket, userPart), at) in earliest.OrderBy(e => e.Key.Bucket, StringComparer.Ordinal).ThenBy(e => e.Key.UserPart, StringComparer.Ordinal))
        {
            var detail = !scores.TryGetValue((bucket, userPart), out var score)
                ? $"user {Text.Safe(userPart)} is not in it: the sweep never visits its sessions (earliest expiry {Text.Time(DateTimeOffset.FromUnixTimeMilliseconds(at))})"
                : score > at
                    ? $"user {Text.Safe(userPart)} scored {Text.Time(DateTimeOffset.FromUnixTimeMilliseconds(score))}, after its earliest session's expiry {Text.Time(DateTimeOffset.FromUnixTimeMilliseconds(at))}"
                    : null;
            if (detail is not null)
            {
                items.Add(new CleanupItem(CleanupKinds.StaleExpiryScore, bucket, null, (string)keys.Expiry(bucket)!, detail, userPart));
            }
        }

        var pending = await ReadPendingAsync(cancellationToken);
        foreach (var entry in pending.Where(p => !p.HasSnapshot))
        {
            items.Add(new CleanupItem(CleanupKinds.StalePendingEntry, entry.Bucket, entry.SessionId, (string)keys.Pending(entry.Bucket)!, "its ended snapshot is gone"));
        }

        if (scanKeyspace)
        {
            var pendingIds = new HashSet<string>(pending.Select(p => p.SessionId), StringComparer.Ordinal);
            items.AddRange(await FindOrphansAsync(indexed, pendingIds, cancellationToken));
        }
        _context.Progress.Clear();
        return items;
    }

    /// <summary>Every bucket's expiry zset members, each with whether its user still has an entry in the users hash.</summary>
    private async Task<List<(string Bucket, string UserPart, long Score, bool HasUser)>> ReadExpiryAsync(CancellationToken cancellationToken)
    {
        var found = new List<(string Bucket, string UserPart, long Score, bool HasUser)>();
        var gate = new object();
        var done = 0;
        await Parallel.ForEachAsync(SessionKeys.AllBuckets(), new ParallelOptions { MaxDegreeOfParallelism = InFlight, CancellationToken = cancellationToken },
            async (bucket, ct) =>
            {
                for (var first = 0; ; first += ExpiryPageSize)
                {
                    ct.ThrowIfCancellationRequested();
                    var page = (RedisResult[])(await CliScripts.ReadExpiry.EvaluateAsync(_context.Db,
                        [_context.Keys.Expiry(bucket), _context.Keys.Users(bucket)], [first, ExpiryPageSize]))!;
                    lock (gate)
                    {
                        for (var i = 0; i + 2 < page.Length; i += 3)
                        {
                            found.Add((bucket, (string)page[i]!, (long)(double)page[i + 1], (long)page[i + 2] == 1));
                        }
                    }
                    if (page.Length < ExpiryPageSize * 3)
                    {
                        break;
                    }
                }
                _context.Progress.Report($"reading the expiry schedules: bucket {Interlocked.Increment(ref done)}/{SessionKeys.BucketCount}");
            });
        return found;
    }

    private async Task<List<(string Bucket, string SessionId, bool HasSnapshot)>> ReadPendingAsync(CancellationToken cancellationToken)
    {
        var found = new List<(string Bucket, string SessionId, bool HasSnapshot)>();
        var gate = new object();
        var done = 0;
        await Parallel.ForEachAsync(SessionKeys.AllBuckets(), new ParallelOptions { MaxDegreeOfParallelism = InFlight, CancellationToken = cancellationToken },
            async (bucket, _) =>
            {
                var result = (RedisResult[])(await CliScripts.ReadPending.EvaluateAsync(_context.Db, [_context.Keys.Pending(bucket)]))!;
                lock (gate)
                {
                    for (var i = 0; i + 2 < result.Length; i += 3)
                    {
                        found.Add((bucket, (string)result[i]!, (long)result[i + 2] == 1));
                    }
                }
                _context.Progress.Report($"reading pending terminations: bucket {Interlocked.Increment(ref done)}/{SessionKeys.BucketCount}");
            });
        return found;
    }

    /// <summary>SCANs (never KEYS) each master for the prefix's session hashes and snapshots and reports those no index
    /// points to.</summary>
    private async Task<List<CleanupItem>> FindOrphansAsync(HashSet<string> indexed, HashSet<string> pending, CancellationToken cancellationToken)
    {
        var keys = _context.Keys;
        var database = _context.Db.Database;
        var pattern = keys.Prefix + ":{*";
        var sessions = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var snapshots = new List<(string Bucket, string SessionId, string Key)>();
        long scanned = 0;
        foreach (var server in _context.Masters)
        {
            await Task.Run(() =>
            {
                foreach (var key in server.Keys(database, pattern, pageSize: ScanPageSize))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var name = (string)key!;
                    if (TryParse(name, out var bucket, out var kind, out var rest))
                    {
                        switch (kind)
                        {
                            case "session": sessions[rest] = bucket; break;
                            case "ended": snapshots.Add((bucket, rest, name)); break;
                        }
                    }
                    if (++scanned % 1000 == 0)
                    {
                        _context.Progress.Report($"scanning for orphaned keys: {Text.Count(scanned)} keys");
                    }
                }
            }, cancellationToken);
        }

        var items = new List<CleanupItem>();
        foreach (var (sessionId, bucket) in sessions.Where(s => !indexed.Contains(s.Key)))
        {
            items.Add(new CleanupItem(CleanupKinds.UnindexedSession, bucket, sessionId, (string)keys.Session(bucket, sessionId)!, "its user's entry in the users hash doesn't list it"));
        }
        foreach (var (bucket, sessionId, key) in snapshots.Where(s => !pending.Contains(s.SessionId)))
        {
            items.Add(new CleanupItem(CleanupKinds.OrphanSnapshot, bucket, sessionId, key, "no pending termination points to it"));
        }
        return items;
    }

    /// <summary>Splits <c>{prefix}:{bbb}:kind:rest</c>.</summary>
    private bool TryParse(string key, out string bucket, out string kind, out string rest)
    {
        bucket = kind = rest = string.Empty;
        var head = _context.Keys.Prefix + ":{";
        if (!key.StartsWith(head, StringComparison.Ordinal) || key.Length < head.Length + 6 || key[head.Length + 3] != '}' || key[head.Length + 4] != ':')
        {
            return false;
        }
        bucket = key.Substring(head.Length, 3);
        var tail = key[(head.Length + 5)..];
        var colon = tail.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return false;
        }
        kind = tail[..colon];
        rest = tail[(colon + 1)..];
        return true;
    }

    /// <summary>Fixes every item (each re-checked atomically); returns how many of each kind were fixed.</summary>
    public async Task<CleanupResult> ApplyAsync(IReadOnlyList<CleanupItem> items, CancellationToken cancellationToken)
    {
        var keys = _context.Keys;
        var db = _context.Db;
        var result = new CleanupResult();
        var sweepBuckets = new SortedSet<string>(StringComparer.Ordinal);

        // 1. Put lost sessions back in their user's entry and the expiry zset, and schedule users the expiry zset lost or
        //    scored too late, so the sweep below ends those whose time is up.
        foreach (var item in items.Where(i => i.Kind == CleanupKinds.UnindexedSession))
        {
            var outcome = (string?)await CliScripts.ReindexSession.EvaluateAsync(db,
                [keys.Users(item.Bucket), keys.Session(item.Bucket, item.SessionId!), keys.Expiry(item.Bucket)], [item.SessionId]);
            result.Count(outcome == "reindexed" ? "reindexed_sessions" : outcome == "deleted" ? "deleted_damaged_sessions" : "skipped");
            sweepBuckets.Add(item.Bucket);
        }
        foreach (var item in items.Where(i => i.Kind == CleanupKinds.StaleExpiryScore))
        {
            var rescored = (long)await CliScripts.RescoreUser.EvaluateAsync(db, [keys.Users(item.Bucket), keys.Expiry(item.Bucket)], [item.UserPart]);
            result.Count(rescored == 1 ? "rescored_entries" : "skipped");
            sweepBuckets.Add(item.Bucket);
        }

        // 2. Stale entries and orphaned keys, each re-checked by its script (before the sweep, which would drop some
        //    of the same entries as a side effect and leave them counted as skipped).
        var done = 0;
        var rest = items.Where(i => i.Kind is not (CleanupKinds.UnindexedSession or CleanupKinds.OverdueSession or CleanupKinds.StaleExpiryScore)).ToList();
        foreach (var item in rest)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (script, scriptKeys, values, counter) = item.Kind switch
            {
                CleanupKinds.StaleExpiryEntry => (CliScripts.DropStaleExpiryEntry, new RedisKey[] { keys.Expiry(item.Bucket), keys.Users(item.Bucket) },
                    new RedisValue[] { item.UserPart }, "removed_index_entries"),
                CleanupKinds.StalePendingEntry => (CliScripts.DropStalePendingEntry, [keys.Pending(item.Bucket), keys.Ended(item.Bucket, item.SessionId!)],
                    [item.SessionId], "removed_index_entries"),
                CleanupKinds.StaleUserEntry => (CliScripts.DropStaleUserEntry,
                    [keys.Users(item.Bucket), keys.Session(item.Bucket, item.SessionId!), keys.Expiry(item.Bucket), keys.Count(item.Bucket)],
                    [item.UserPart, item.SessionId], "removed_index_entries"),
                CleanupKinds.OrphanSnapshot => (CliScripts.DropOrphanSnapshot, [keys.Ended(item.Bucket, item.SessionId!), keys.Pending(item.Bucket)],
                    [item.SessionId], "deleted_orphaned_keys"),
                _ => throw new InvalidOperationException($"Unknown cleanup kind {item.Kind}."),
            };
            var applied = (long)await script.EvaluateAsync(db, scriptKeys, values);
            result.Count(applied == 1 ? counter : "skipped");
            _context.Progress.Report($"cleaning: {++done}/{rest.Count}");
        }

        // 3. Sessions past their time (and the buckets changed above, whose due key the sweep re-arms): the library's
        //    sweep of their buckets ends them as expired, leaving each termination pending for the listeners; the CLI has
        //    no callbacks and claims nothing.
        foreach (var item in items.Where(i => i.Kind == CleanupKinds.OverdueSession))
        {
            sweepBuckets.Add(item.Bucket);
        }
        done = 0;
        foreach (var bucket in sweepBuckets)
        {
            result.Count("ended_sessions", await _context.Manager.Terminations.SweepBucketAsync(bucket, cancellationToken));
            _context.Progress.Report($"sweeping: bucket {++done}/{sweepBuckets.Count}");
        }
        _context.Progress.Clear();
        return result;
    }
}
