using System.Globalization;
using StackExchange.Redis;

namespace RedisSessions.Faults.Tests.Infrastructure;

/// <summary>
/// Reads a prefix's keys straight from Redis (SCAN on every primary, test inspection only) and checks that they
/// fit together the way the key schema says: nothing half-written, nothing orphaned. Run it while no manager
/// writes (after their shutdown), so the reads see one state.
/// </summary>
public static class StoreInspector
{
    /// <summary>Every key of <paramref name="prefix"/> on every connected primary.</summary>
    public static async Task<List<string>> KeysAsync(IConnectionMultiplexer redis, string prefix)
    {
        var keys = new List<string>();
        foreach (var server in redis.GetServers().Where(s => s.IsConnected && !s.IsReplica))
        {
            await foreach (var key in server.KeysAsync(redis.GetDatabase().Database, prefix + ":*", pageSize: 1000))
            {
                keys.Add((string)key!);
            }
        }
        return keys;
    }

    /// <summary>The keys left once every session has ended and its termination was handled, other than the events
    /// stream and heartbeats (and, when the notice period is on, the notices: hashes of just ended and reason).
    /// Should be none.</summary>
    public static async Task<List<string>> LeftoversAsync(IConnectionMultiplexer redis, string prefix, bool noticesKept = false)
    {
        var db = redis.GetDatabase();
        var left = new List<string>();
        foreach (var key in await KeysAsync(redis, prefix))
        {
            if (key == prefix + ":events" || key.StartsWith(prefix + ":heartbeat:", StringComparison.Ordinal))
            {
                continue;
            }
            if (noticesKept && key.Contains(":session:", StringComparison.Ordinal))
            {
                var fields = (await db.HashKeysAsync(key)).Select(f => (string)f!).Order(StringComparer.Ordinal).ToArray();
                if (fields.SequenceEqual(["ended", "reason"]))
                {
                    continue;
                }
            }
            left.Add(key);
        }
        return left;
    }

    /// <summary>Checks the schema's invariants over every key of <paramref name="prefix"/>; returns what breaks them.</summary>
    /// <remarks>
    /// <list type="bullet">
    /// <item>A live session hash (user, no ended) is in its user's index, scored by its expiry.</item>
    /// <item>An ended session's snapshot (ended, reason, attempt, owner) is in its tag's pending index; a notice
    /// (ended and reason only) is not.</item>
    /// <item>Every user index entry names a live session hash of that user; every pending entry names a snapshot.</item>
    /// <item>The due index scores each user with a non-empty index by its earliest expiry, and has no other member.</item>
    /// <item>A tag's sessions counter equals its user index entries.</item>
    /// </list>
    /// </remarks>
    public static async Task<List<string>> ViolationsAsync(IConnectionMultiplexer redis, string prefix)
    {
        var db = redis.GetDatabase();
        var problems = new List<string>();
        var sessions = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        var indexes = new Dictionary<string, SortedSetEntry[]>(StringComparer.Ordinal);
        var dues = new Dictionary<string, SortedSetEntry[]>(StringComparer.Ordinal);
        var pendings = new Dictionary<string, SortedSetEntry[]>(StringComparer.Ordinal);
        var counters = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var key in await KeysAsync(redis, prefix))
        {
            if (!TryTag(prefix, key, out var tag, out var rest))
            {
                continue;
            }
            if (rest.StartsWith("session:", StringComparison.Ordinal))
            {
                var entries = await db.HashGetAllAsync(key);
                sessions[key] = entries.ToDictionary(e => (string)e.Name!, e => (string)e.Value!, StringComparer.Ordinal);
            }
            else if (rest.StartsWith("user:", StringComparison.Ordinal))
            {
                indexes[key] = await db.SortedSetRangeByRankWithScoresAsync(key);
            }
            else if (rest == "due")
            {
                dues[tag] = await db.SortedSetRangeByRankWithScoresAsync(key);
            }
            else if (rest == "pending")
            {
                pendings[tag] = await db.SortedSetRangeByRankWithScoresAsync(key);
            }
            else if (rest == "sessions")
            {
                counters[tag] = (long)await db.StringGetAsync(key);
            }
        }

        var indexEntries = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (key, entries) in indexes)
        {
            TryTag(prefix, key, out var tag, out var rest);
            var member = rest["user:".Length..];
            indexEntries[tag] = indexEntries.GetValueOrDefault(tag) + entries.Length;
            foreach (var entry in entries)
            {
                var sessionKey = $"{prefix}:{{{tag}}}:session:{entry.Element}";
                if (!sessions.TryGetValue(sessionKey, out var fields))
                {
                    problems.Add($"{key} lists {entry.Element}, whose hash does not exist");
                }
                else if (fields.ContainsKey("ended"))
                {
                    problems.Add($"{key} lists {entry.Element}, which has ended");
                }
                else if (fields.GetValueOrDefault("user") != member)
                {
                    problems.Add($"{key} lists {entry.Element}, whose hash belongs to {fields.GetValueOrDefault("user")}");
                }
            }
            var due = dues.GetValueOrDefault(tag, []).FirstOrDefault(d => (string)d.Element! == member);
            if (entries.Length > 0 && (due.Element.IsNull || due.Score != entries[0].Score))
            {
                problems.Add($"{key}: the due index of its tag does not score {member} by its earliest expiry ({entries[0].Score})");
            }
        }
        foreach (var (tag, entries) in dues)
        {
            foreach (var entry in entries.Where(e => !indexes.ContainsKey($"{prefix}:{{{tag}}}:user:{e.Element}")))
            {
                problems.Add($"the due index of {tag} lists {entry.Element}, who has no session");
            }
        }
        foreach (var (key, fields) in sessions)
        {
            TryTag(prefix, key, out var tag, out var rest);
            var sid = rest["session:".Length..];
            var pending = pendings.GetValueOrDefault(tag, []).Any(p => (string)p.Element! == sid);
            if (!fields.ContainsKey("ended"))
            {
                if (!fields.TryGetValue("user", out var user) || !fields.ContainsKey("expires"))
                {
                    problems.Add($"{key}: a session hash without user or expires");
                    continue;
                }
                var index = indexes.GetValueOrDefault($"{prefix}:{{{tag}}}:user:{user}", []).FirstOrDefault(e => (string)e.Element! == sid);
                var expires = long.Parse(fields["expires"], CultureInfo.InvariantCulture);
                if (index.Element.IsNull)
                {
                    problems.Add($"{key}: a live session missing from its user's index");
                }
                else if (index.Score < expires || index.Score >= expires + 1)
                {
                    problems.Add($"{key}: scored {index.Score} in its user's index, expires {expires}");
                }
                if (pending)
                {
                    problems.Add($"{key}: a live session in the pending index");
                }
            }
            else if (fields.Count == 2 && fields.ContainsKey("reason"))
            {
                if (pending)
                {
                    problems.Add($"{key}: a notice (handled termination) still pending");
                }
            }
            else if (!pending)
            {
                problems.Add($"{key}: an ended session's snapshot that no pending index holds (its termination would never be handled)");
            }
        }
        foreach (var (tag, entries) in pendings)
        {
            foreach (var entry in entries.Where(e => !sessions.ContainsKey($"{prefix}:{{{tag}}}:session:{e.Element}")))
            {
                problems.Add($"the pending index of {tag} lists {entry.Element}, whose snapshot does not exist");
            }
        }
        foreach (var tag in counters.Keys.Union(indexEntries.Keys))
        {
            if (counters.GetValueOrDefault(tag) != indexEntries.GetValueOrDefault(tag))
            {
                problems.Add($"the sessions counter of {tag} says {counters.GetValueOrDefault(tag)}, its user indexes hold {indexEntries.GetValueOrDefault(tag)}");
            }
        }
        return problems;
    }

    private static bool TryTag(string prefix, string key, out string tag, out string rest)
    {
        tag = rest = string.Empty;
        var head = prefix + ":{";
        if (!key.StartsWith(head, StringComparison.Ordinal) || key.Length < head.Length + 5 || key[head.Length + 3] != '}' || key[head.Length + 4] != ':')
        {
            return false;
        }
        tag = key.Substring(head.Length, 3);
        rest = key[(head.Length + 5)..];
        return true;
    }
}
