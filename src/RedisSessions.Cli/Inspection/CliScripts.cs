namespace RedisSessions.Cli.Inspection;

/// <summary>
/// The CLI's own Lua scripts. The read scripts walk the per-bucket indexes (never the keyspace); the cleanup scripts
/// each re-check, atomically, the condition the plan found, so a key that came back to life between plan and apply is
/// left alone. Every key a script touches is built from KEYS[1]'s <c>{bucket}</c> hash tag or passed in KEYS[], so
/// they run unchanged on Redis Cluster. The library's own writes (terminate, sweep) go through SessionManager.
/// </summary>
internal static class CliScripts
{
    /// <summary>Fields read per session while walking: the hash's fields in this order, after sid and score.</summary>
    public static readonly string[] WalkFields = ["user", "node", "created", "last", "expires", "idle", "absolute"];

    /// <summary>
    /// One page of a bucket's expiry index with each session's summary fields (never its data).
    /// KEYS: 1 expiry index. ARGV: 1 first rank, 2 page size.
    /// Returns {sid, score, user, node, created, last, expires, idle, absolute, sid, ...}; a missing hash gives nils.
    /// </summary>
    public const string WalkExpiryIndex = """
        local base = string.match(KEYS[1], '^(.-{[^}]*}:)')
        local first = tonumber(ARGV[1])
        local page = redis.call('ZRANGE', KEYS[1], first, first + tonumber(ARGV[2]) - 1, 'WITHSCORES')
        local out = {}
        for i = 1, #page, 2 do
          local f = redis.call('HMGET', base .. 'session:' .. page[i], 'user', 'node', 'created', 'last', 'expires', 'idle', 'absolute')
          out[#out + 1] = page[i]
          out[#out + 1] = page[i + 1]
          for j = 1, 7 do out[#out + 1] = f[j] end
        end
        return out
        """;

    /// <summary>
    /// A bucket's pending terminations. KEYS: 1 pending. Returns {sid, score, 1 | 0 (snapshot exists), ...}.
    /// </summary>
    public const string ReadPending = """
        local base = string.match(KEYS[1], '^(.-{[^}]*}:)')
        local page = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
        local out = {}
        for i = 1, #page, 2 do
          out[#out + 1] = page[i]
          out[#out + 1] = page[i + 1]
          out[#out + 1] = redis.call('EXISTS', base .. 'ended:' .. page[i])
        end
        return out
        """;

    /// <summary>Members of a user index whose session hash is gone. KEYS: 1 user index. Returns {sid, ...}.</summary>
    public const string StaleUserEntries = """
        local base = string.match(KEYS[1], '^(.-{[^}]*}:)')
        local out = {}
        for _, s in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
          if redis.call('EXISTS', base .. 'session:' .. s) == 0 then out[#out + 1] = s end
        end
        return out
        """;

    /// <summary>Drops an expiry index entry (and any timer) whose session hash is gone.
    /// KEYS: 1 expiry index, 2 session, 3 timer. ARGV: 1 sid. Returns 1 when it dropped it.</summary>
    public const string DropStaleExpiryEntry = """
        if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
        redis.call('DEL', KEYS[3])
        return redis.call('ZREM', KEYS[1], ARGV[1])
        """;

    /// <summary>Drops a pending entry whose ended snapshot is gone (no handler could run it).
    /// KEYS: 1 pending, 2 ended snapshot. ARGV: 1 sid. Returns 1 when it dropped it.</summary>
    public const string DropStalePendingEntry = """
        if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
        return redis.call('ZREM', KEYS[1], ARGV[1])
        """;

    /// <summary>Drops a user index entry whose session hash is gone, keeping the bucket's user count right
    /// (as the library's remove_from_user does). KEYS: 1 user index, 2 session, 3 users counter. ARGV: 1 sid.</summary>
    public const string DropStaleUserEntry = """
        if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
        if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
        if redis.call('EXISTS', KEYS[1]) == 0 then
          if redis.call('DECR', KEYS[3]) <= 0 then redis.call('DEL', KEYS[3]) end
        end
        return 1
        """;

    /// <summary>Deletes a timer key whose session hash is gone. KEYS: 1 timer, 2 session. Returns 1 when deleted.</summary>
    public const string DropOrphanTimer = """
        if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
        return redis.call('DEL', KEYS[1])
        """;

    /// <summary>Deletes an ended snapshot no pending entry points to (no handler will ever take it).
    /// KEYS: 1 ended snapshot, 2 pending. ARGV: 1 sid. Returns 1 when deleted.</summary>
    public const string DropOrphanSnapshot = """
        if redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 0 end
        return redis.call('DEL', KEYS[1])
        """;

    /// <summary>Puts a session hash that its bucket's expiry index lost back into it (score = its expires field), so
    /// listing sees it and the sweep ends it when its time is up. A hash without user or expires can't be a session:
    /// it is deleted. KEYS: 1 session, 2 expiry index. ARGV: 1 sid. Returns 'reindexed' | 'deleted' | 'skipped'.</summary>
    public const string ReindexSession = """
        if redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 'skipped' end
        if redis.call('EXISTS', KEYS[1]) == 0 then return 'skipped' end
        local f = redis.call('HMGET', KEYS[1], 'user', 'expires')
        if not f[1] or not tonumber(f[2]) then
          redis.call('DEL', KEYS[1])
          return 'deleted'
        end
        redis.call('ZADD', KEYS[2], f[2], ARGV[1])
        return 'reindexed'
        """;

    /// <summary>The newest (ARGV[1] = 'rev') or oldest entries of the termination stream, or those after an id.
    /// KEYS: 1 stream. ARGV: 1 'rev' | 'after', 2 count, 3 last id seen (for 'after').
    /// A missing stream reads as empty.</summary>
    public const string ReadEvents = """
        if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
        if ARGV[1] == 'rev' then return redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', ARGV[2]) end
        return redis.call('XRANGE', KEYS[1], '(' .. ARGV[3], '+', 'COUNT', ARGV[2])
        """;
}
