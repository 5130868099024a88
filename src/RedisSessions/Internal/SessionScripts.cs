namespace RedisSessions.Internal;

/// <summary>
/// The Lua scripts behind every write. Each runs atomically in one round trip. KEYS[] names every key the caller
/// can know; a script also reaches keys it learns inside (the user index named by a session's <c>user</c> field,
/// sessions a new login evicts) but only by building them from KEYS[1]'s <c>{bucket}</c> hash tag, so every key a
/// script touches is in KEYS[1]'s hash slot and the scripts run unchanged on Redis Cluster.
/// Times are Unix milliseconds from the calling process's clock (ARGV), so scripts stay deterministic.
/// </summary>
internal static class SessionScripts
{
    /// <summary>Shared helpers, prepended to the scripts that end sessions.</summary>
    private const string Prelude = """
        local function base_of(key) return string.match(key, '^(.-{[^}]*}:)') end
        local function user_part(u)
          if string.len(u) <= 64 and string.match(u, '^[%w%._@%+%-]+$') then return u end
          return '#' .. redis.sha1hex(u)
        end
        local function field(h, name)
          for i = 1, #h, 2 do if h[i] == name then return h[i + 1] end end
          return nil
        end
        local function set_field(h, name, value)
          for i = 1, #h, 2 do if h[i] == name then h[i + 1] = value return end end
          h[#h + 1] = name
          h[#h + 1] = value
        end
        -- keeps key alive until at least at_ms
        local function extend(key, at_ms, now)
          local ttl = redis.call('PTTL', key)
          if ttl >= 0 and now + ttl >= at_ms then return end
          redis.call('PEXPIREAT', key, at_ms)
        end
        local function remove_from_user(base, uidx, sid)
          if redis.call('ZREM', uidx, sid) == 1 and redis.call('EXISTS', uidx) == 0 then
            if redis.call('DECR', base .. 'users') <= 0 then redis.call('DEL', base .. 'users') end
          end
        end
        -- Ends one session: its hash becomes base..'ended:'..sid (the final snapshot, kept `retention` ms), it leaves
        -- the user and expiry indexes, its timer goes, and base..'pending' gets an entry: claimed by `node` until
        -- claim_until, or (claim_until == 0) left for any handler, announced on channel `channel`.
        -- A session whose time is up always ends as expired / absolute_timeout, whoever ends it.
        -- Returns the snapshot (flat field list), or nil when the hash was already gone.
        local function end_session(base, sid, reason, now, retention, claim_until, node, channel)
          local skey = base .. 'session:' .. sid
          redis.call('ZREM', base .. 'expiry', sid)
          redis.call('DEL', base .. 'timer:' .. sid)
          local h = redis.call('HGETALL', skey)
          if #h == 0 then return nil end
          local expires = tonumber(field(h, 'expires'))
          if expires <= now then
            local abs = field(h, 'absolute')
            if abs and tonumber(abs) <= expires then reason = 'absolute_timeout' else reason = 'expired' end
          end
          remove_from_user(base, base .. 'user:' .. user_part(field(h, 'user')), sid)
          local ended = base .. 'ended:' .. sid
          redis.call('RENAME', skey, ended)
          local attempts, owner, score = 1, node, claim_until
          if claim_until == 0 then attempts, owner, score = 0, '', now end
          redis.call('HSET', ended, 'reason', reason, 'ended', now, 'attempts', attempts, 'claimed_by', owner)
          redis.call('PEXPIRE', ended, retention)
          redis.call('ZADD', base .. 'pending', score, sid)
          if claim_until == 0 then redis.call('PUBLISH', channel, base) end
          h[#h + 1] = 'reason'
          h[#h + 1] = reason
          h[#h + 1] = 'ended'
          h[#h + 1] = tostring(now)
          h[#h + 1] = 'attempts'
          h[#h + 1] = tostring(attempts)
          return h
        end
        -- Slides a live session's expiry to now + idle (capped by the absolute deadline, never shortened) and
        -- rewrites every place that records it. h is the session's flat field list; it is updated in place.
        local function slide(base, skey, tkey, sid, h, now, retention)
          local last = tonumber(field(h, 'last'))
          if now < last then now = last end
          local expires = tonumber(field(h, 'expires'))
          local new_exp = now + tonumber(field(h, 'idle'))
          local abs = field(h, 'absolute')
          if abs and tonumber(abs) < new_exp then new_exp = tonumber(abs) end
          if new_exp < expires then new_exp = expires end
          redis.call('HSET', skey, 'last', now, 'expires', new_exp)
          redis.call('PEXPIREAT', skey, new_exp + retention)
          redis.call('SET', tkey, '1', 'PXAT', new_exp)
          redis.call('ZADD', base .. 'expiry', new_exp, sid)
          local uidx = base .. 'user:' .. user_part(field(h, 'user'))
          redis.call('ZADD', uidx, 'XX', new_exp, sid)
          extend(uidx, new_exp + retention, now)
          set_field(h, 'last', tostring(now))
          set_field(h, 'expires', tostring(new_exp))
        end

        """;

    /// <summary>
    /// Create a session, enforcing the per-user limit.
    /// KEYS: 1 session, 2 timer, 3 user index, 4 expiry index, 5 pending, 6 users counter (all of the user's bucket).
    /// ARGV: 1 sid, 2 user, 3 now, 4 idle ms, 5 absolute deadline (0 = none), 6 max sessions (0 = none),
    ///       7 'evict' | 'reject', 8 retention ms, 9 node, 10 claim_until (0 = leave terminations to handlers),
    ///       11 channel, 12.. data key, value pairs.
    /// Returns {'ok', expires, snapshot...} | {'limit', live, snapshot...} | {'exists'}; snapshots (sid first) are the
    /// terminations this call caused and claimed (user's sessions that had expired, or were evicted).
    /// </summary>
    public const string Create = Prelude + """
        local sid, user = ARGV[1], ARGV[2]
        local now, idle, absolute = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
        local max, policy, retention = tonumber(ARGV[6]), ARGV[7], tonumber(ARGV[8])
        local node, claim_until, channel = ARGV[9], tonumber(ARGV[10]), ARGV[11]
        local base = base_of(KEYS[1])
        if redis.call('EXISTS', KEYS[1]) == 1 then return {'exists'} end
        local out = {}
        local function finish(s, reason)
          local h = end_session(base, s, reason, now, retention, claim_until, node, channel)
          if h == nil then remove_from_user(base, KEYS[3], s) elseif claim_until > 0 then table.insert(h, 1, s) out[#out + 1] = h end
        end
        -- sessions whose time is up free their slot now, even if Redis has not deleted anything yet
        for _, s in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)) do finish(s, 'expired') end
        local live = redis.call('ZCARD', KEYS[3])
        if max > 0 and live >= max then
          if policy == 'reject' then return {'limit', live, unpack(out)} end
          local members = redis.call('ZRANGE', KEYS[3], 0, -1)
          local aged = {}
          for _, s in ipairs(members) do
            local c = redis.call('HGET', base .. 'session:' .. s, 'created')
            aged[#aged + 1] = {tonumber(c) or 0, s}
          end
          table.sort(aged, function(a, b) if a[1] == b[1] then return a[2] < b[2] end return a[1] < b[1] end)
          for i = 1, live - max + 1 do finish(aged[i][2], 'evicted') end
        end
        local expires = now + idle
        if absolute > 0 and absolute < expires then expires = absolute end
        redis.call('HSET', KEYS[1], 'user', user, 'created', now, 'last', now, 'expires', expires, 'idle', idle, 'node', node)
        if absolute > 0 then redis.call('HSET', KEYS[1], 'absolute', absolute) end
        local i = 12
        while i <= #ARGV do
          local batch = {}
          while i <= #ARGV and #batch < 200 do
            batch[#batch + 1] = 'data:' .. ARGV[i]
            batch[#batch + 1] = ARGV[i + 1]
            i = i + 2
          end
          redis.call('HSET', KEYS[1], unpack(batch))
        end
        redis.call('PEXPIREAT', KEYS[1], expires + retention)
        redis.call('SET', KEYS[2], '1', 'PXAT', expires)
        if redis.call('EXISTS', KEYS[3]) == 0 then redis.call('INCR', KEYS[6]) end
        redis.call('ZADD', KEYS[3], expires, sid)
        extend(KEYS[3], expires + retention, now)
        redis.call('ZADD', KEYS[4], expires, sid)
        return {'ok', expires, unpack(out)}
        """;

    /// <summary>
    /// Record activity (sliding expiry) for use.
    /// KEYS: 1 session, 2 timer, 3 expiry index. ARGV: 1 sid, 2 now, 3 retention, 4 resolution ms (skip the write
    /// when the last recorded activity is more recent), 5 node, 6 claim_until, 7 channel.
    /// Returns {'ok', fields} | {'gone'} | {'expired', snapshot?}.
    /// </summary>
    public const string Touch = Prelude + """
        local sid, now, retention = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
        local base = base_of(KEYS[1])
        local h = redis.call('HGETALL', KEYS[1])
        if #h == 0 then return {'gone'} end
        if tonumber(field(h, 'expires')) <= now then
          local t = end_session(base, sid, 'expired', now, retention, tonumber(ARGV[6]), ARGV[5], ARGV[7])
          if tonumber(ARGV[6]) > 0 then return {'expired', t} end
          return {'expired'}
        end
        if now - tonumber(field(h, 'last')) >= tonumber(ARGV[4]) then
          slide(base, KEYS[1], KEYS[2], sid, h, now, retention)
        end
        return {'ok', h}
        """;

    /// <summary>
    /// Set or remove data fields; counts as activity.
    /// KEYS: 1 session, 2 timer, 3 expiry index. ARGV: 1 sid, 2 now, 3 retention, 4 node, 5 claim_until, 6 channel,
    ///       7 max data bytes, 8 'set' | 'remove', 9.. keys (remove) or key, value pairs (set).
    /// Returns {'ok', fields} | {'gone'} | {'expired', snapshot?} | {'too_large', size}.
    /// </summary>
    public const string SetData = Prelude + """
        local sid, now, retention = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
        local base = base_of(KEYS[1])
        local h = redis.call('HGETALL', KEYS[1])
        if #h == 0 then return {'gone'} end
        if tonumber(field(h, 'expires')) <= now then
          local t = end_session(base, sid, 'expired', now, retention, tonumber(ARGV[5]), ARGV[4], ARGV[6])
          if tonumber(ARGV[5]) > 0 then return {'expired', t} end
          return {'expired'}
        end
        local op, step = ARGV[8], 2
        if op == 'remove' then step = 1 end
        local touched = {}
        local size = 0
        for i = 9, #ARGV, step do
          touched['data:' .. ARGV[i]] = true
          if op == 'set' then size = size + string.len(ARGV[i]) + string.len(ARGV[i + 1]) end
        end
        for i = 1, #h, 2 do
          local name = h[i]
          if string.sub(name, 1, 5) == 'data:' and not touched[name] then
            size = size + string.len(name) - 5 + string.len(h[i + 1])
          end
        end
        if size > tonumber(ARGV[7]) then return {'too_large', size} end
        for i = 9, #ARGV, step do
          if op == 'set' then redis.call('HSET', KEYS[1], 'data:' .. ARGV[i], ARGV[i + 1])
          else redis.call('HDEL', KEYS[1], 'data:' .. ARGV[i]) end
        end
        h = redis.call('HGETALL', KEYS[1])
        slide(base, KEYS[1], KEYS[2], sid, h, now, retention)
        return {'ok', h}
        """;

    /// <summary>
    /// Terminate one session.
    /// KEYS: 1 session, 2 timer, 3 expiry index, 4 pending, 5 ended. ARGV: 1 sid, 2 now, 3 reason, 4 retention,
    ///       5 node, 6 claim_until, 7 channel.
    /// Returns {'ok', snapshot?} | {'gone'}. A session whose time was already up ends as expired.
    /// </summary>
    public const string Terminate = Prelude + """
        local base = base_of(KEYS[1])
        local t = end_session(base, ARGV[1], ARGV[3], tonumber(ARGV[2]), tonumber(ARGV[4]), tonumber(ARGV[6]), ARGV[5], ARGV[7])
        if t == nil then return {'gone'} end
        if tonumber(ARGV[6]) > 0 then return {'ok', t} end
        return {'ok'}
        """;

    /// <summary>
    /// Terminate all sessions of one user (optionally all but one).
    /// KEYS: 1 user index, 2 expiry index, 3 pending, 4 users counter. ARGV: 1 now, 2 reason, 3 retention, 4 node,
    ///       5 claim_until, 6 channel, 7 sid to keep ('' = none).
    /// Returns {count, snapshot...} (snapshots have the sid first).
    /// </summary>
    public const string TerminateUser = Prelude + """
        local now, retention, claim_until = tonumber(ARGV[1]), tonumber(ARGV[3]), tonumber(ARGV[5])
        local base = base_of(KEYS[1])
        local out, count = {}, 0
        for _, s in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
          if s ~= ARGV[7] then
            local h = end_session(base, s, ARGV[2], now, retention, claim_until, ARGV[4], ARGV[6])
            if h == nil then remove_from_user(base, KEYS[1], s)
            else
              count = count + 1
              if claim_until > 0 then table.insert(h, 1, s) out[#out + 1] = h end
            end
          end
        end
        return {count, unpack(out)}
        """;

    /// <summary>
    /// Give a live session a new id (same data, same index entries), and record activity.
    /// KEYS: 1 old session, 2 new session, 3 old timer, 4 new timer, 5 expiry index. ARGV: 1 old sid, 2 new sid,
    ///       3 now, 4 retention, 5 node, 6 claim_until, 7 channel.
    /// Returns {'ok', fields} | {'gone'} | {'expired', snapshot?} | {'exists'}.
    /// </summary>
    public const string Rotate = Prelude + """
        local old, new, now, retention = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
        local base = base_of(KEYS[1])
        local h = redis.call('HGETALL', KEYS[1])
        if #h == 0 then return {'gone'} end
        if tonumber(field(h, 'expires')) <= now then
          local t = end_session(base, old, 'expired', now, retention, tonumber(ARGV[6]), ARGV[5], ARGV[7])
          if tonumber(ARGV[6]) > 0 then return {'expired', t} end
          return {'expired'}
        end
        if redis.call('EXISTS', KEYS[2]) == 1 then return {'exists'} end
        redis.call('RENAME', KEYS[1], KEYS[2])
        redis.call('DEL', KEYS[3])
        redis.call('ZREM', KEYS[5], old)
        local uidx = base .. 'user:' .. user_part(field(h, 'user'))
        local score = redis.call('ZSCORE', uidx, old)
        redis.call('ZREM', uidx, old)
        redis.call('ZADD', uidx, score or field(h, 'expires'), new)
        slide(base, KEYS[2], KEYS[4], new, h, now, retention)
        return {'ok', h}
        """;

    /// <summary>
    /// List a user's live sessions (read only).
    /// KEYS: 1 user index. ARGV: 1 now. Returns {sid, fields, sid, fields, ...}.
    /// </summary>
    public const string ListUser = """
        local base = string.match(KEYS[1], '^(.-{[^}]*}:)')
        local now = tonumber(ARGV[1])
        local out = {}
        for _, s in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')) do
          local h = redis.call('HGETALL', base .. 'session:' .. s)
          if #h > 0 then
            out[#out + 1] = s
            out[#out + 1] = h
          end
        end
        return out
        """;

    /// <summary>
    /// Sweep one bucket: end the sessions whose time is up, then claim terminations whose claim ran out (or that were
    /// left for a handler). KEYS: 1 expiry index, 2 pending, 3 users counter. ARGV: 1 now, 2 retention, 3 node,
    /// 4 claim_until (0 = this process handles nothing: only end sessions and drop pending entries whose snapshot is
    /// gone), 5 limit, 6 channel.
    /// Returns {ended count, more (1 if the limit was hit), snapshot...} (snapshots have the sid first).
    /// </summary>
    public const string Sweep = Prelude + """
        local now, retention, node = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
        local claim_until, limit = tonumber(ARGV[4]), tonumber(ARGV[5])
        local base = base_of(KEYS[1])
        local out, ended, more = {}, 0, 0
        local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, limit)
        if #due == limit then more = 1 end
        for _, s in ipairs(due) do
          local e = redis.call('HGET', base .. 'session:' .. s, 'expires')
          if e and tonumber(e) > now then
            redis.call('ZADD', KEYS[1], e, s)
          else
            local h = end_session(base, s, 'expired', now, retention, claim_until, node, ARGV[6])
            if h then
              ended = ended + 1
              if claim_until > 0 then table.insert(h, 1, s) out[#out + 1] = h end
            end
          end
        end
        local stale = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, limit)
        if #stale == limit then more = 1 end
        for _, s in ipairs(stale) do
          local ekey = base .. 'ended:' .. s
          if redis.call('EXISTS', ekey) == 0 then
            redis.call('ZREM', KEYS[2], s)
          elseif claim_until > 0 then
            redis.call('ZADD', KEYS[2], claim_until, s)
            redis.call('HINCRBY', ekey, 'attempts', 1)
            redis.call('HSET', ekey, 'claimed_by', node)
            local h = redis.call('HGETALL', ekey)
            table.insert(h, 1, s)
            out[#out + 1] = h
          end
        end
        return {ended, more, unpack(out)}
        """;

    /// <summary>
    /// A handler finished a termination: drop its pending entry and snapshot.
    /// KEYS: 1 pending, 2 ended. ARGV: 1 sid. Returns 1 when the entry was still there.
    /// </summary>
    public const string Ack = """
        redis.call('DEL', KEYS[2])
        return redis.call('ZREM', KEYS[1], ARGV[1])
        """;

    /// <summary>
    /// A handler gives a claimed termination back (shutting down before it ran the callbacks): anyone may take it now.
    /// KEYS: 1 pending, 2 ended. ARGV: 1 sid, 2 now, 3 channel.
    /// </summary>
    public const string Release = """
        if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
        redis.call('ZADD', KEYS[1], 'XX', ARGV[2], ARGV[1])
        redis.call('HSET', KEYS[2], 'claimed_by', '')
        redis.call('PUBLISH', ARGV[3], string.match(KEYS[1], '^(.-{[^}]*}:)'))
        return 1
        """;

    /// <summary>
    /// Figures of one bucket. KEYS: 1 expiry index, 2 pending, 3 users counter. ARGV: 1 now.
    /// Returns {live sessions, overdue sessions, pending terminations, users}.
    /// </summary>
    public const string BucketStats = """
        local now = tonumber(ARGV[1])
        return {
          redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf'),
          redis.call('ZCOUNT', KEYS[1], '-inf', now),
          redis.call('ZCARD', KEYS[2]),
          tonumber(redis.call('GET', KEYS[3]) or '0')
        }
        """;

    /// <summary>
    /// Append a termination to the event stream. KEYS: 1 stream. ARGV: 1 max length (approximate), 2.. field, value pairs.
    /// </summary>
    public const string AppendEvent = """
        local fields = {}
        for i = 2, #ARGV do fields[#fields + 1] = ARGV[i] end
        return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', unpack(fields))
        """;
}
