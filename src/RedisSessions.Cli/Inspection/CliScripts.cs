using RedisSessions.Internal;

namespace RedisSessions.Cli.Inspection;

/// <summary>
/// The CLI's own Lua scripts. The read scripts walk the per-bucket indexes (never the keyspace); the cleanup scripts
/// each re-check, atomically, the condition the plan found, so a key that came back to life between plan and apply is
/// left alone. Every key a script touches is built from KEYS[1]'s <c>{bucket}</c> hash tag or passed in KEYS[], so
/// they run unchanged on Redis Cluster. The library's own writes (terminate, sweep) go through SessionManager.
/// The key schema and the session hash's fields are described on <see cref="SessionKeys"/>: a bucket's <c>users</c>
/// hash maps a user part to its session ids (space-separated, oldest first) and its <c>expiry</c> zset maps a user part
/// to a lower bound of that user's earliest expiry.
/// </summary>
internal static class CliScripts
{
    /// <summary>The session hash fields the walk reads, in this order (never the data fields).</summary>
    public static readonly string[] WalkFields = ["u", "c", "e", "n", "a", "l"];

    /// <summary>The library's index helpers (<c>user_part</c>, <c>split</c>, <c>write_user</c>, <c>count_down</c>) and the
    /// bucket's key prefix.</summary>
    private const string Helpers = SessionScripts.IndexWrites + """
        local base = string.match(KEYS[1], '^(.-{[^}]*}:)')

        """;

    /// <summary>
    /// One HSCAN page of a bucket's users hash with the summary fields of every session each entry lists (never data).
    /// KEYS: 1 users. ARGV: 1 cursor, 2 COUNT hint.
    /// Returns {next cursor, user part, sid, u, c, e, n, a, l, user part, sid, ...}; a missing hash (or field) gives nils.
    /// </summary>
    public static readonly StoredScript WalkUsers = new("cli-walk-users", Helpers + """
        local r = redis.call('HSCAN', KEYS[1], ARGV[1], 'COUNT', ARGV[2])
        local out = {r[1]}
        local page = r[2]
        for i = 1, #page, 2 do
          for _, s in ipairs(split(page[i + 1])) do
            local f = redis.call('HMGET', base .. 'session:' .. s, 'u', 'c', 'e', 'n', 'a', 'l')
            out[#out + 1] = page[i]
            out[#out + 1] = s
            for j = 1, 6 do out[#out + 1] = f[j] end
          end
        end
        return out
        """);

    /// <summary>
    /// One page of a bucket's expiry zset, each member with whether the users hash still has an entry for it.
    /// KEYS: 1 expiry, 2 users. ARGV: 1 first rank, 2 page size. Returns {user part, score, 1 | 0, ...}.
    /// </summary>
    public static readonly StoredScript ReadExpiry = new("cli-read-expiry", """
        local first = tonumber(ARGV[1])
        local page = redis.call('ZRANGE', KEYS[1], first, first + tonumber(ARGV[2]) - 1, 'WITHSCORES')
        local out = {}
        for i = 1, #page, 2 do
          out[#out + 1] = page[i]
          out[#out + 1] = page[i + 1]
          out[#out + 1] = redis.call('HEXISTS', KEYS[2], page[i])
        end
        return out
        """);

    /// <summary>
    /// A bucket's pending terminations. KEYS: 1 pending. Returns {sid, score, 1 | 0 (snapshot exists), ...}.
    /// </summary>
    public static readonly StoredScript ReadPending = new("cli-read-pending", """
        local base = string.match(KEYS[1], '^(.-{[^}]*}:)')
        local page = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
        local out = {}
        for i = 1, #page, 2 do
          out[#out + 1] = page[i]
          out[#out + 1] = page[i + 1]
          out[#out + 1] = redis.call('EXISTS', base .. 'ended:' .. page[i])
        end
        return out
        """);

    /// <summary>Removes an expiry zset member whose user has no entry in the users hash (nothing to sweep).
    /// KEYS: 1 expiry, 2 users. ARGV: 1 user part. Returns 1 when it removed it.</summary>
    public static readonly StoredScript DropStaleExpiryEntry = new("cli-drop-stale-expiry", """
        if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return 0 end
        return redis.call('ZREM', KEYS[1], ARGV[1])
        """);

    /// <summary>Drops a pending entry whose ended snapshot is gone (no handler could run it).
    /// KEYS: 1 pending, 2 ended snapshot. ARGV: 1 sid. Returns 1 when it dropped it.</summary>
    public static readonly StoredScript DropStalePendingEntry = new("cli-drop-stale-pending", """
        if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
        return redis.call('ZREM', KEYS[1], ARGV[1])
        """);

    /// <summary>Drops a sid whose session hash is gone from its user's entry, as the library does when it meets one: the
    /// entry (and the user's expiry member) goes when it lists nothing else, and the bucket's count goes down.
    /// KEYS: 1 users, 2 session, 3 expiry, 4 count. ARGV: 1 user part, 2 sid. Returns 1 when it dropped it.</summary>
    public static readonly StoredScript DropStaleUserEntry = new("cli-drop-stale-user", Helpers + """
        if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
        local keep, found = {}, false
        for _, s in ipairs(split(redis.call('HGET', KEYS[1], ARGV[1]))) do
          if s == ARGV[2] then found = true else keep[#keep + 1] = s end
        end
        if not found then return 0 end
        write_user(base, ARGV[1], keep) -- KEYS[1] and KEYS[3] (users, expiry)
        count_down(base)                -- KEYS[4]
        return 1
        """);

    /// <summary>Gives a user's expiry member the earliest expiry of the sessions its entry lists when the member is
    /// missing or later than that (the sweep would visit the user late, or never).
    /// KEYS: 1 users, 2 expiry. ARGV: 1 user part. Returns 1 when it re-scored it.</summary>
    public static readonly StoredScript RescoreUser = new("cli-rescore-user", Helpers + """
        local earliest = nil
        for _, s in ipairs(split(redis.call('HGET', KEYS[1], ARGV[1]))) do
          local v = redis.call('HMGET', base .. 'session:' .. s, 'c', 'e')
          if tonumber(v[1]) and tonumber(v[2]) then
            local at = tonumber(v[1]) + tonumber(v[2])
            if earliest == nil or at < earliest then earliest = at end
          end
        end
        if earliest == nil then return 0 end
        local current = redis.call('ZSCORE', KEYS[2], ARGV[1])
        if current and tonumber(current) <= earliest then return 0 end
        redis.call('ZADD', KEYS[2], earliest, ARGV[1])
        return 1
        """);

    /// <summary>Deletes an ended snapshot no pending entry points to (no handler will ever take it).
    /// KEYS: 1 ended snapshot, 2 pending. ARGV: 1 sid. Returns 1 when deleted.</summary>
    public static readonly StoredScript DropOrphanSnapshot = new("cli-drop-orphan-snapshot", """
        if redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 0 end
        return redis.call('DEL', KEYS[1])
        """);

    /// <summary>Puts a session hash its user's entry doesn't list back into the bucket's indexes: into the user's entry
    /// in creation order, and into the expiry zset (lowering the user's score to its expiry when that is earlier), so
    /// listing sees it and the sweep ends it when its time is up. A hash without user, created or expiry can't be a
    /// session: it is deleted. The bucket's count is left alone (the session was counted when it was created).
    /// KEYS: 1 users, 2 session, 3 expiry. ARGV: 1 sid. Returns 'reindexed' | 'deleted' | 'skipped'.</summary>
    public static readonly StoredScript ReindexSession = new("cli-reindex-session", Helpers + """
        if redis.call('EXISTS', KEYS[2]) == 0 then return 'skipped' end
        local f = redis.call('HMGET', KEYS[2], 'u', 'c', 'e')
        if not f[1] or not tonumber(f[2]) or not tonumber(f[3]) then
          redis.call('DEL', KEYS[2])
          return 'deleted'
        end
        local up, c = user_part(f[1]), tonumber(f[2])
        local sids = split(redis.call('HGET', KEYS[1], up))
        local at = #sids + 1
        for i, s in ipairs(sids) do
          if s == ARGV[1] then return 'skipped' end
          local other = tonumber(redis.call('HGET', base .. 'session:' .. s, 'c'))
          if at > #sids and other and other > c then at = i end
        end
        table.insert(sids, at, ARGV[1])
        redis.call('HSET', KEYS[1], up, table.concat(sids, ' '))
        redis.call('ZADD', KEYS[3], 'LT', c + tonumber(f[3]), up)
        return 'reindexed'
        """);
}
