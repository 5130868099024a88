using System.Globalization;
using RedisSessions.Keys;
using RedisSessions.Scripts;
using StackExchange.Redis;

namespace RedisSessions.Administration;

/// <summary>
/// Finds what <see cref="CleanupKind"/> names, reading only. Per tag: the counter, the due index and each listed user's
/// index (ZSCAN), the sessions those list (<see cref="AdminCalls.ReadSessionsAsync"/>, a page at a time), the pending
/// index, the wake key against the tag's next deadline, and the counter again — it is compared with what the indexes
/// hold only when it did not move during the walk. With a keyspace scan first, the user indexes and session hashes no
/// index reaches are walked and checked too.
/// </summary>
internal sealed class CleanupPlanner
{
    private readonly ScriptContext _scripts;

    public CleanupPlanner(ScriptContext scripts) => _scripts = scripts;

    private KeySchema Keys => _scripts.Keys;

    /// <summary>What a keyspace scan found in one tag: user indexes (by member) and session hashes (by id).</summary>
    internal sealed class ScannedTag
    {
        public HashSet<string> Users { get; } = new(StringComparer.Ordinal);

        public HashSet<string> Sessions { get; } = new(StringComparer.Ordinal);
    }

    public async Task<CleanupPlan> PlanAsync(IConnectionMultiplexer redis, bool scanKeyspace, CancellationToken cancellationToken)
    {
        var db = redis.GetDatabase();
        var plannedAt = await SessionAdmin.RedisNowAsync(db).ConfigureAwait(false);
        var scanned = scanKeyspace ? await ScanAsync(redis, cancellationToken).ConfigureAwait(false) : null;
        var perTag = new List<CleanupItem>[Tags.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, Tags.Count),
            new ParallelOptions { MaxDegreeOfParallelism = SessionAdmin.TagsInFlight, CancellationToken = cancellationToken },
            async (i, ct) => perTag[i] = await PlanTagAsync(db, Tags.All[i], scanned?.GetValueOrDefault(Tags.All[i]), ct).ConfigureAwait(false)).ConfigureAwait(false);
        return new CleanupPlan(perTag.SelectMany(items => items).ToList(), scanKeyspace, DateTimeOffset.FromUnixTimeMilliseconds(plannedAt), Keys.Prefix);
    }

    /// <summary>SCAN MATCH {prefix}:{* on every primary (never KEYS): the user indexes and session hashes of each tag.</summary>
    private async Task<Dictionary<string, ScannedTag>> ScanAsync(IConnectionMultiplexer redis, CancellationToken cancellationToken)
    {
        var found = new Dictionary<string, ScannedTag>(StringComparer.Ordinal);
        var database = redis.GetDatabase().Database;
        foreach (var server in SessionAdmin.Primaries(redis))
        {
            await foreach (var key in server.KeysAsync(database, Keys.Prefix + ":{*", pageSize: 1000).WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                if (!Keys.TryParseTagKey(key, out var tag, out var kind, out var rest) || rest.Length == 0)
                {
                    continue;
                }
                if (!found.TryGetValue(tag, out var scannedTag))
                {
                    found[tag] = scannedTag = new ScannedTag();
                }
                switch (kind)
                {
                    case "user": scannedTag.Users.Add(rest); break;
                    case "session": scannedTag.Sessions.Add(rest); break;
                    default: break;
                }
            }
        }
        return found;
    }

    private async Task<List<CleanupItem>> PlanTagAsync(IDatabase db, string tag, ScannedTag? scanned, CancellationToken cancellationToken)
    {
        var items = new List<CleanupItem>();
        var counterBefore = (string?)await db.StringGetAsync(Keys.Sessions(tag)).ConfigureAwait(false);
        var due = new Dictionary<string, double>(StringComparer.Ordinal);
        await foreach (var (member, score) in SessionAdmin.ScanAsync(db, Keys.Due(tag), cancellationToken).ConfigureAwait(false))
        {
            due[member] = score;
        }
        var members = due.Keys.ToList();
        if (scanned is not null)
        {
            members.AddRange(scanned.Users.Where(u => !due.ContainsKey(u)).Order(StringComparer.Ordinal));
        }

        long open = 0;          // what the counter should say: sessions of the tag not ended yet
        var listed = new HashSet<string>(StringComparer.Ordinal); // sessions listed in their own user's index
        foreach (var member in members)
        {
            var user = UserKeys.ForMember(Keys, tag, member);
            var entries = new Dictionary<string, double>(StringComparer.Ordinal);
            await foreach (var (sid, score) in SessionAdmin.ScanAsync(db, user.Index, cancellationToken).ConfigureAwait(false))
            {
                entries[sid] = score;
            }
            var inDue = due.TryGetValue(member, out var dueScore);
            if (entries.Count == 0)
            {
                if (inDue)
                {
                    items.Add(new CleanupItem(CleanupKind.OrphanedDueEntry, tag, Keys.Due(tag)!, null, member,
                        $"user {member} is due at {Time(dueScore)} but its index {(string?)user.Index} is empty"));
                }
                continue;
            }
            var earliest = entries.Values.Min();
            if (!inDue)
            {
                items.Add(new CleanupItem(CleanupKind.UnscheduledUser, tag, Keys.Due(tag)!, null, member,
                    $"{(string?)user.Index} holds {entries.Count} session(s) but the due index doesn't list the user: no sweep visits them"));
            }
            else if (dueScore != earliest)
            {
                items.Add(new CleanupItem(CleanupKind.DueScoreMismatch, tag, Keys.Due(tag)!, null, member,
                    $"user {member} is due at {Time(dueScore)}; its earliest expiry is {Time(earliest)}"));
            }
            foreach (var page in entries.Keys.Chunk(SessionAdmin.SessionsPerCall))
            {
                var (now, sessions) = await AdminCalls.ReadSessionsAsync(db, Keys, tag, page, withData: false).ConfigureAwait(false);
                foreach (var s in sessions)
                {
                    if (s.HasEnded)
                    {
                        items.Add(Stale(tag, user, s.SessionId, "ended", string.Empty, $"listed in {(string?)user.Index} but it has ended"));
                    }
                    else if (s.User is null)
                    {
                        open++; // the counter still counts it until its entry goes
                        items.Add(Stale(tag, user, s.SessionId, "gone", string.Empty,
                            $"listed in {(string?)user.Index} but its session hash is gone (it ran out before any sweep reached it)"));
                    }
                    else if (UserIds.Member(s.User) != member)
                    {
                        items.Add(Stale(tag, user, s.SessionId, "foreign", s.User, $"listed in {(string?)user.Index} but it is a session of user {s.User}"));
                    }
                    else
                    {
                        open++;
                        listed.Add(s.SessionId);
                        if (s.ExpiresMs <= now)
                        {
                            items.Add(new CleanupItem(CleanupKind.OverdueSession, tag, Keys.Session(tag, s.SessionId)!, s.SessionId, member,
                                $"user {s.User}: its time was up at {Time(s.ExpiresMs)} ({Ago(now - s.ExpiresMs)} ago) and nothing ended it"));
                        }
                    }
                }
            }
        }

        var pending = new Dictionary<string, double>(StringComparer.Ordinal);
        await foreach (var (sid, score) in SessionAdmin.ScanAsync(db, Keys.Pending(tag), cancellationToken).ConfigureAwait(false))
        {
            pending[sid] = score;
        }
        foreach (var page in pending.Keys.Chunk(SessionAdmin.SessionsPerCall))
        {
            var (_, snapshots) = await AdminCalls.ReadSessionsAsync(db, Keys, tag, page, withData: false).ConfigureAwait(false);
            foreach (var s in snapshots.Where(s => s.IsMissing))
            {
                var score = pending[s.SessionId];
                items.Add(new CleanupItem(CleanupKind.StalePendingEntry, tag, Keys.Pending(tag)!, s.SessionId, null,
                    $"{(score == 0 ? "ready for any handler" : $"leased until {Time(score)}")}, but its snapshot is gone: no handler can run it"));
            }
        }

        if (scanned is not null)
        {
            var unlisted = scanned.Sessions.Where(sid => !listed.Contains(sid)).Order(StringComparer.Ordinal).ToList();
            foreach (var page in unlisted.Chunk(SessionAdmin.SessionsPerCall))
            {
                var (_, sessions) = await AdminCalls.ReadSessionsAsync(db, Keys, tag, page, withData: false).ConfigureAwait(false);
                foreach (var s in sessions)
                {
                    if (s.IsOpen && Tags.Of(s.User!) == tag)
                    {
                        open++;
                        var user = UserKeys.For(Keys, s.User!);
                        items.Add(new CleanupItem(CleanupKind.UnindexedSession, tag, user.Index!, s.SessionId, user.Member,
                            $"a session of user {s.User} that {(string?)user.Index} doesn't list: no sweep ends it, no limit counts it") { OtherUser = s.User! });
                    }
                    else if (s.HasEnded && s.User is not null && !pending.ContainsKey(s.SessionId))
                    {
                        items.Add(new CleanupItem(CleanupKind.UnqueuedSnapshot, tag, Keys.Pending(tag)!, s.SessionId, UserIds.Member(s.User),
                            $"ended at {Time(s.EndedMs)} but no pending entry points to its snapshot: no handler will run its callbacks"));
                    }
                }
            }
        }

        var (nowMs, nextDue, nextPending) = await TagCalls.NextDueAsync(db, _scripts, tag).ConfigureAwait(false);
        var next = new[] { nextDue, nextPending }.Where(t => t > 0).DefaultIfEmpty(-1).Min();
        if (next > nowMs)
        {
            var wakeAt = (long)await db.ExecuteAsync("PEXPIRETIME", Keys.Wake(tag)).ConfigureAwait(false);
            if (wakeAt < 0 || wakeAt > next + 1)
            {
                items.Add(new CleanupItem(CleanupKind.WakeMismatch, tag, Keys.Wake(tag)!, null, null,
                    $"{(wakeAt < 0 ? "missing" : $"expires at {Time(wakeAt)}")}; the tag's next deadline is {Time(next)}: its sessions would end late"));
            }
        }

        var counterAfter = (string?)await db.StringGetAsync(Keys.Sessions(tag)).ConfigureAwait(false);
        if (counterBefore == counterAfter && Count(counterBefore) != open)
        {
            items.Add(new CleanupItem(CleanupKind.CounterMismatch, tag, Keys.Sessions(tag)!, null, null,
                $"says {counterBefore ?? "nothing (0)"}; the tag's indexes hold {open} session(s) not ended"));
        }
        return items;
    }

    private static CleanupItem Stale(string tag, UserKeys user, string sessionId, string finding, string otherUser, string detail) =>
        new(CleanupKind.StaleIndexEntry, tag, user.Index!, sessionId, user.Member, detail) { Finding = finding, OtherUser = otherUser };

    /// <summary>The counter as a number: missing is 0; anything that isn't a number is -1 (never right).</summary>
    internal static long Count(string? counter) =>
        counter is null ? 0 : long.TryParse(counter, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : -1;

    private static string Time(double unixMs) =>
        DateTimeOffset.FromUnixTimeMilliseconds((long)unixMs).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static string Ago(long ms)
    {
        var span = TimeSpan.FromMilliseconds(Math.Max(0, ms));
        return span.TotalHours >= 1 ? $"{(int)span.TotalHours}h {span.Minutes:00}m"
            : span.TotalMinutes >= 1 ? $"{span.Minutes}m {span.Seconds:00}s"
            : span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + "s";
    }
}
