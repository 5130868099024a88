namespace RedisSessions.Internal;

/// <summary>
/// The Lua scripts behind every write. Each runs atomically in one round trip. KEYS[] names every key the caller
/// can know; a script also reaches keys it learns inside (the sessions listed in a user's index entry, the bucket's
/// indexes when ending a session by id) but only by building them from KEYS[1]'s <c>{bucket}</c> hash tag, so every
/// key a script touches is in KEYS[1]'s hash slot and the scripts run unchanged on Redis Cluster.
/// Times are Unix milliseconds from the calling process's clock (ARGV), so scripts stay deterministic.
/// <para>
/// The session hash's fields (see <see cref="SessionKeys"/>): <c>u</c> user, <c>c</c> created (Unix ms), <c>e</c>
/// expiry as ms after <c>c</c>, <c>a</c> absolute deadline as ms after <c>c</c> (only with an absolute timeout),
/// <c>l</c> last activity as ms after <c>c</c> (only once the expiry is capped by <c>a</c>; otherwise it is
/// <c>e</c> minus the idle timeout), <c>n</c> the creating node's id, <c>.{key}</c> data.
/// </para>
/// <para>
/// Scores in the bucket's expiry index are lower bounds: a slide never rewrites them (that is what keeps a request's
/// refresh to two commands). The sweep visits a user whose score has passed, ends what is really due and writes the
/// exact earliest expiry back.
/// </para>
/// </summary>
internal static class SessionScripts
{
    /// <summary>Lua: <c>user_part(u)</c>, the user's name in the bucket's indexes (mirrors <see cref="SessionKeys.UserPart"/>),
    /// and <c>split(s)</c>, the ids of a users-hash entry. Shared with the CLI's scripts.</summary>
    internal const string IndexHelpers = """
        local function user_part(u)
          if string.len(u) <= 64 and string.match(u, '^[%w%._@%+%-]+$') then return u end
          return '#' .. redis.sha1hex(u)
        end
        local function split(s)
          local t = {}
          for w in string.gmatch(s or '', '%S+') do t[#t + 1] = w end
          return t
        end

        """;

    /// <summary>Lua, on top of <see cref="IndexHelpers"/>: <c>write_user(base, up, sids)</c> rewrites a user's entry in
    /// the bucket's users hash (removing the user, from the expiry zset too, when no id is left) and
    /// <c>count_down(base)</c> takes one session off the bucket's count. <c>base</c> is the bucket's key prefix
    /// (<c>rs:{1a3}:</c>). Shared with the CLI's cleanup scripts.</summary>
    internal const string IndexWrites = IndexHelpers + """
        local function count_down(base)
          if redis.call('DECR', base .. 'count') <= 0 then redis.call('DEL', base .. 'count') end
        end
        -- Writes a user's index entry: the sids still listed (oldest first), or removes the user.
        local function write_user(base, up, sids)
          if #sids == 0 then
            redis.call('HDEL', base .. 'users', up)
            redis.call('ZREM', base .. 'expiry', up)
          else
            redis.call('HSET', base .. 'users', up, table.concat(sids, ' '))
          end
        end

        """;

    /// <summary>Shared helpers, prepended to the scripts that end sessions.</summary>
    private const string Prelude = IndexWrites + """
        local function base_of(key) return string.match(key, '^(.-{[^}]*}:)') end
        local function field(h, name)
          for i = 1, #h, 2 do if h[i] == name then return h[i + 1] end end
          return nil
        end
        local function set_field(h, name, value)
          for i = 1, #h, 2 do if h[i] == name then h[i + 1] = value return end end
          h[#h + 1] = name
          h[#h + 1] = value
        end
        local function unindex(base, up, sid)
          local keep = {}
          for _, s in ipairs(split(redis.call('HGET', base .. 'users', up))) do
            if s ~= sid then keep[#keep + 1] = s end
          end
          write_user(base, up, keep)
        end
        -- Ends one session whose hash h (flat field list) was read and which has left its user's index entry: the
        -- hash becomes base..'ended:'..sid (the final snapshot, kept `retention` ms) and base..'pending' gets an entry:
        -- claimed by `node` until claim_until, or (claim_until == 0) left for any handler, announced on `channel`.
        -- A session whose time is up always ends as expired / absolute_timeout, whoever ends it.
        -- Returns the snapshot with the sid first.
        local function finish(base, sid, h, reason, now, retention, claim_until, node, channel)
          local c = tonumber(field(h, 'c'))
          local expires = c + tonumber(field(h, 'e'))
          if expires <= now then
            local abs = field(h, 'a')
            if abs and c + tonumber(abs) <= expires then reason = 'absolute_timeout' else reason = 'expired' end
          end
          local ended = base .. 'ended:' .. sid
          redis.call('RENAME', base .. 'session:' .. sid, ended)
          local attempts, owner, score = 1, node, claim_until
          if claim_until == 0 then attempts, owner, score = 0, '', now end
          redis.call('HSET', ended, 'reason', reason, 'ended', now, 'attempts', attempts, 'claimed_by', owner)
          redis.call('PEXPIRE', ended, retention)
          redis.call('ZADD', base .. 'pending', score, sid)
          if claim_until == 0 then redis.call('PUBLISH', channel, base) end
          count_down(base)
          h[#h + 1] = 'reason'
          h[#h + 1] = reason
          h[#h + 1] = 'ended'
          h[#h + 1] = tostring(now)
          h[#h + 1] = 'attempts'
          h[#h + 1] = tostring(attempts)
          table.insert(h, 1, sid)
          return h
        end
        -- Ends a session known by id. Returns the snapshot (sid first), or nil when the hash was already gone.
        local function end_session(base, sid, reason, now, retention, claim_until, node, channel)
          local h = redis.call('HGETALL', base .. 'session:' .. sid)
          if #h == 0 then return nil end
          unindex(base, user_part(field(h, 'u')), sid)
          return finish(base, sid, h, reason, now, retention, claim_until, node, channel)
        end
        -- Slides a live session's expiry to now + idle (capped by the absolute deadline, never shortened) when that
        -- moves it by at least `resolution` ms. c, e, a are the hash's fields as numbers (a may be nil).
        -- Returns the expiry offset (ms after c) in force afterwards.
        local function slide(skey, c, e, a, now, idle, retention, resolution)
          local new_e = now + idle - c
          local capped = false
          if a and a <= new_e then new_e = a capped = true end
          if new_e - e < resolution or new_e <= e then return e end
          if capped then redis.call('HSET', skey, 'e', new_e, 'l', now - c)
          else redis.call('HSET', skey, 'e', new_e) end
          redis.call('PEXPIREAT', skey, c + new_e + retention)
          return new_e
        end

        """;

    /// <summary>
    /// What touch and set-data share. Both take KEYS: 1 session; ARGV: 1 sid, 2 now, 3 idle ms, 4 retention,
    /// 5 resolution ms, 6 node, 7 claim_until, 8 channel (then their own).
    /// <c>load_live(now)</c> returns the session's times {c, e, a, l} (a and l may be nil), or nil and the answer to
    /// give: {'gone'}, or {'expired', snapshot?} after ending a session whose time is up.
    /// <c>slide_answer(s, now)</c> slides it when due and answers {'ok', expiry offset, last offset or -1, created}.
    /// </summary>
    private const string WritePrelude = Prelude + """
        local function load_live(now)
          local v = redis.call('HMGET', KEYS[1], 'c', 'e', 'a', 'l')
          if not v[1] then return nil, {'gone'} end
          local s = {c = tonumber(v[1]), e = tonumber(v[2]), a = tonumber(v[3]), l = tonumber(v[4])}
          if s.c + s.e > now then return s end
          local t = end_session(base_of(KEYS[1]), ARGV[1], 'expired', now, tonumber(ARGV[4]), tonumber(ARGV[7]), ARGV[6], ARGV[8])
          if tonumber(ARGV[7]) > 0 then return nil, {'expired', t} end
          return nil, {'expired'}
        end
        local function slide_answer(s, now)
          local new_e = slide(KEYS[1], s.c, s.e, s.a, now, tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]))
          local l = -1
          if new_e ~= s.e and s.a and new_e == s.a then l = now - s.c elseif new_e == s.e and s.l then l = s.l end
          return {'ok', new_e, l, s.c}
        end

        """;

    /// <summary>
    /// Create a session, enforcing the per-user limit.
    /// KEYS: 1 session, 2 users, 3 expiry, 4 due, 5 pending, 6 count (all of the user's bucket).
    /// ARGV: 1 sid, 2 user, 3 now, 4 idle ms, 5 absolute timeout ms (0 = none), 6 max sessions (0 = none),
    ///       7 'evict' | 'reject', 8 retention ms, 9 node name, 10 claim_until (0 = leave terminations to handlers),
    ///       11 channel, 12 node id, 13.. data key, value pairs.
    /// Returns {'ok', expires, snapshot...} | {'limit', live, snapshot...} | {'exists'}; snapshots (sid first) are the
    /// terminations this call caused and claimed (the user's sessions that had expired, or were evicted).
    /// </summary>
    public static readonly StoredScript Create = new("create", Prelude + """
        local sid, user = ARGV[1], ARGV[2]
        local now, idle, absolute = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
        local max, retention, claim_until = tonumber(ARGV[6]), tonumber(ARGV[8]), tonumber(ARGV[10])
        local base = base_of(KEYS[1])
        if redis.call('EXISTS', KEYS[1]) == 1 then return {'exists'} end
        local up = user_part(user)
        local out, keep = {}, {}
        local list = redis.call('HGET', KEYS[2], up)
        if list then
          local live = {}
          for _, s in ipairs(split(list)) do
            local h = redis.call('HGETALL', base .. 'session:' .. s)
            if #h == 0 then
              count_down(base)
            elseif tonumber(field(h, 'c')) + tonumber(field(h, 'e')) <= now then
              -- its time is up: it frees its slot now, even if no sweep has run yet
              local t = finish(base, s, h, 'expired', now, retention, claim_until, ARGV[9], ARGV[11])
              if claim_until > 0 then out[#out + 1] = t end
            else
              live[#live + 1] = {s, h}
            end
          end
          local first = 1
          if max > 0 and #live >= max then
            if ARGV[7] == 'reject' then
              for i = 1, #live do keep[#keep + 1] = live[i][1] end
              write_user(base, up, keep)
              return {'limit', #live, unpack(out)}
            end
            -- the index lists a user's sessions oldest first
            first = #live - max + 2
            for i = 1, first - 1 do
              local t = finish(base, live[i][1], live[i][2], 'evicted', now, retention, claim_until, ARGV[9], ARGV[11])
              if claim_until > 0 then out[#out + 1] = t end
            end
          end
          for i = first, #live do keep[#keep + 1] = live[i][1] end
        end
        local e = idle
        if absolute > 0 and absolute < e then e = absolute end
        local fields = {'u', user, 'c', now, 'e', e, 'n', ARGV[12]}
        if absolute > 0 then fields[#fields + 1] = 'a' fields[#fields + 1] = absolute end
        -- one HSET for the metadata and (up to a few hundred) data values; unpack() has a stack limit
        local i = 13
        repeat
          while i <= #ARGV and #fields < 400 do
            fields[#fields + 1] = '.' .. ARGV[i]
            fields[#fields + 1] = ARGV[i + 1]
            i = i + 2
          end
          redis.call('HSET', KEYS[1], unpack(fields))
          fields = {}
        until i > #ARGV
        redis.call('PEXPIREAT', KEYS[1], now + e + retention)
        keep[#keep + 1] = sid
        redis.call('HSET', KEYS[2], up, table.concat(keep, ' '))
        redis.call('ZADD', KEYS[3], 'LT', now + e, up)
        -- the bucket's due key must not fire later than this session's expiry (it may have a shorter timeout)
        local due = redis.call('PTTL', KEYS[4])
        if due < 0 or due > e then redis.call('SET', KEYS[4], '1', 'PXAT', now + e) end
        redis.call('INCR', KEYS[6])
        return {'ok', now + e, unpack(out)}
        """);

    /// <summary>
    /// Record activity (sliding expiry).
    /// KEYS: 1 session. ARGV: 1 sid, 2 now, 3 idle ms, 4 retention, 5 resolution ms (skip the write when the expiry
    /// would move by less), 6 node, 7 claim_until, 8 channel.
    /// Returns {'ok', expiry offset, last activity offset or -1, created} | {'gone'} | {'expired', snapshot?}.
    /// </summary>
    public static readonly StoredScript Touch = new("touch", WritePrelude + """
        local now = tonumber(ARGV[2])
        local s, answer = load_live(now)
        if not s then return answer end
        return slide_answer(s, now)
        """);

    /// <summary>
    /// Set or remove data fields; counts as activity.
    /// KEYS: 1 session. ARGV: 1 sid, 2 now, 3 idle ms, 4 retention, 5 resolution ms, 6 node, 7 claim_until, 8 channel,
    ///       9 max data bytes, 10 'set' | 'remove', 11.. keys (remove) or key, value pairs (set).
    /// Returns {'ok', expiry offset, last activity offset or -1, created} | {'gone'} | {'expired', snapshot?} | {'too_large', size}.
    /// </summary>
    public static readonly StoredScript SetData = new("set-data", WritePrelude + """
        local now = tonumber(ARGV[2])
        local s, answer = load_live(now)
        if not s then return answer end
        local op, step, max = ARGV[10], 2, tonumber(ARGV[9])
        if op == 'remove' then step = 1 end
        if op == 'set' then
          local incoming = 0
          for i = 11, #ARGV, 2 do incoming = incoming + string.len(ARGV[i]) + string.len(ARGV[i + 1]) end
          -- The hash's memory bounds its data: every stored byte of a key or value takes at least half a byte of it
          -- (listpack packs a numeric string of up to 20 characters in 2 to 10 bytes). Only a session near the
          -- limit is counted field by field (so is every session where MEMORY USAGE is not allowed).
          local mem = redis.pcall('MEMORY', 'USAGE', KEYS[1], 'SAMPLES', '0')
          if type(mem) ~= 'number' or 2 * mem + incoming > max then
            local h = redis.call('HGETALL', KEYS[1])
            local touched, size = {}, incoming
            for i = 11, #ARGV, 2 do touched['.' .. ARGV[i]] = true end
            for i = 1, #h, 2 do
              local name = h[i]
              if string.byte(name, 1) == 46 and not touched[name] then size = size + string.len(name) - 1 + string.len(h[i + 1]) end
            end
            if size > max then return {'too_large', size} end
          end
        end
        local i = 11
        while i <= #ARGV do
          local batch = {}
          while i <= #ARGV and #batch < 400 do
            batch[#batch + 1] = '.' .. ARGV[i]
            if op == 'set' then batch[#batch + 1] = ARGV[i + 1] end
            i = i + step
          end
          if op == 'set' then redis.call('HSET', KEYS[1], unpack(batch)) else redis.call('HDEL', KEYS[1], unpack(batch)) end
        end
        return slide_answer(s, now)
        """);

    /// <summary>
    /// Terminate one session.
    /// KEYS: 1 session, 2 users, 3 expiry, 4 pending, 5 ended, 6 count. ARGV: 1 sid, 2 now, 3 reason, 4 retention,
    ///       5 node, 6 claim_until, 7 channel.
    /// Returns {'ok', snapshot?} | {'gone'}. A session whose time was already up ends as expired.
    /// </summary>
    public static readonly StoredScript Terminate = new("terminate", Prelude + """
        local t = end_session(base_of(KEYS[1]), ARGV[1], ARGV[3], tonumber(ARGV[2]), tonumber(ARGV[4]), tonumber(ARGV[6]), ARGV[5], ARGV[7])
        if t == nil then return {'gone'} end
        if tonumber(ARGV[6]) > 0 then return {'ok', t} end
        return {'ok'}
        """);

    /// <summary>
    /// Terminate all sessions of one user (optionally all but one).
    /// KEYS: 1 users, 2 expiry, 3 pending, 4 count. ARGV: 1 user, 2 now, 3 reason, 4 retention, 5 node,
    ///       6 claim_until, 7 channel, 8 sid to keep ('' = none).
    /// Returns {count, snapshot...} (snapshots have the sid first).
    /// </summary>
    public static readonly StoredScript TerminateUser = new("terminate-user", Prelude + """
        local now, retention, claim_until = tonumber(ARGV[2]), tonumber(ARGV[4]), tonumber(ARGV[6])
        local base = base_of(KEYS[1])
        local up = user_part(ARGV[1])
        local out, count, keep = {}, 0, {}
        for _, s in ipairs(split(redis.call('HGET', KEYS[1], up))) do
          local h = redis.call('HGETALL', base .. 'session:' .. s)
          if #h == 0 then
            count_down(base)
          elseif s == ARGV[8] then
            keep[#keep + 1] = s
          else
            local t = finish(base, s, h, ARGV[3], now, retention, claim_until, ARGV[5], ARGV[7])
            count = count + 1
            if claim_until > 0 then out[#out + 1] = t end
          end
        end
        write_user(base, up, keep)
        return {count, unpack(out)}
        """);

    /// <summary>
    /// Give a live session a new id (same data, same place in its user's index entry), and record activity.
    /// KEYS: 1 old session, 2 new session. ARGV: 1 old sid, 2 new sid, 3 now, 4 idle, 5 retention, 6 node,
    ///       7 claim_until, 8 channel.
    /// Returns {'ok', fields} | {'gone'} | {'expired', snapshot?} | {'exists'}.
    /// </summary>
    public static readonly StoredScript Rotate = new("rotate", Prelude + """
        local old, new, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
        local base = base_of(KEYS[1])
        local h = redis.call('HGETALL', KEYS[1])
        if #h == 0 then return {'gone'} end
        local c, e = tonumber(field(h, 'c')), tonumber(field(h, 'e'))
        if c + e <= now then
          local t = end_session(base, old, 'expired', now, tonumber(ARGV[5]), tonumber(ARGV[7]), ARGV[6], ARGV[8])
          if tonumber(ARGV[7]) > 0 then return {'expired', t} end
          return {'expired'}
        end
        if redis.call('EXISTS', KEYS[2]) == 1 then return {'exists'} end
        redis.call('RENAME', KEYS[1], KEYS[2])
        local up = user_part(field(h, 'u'))
        local sids = split(redis.call('HGET', base .. 'users', up))
        local found = false
        for i = 1, #sids do if sids[i] == old then sids[i] = new found = true end end
        if not found then sids[#sids + 1] = new end -- an index entry lost by hand: the new id is listed all the same
        write_user(base, up, sids)
        if not found then redis.call('ZADD', base .. 'expiry', 'LT', c + e, up) end
        local a = field(h, 'a')
        if a then a = tonumber(a) end
        local new_e = slide(KEYS[2], c, e, a, now, tonumber(ARGV[4]), tonumber(ARGV[5]), 0)
        set_field(h, 'e', tostring(new_e))
        if a and new_e == a and new_e ~= e then set_field(h, 'l', tostring(now - c)) end
        return {'ok', h}
        """);

    /// <summary>
    /// List a user's sessions (read only), oldest first.
    /// KEYS: 1 users. ARGV: 1 user, 2 now. Returns {sid, fields, sid, fields, ...} of the sessions whose time is not up.
    /// </summary>
    public static readonly StoredScript ListUser = new("list-user", IndexHelpers + """
        local base = string.match(KEYS[1], '^(.-{[^}]*}:)')
        local out = {}
        for _, s in ipairs(split(redis.call('HGET', KEYS[1], user_part(ARGV[1])))) do
          local h = redis.call('HGETALL', base .. 'session:' .. s)
          if #h > 0 then
            out[#out + 1] = s
            out[#out + 1] = h
          end
        end
        return out
        """);

    /// <summary>
    /// Sweep one bucket: visit the users whose earliest expiry (a lower bound) has passed, end their sessions whose time
    /// is up and write the exact earliest expiry back; re-arm the bucket's due key; then claim terminations whose claim
    /// ran out (or that were left for a handler).
    /// KEYS: 1 expiry, 2 pending, 3 users, 4 due, 5 count. ARGV: 1 now, 2 retention, 3 node, 4 claim_until (0 = this
    /// process handles nothing: only end sessions and drop pending entries whose snapshot is gone), 5 limit, 6 channel.
    /// Returns {ended count, more (1 if the limit was hit), snapshot...} (snapshots have the sid first).
    /// </summary>
    public static readonly StoredScript Sweep = new("sweep", Prelude + """
        local now, retention, node = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
        local claim_until, limit = tonumber(ARGV[4]), tonumber(ARGV[5])
        local base = base_of(KEYS[1])
        local out, ended, more = {}, 0, 0
        local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, limit)
        if #due == limit then more = 1 end
        for _, up in ipairs(due) do
          local keep, earliest = {}, nil
          local sids = split(redis.call('HGET', KEYS[3], up))
          for _, s in ipairs(sids) do
            local skey = base .. 'session:' .. s
            local v = redis.call('HMGET', skey, 'c', 'e')
            if not v[1] then
              count_down(base)
            else
              local at = tonumber(v[1]) + tonumber(v[2])
              if at <= now then
                local t = finish(base, s, redis.call('HGETALL', skey), 'expired', now, retention, claim_until, node, ARGV[6])
                ended = ended + 1
                if claim_until > 0 then out[#out + 1] = t end
              else
                keep[#keep + 1] = s
                if earliest == nil or at < earliest then earliest = at end
              end
            end
          end
          if #keep ~= #sids then write_user(base, up, keep) end
          if #keep == 0 then redis.call('ZREM', KEYS[1], up) else redis.call('ZADD', KEYS[1], earliest, up) end
        end
        local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
        if first[2] then
          local at = tonumber(first[2])
          if at <= now then at = now + 1 end
          redis.call('SET', KEYS[4], '1', 'PXAT', at)
        else
          redis.call('DEL', KEYS[4])
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
        """);

    /// <summary>
    /// A handler finished a termination: drop its pending entry and snapshot.
    /// KEYS: 1 pending, 2 ended. ARGV: 1 sid. Returns 1 when the entry was still there.
    /// </summary>
    public static readonly StoredScript Ack = new("ack", """
        redis.call('DEL', KEYS[2])
        return redis.call('ZREM', KEYS[1], ARGV[1])
        """);

    /// <summary>
    /// A handler gives a claimed termination back (shutting down before it ran the callbacks): anyone may take it now.
    /// KEYS: 1 pending, 2 ended. ARGV: 1 sid, 2 now, 3 channel.
    /// </summary>
    public static readonly StoredScript Release = new("release", """
        if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
        redis.call('ZADD', KEYS[1], 'XX', ARGV[2], ARGV[1])
        redis.call('HSET', KEYS[2], 'claimed_by', '')
        redis.call('PUBLISH', ARGV[3], string.match(KEYS[1], '^(.-{[^}]*}:)'))
        return 1
        """);

    /// <summary>
    /// Figures of one bucket. KEYS: 1 expiry, 2 pending, 3 users, 4 count. ARGV: 1 now.
    /// Returns {live sessions, sessions past their time not ended yet, pending terminations, users}. Only users due for
    /// a sweep visit are looked at closely (few while a sweep runs somewhere).
    /// </summary>
    public static readonly StoredScript BucketStats = new("bucket-stats", """
        local now = tonumber(ARGV[1])
        local base = string.match(KEYS[1], '^(.-{[^}]*}:)')
        local overdue = 0
        for _, up in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)) do
          for s in string.gmatch(redis.call('HGET', KEYS[3], up) or '', '%S+') do
            local v = redis.call('HMGET', base .. 'session:' .. s, 'c', 'e')
            if not v[1] or tonumber(v[1]) + tonumber(v[2]) <= now then overdue = overdue + 1 end
          end
        end
        local count = tonumber(redis.call('GET', KEYS[4]) or '0')
        return {math.max(0, count - overdue), overdue, redis.call('ZCARD', KEYS[2]), redis.call('HLEN', KEYS[3])}
        """);

    /// <summary>
    /// Append a termination to the event stream. KEYS: 1 stream. ARGV: 1 max length (approximate), 2.. field, value pairs.
    /// </summary>
    public static readonly StoredScript AppendEvent = new("append-event", """
        local fields = {}
        for i = 2, #ARGV do fields[#fields + 1] = ARGV[i] end
        return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', unpack(fields))
        """);

    /// <summary>
    /// The node registry: the small id of a node name, assigned on first use. Session hashes store the id (<c>n</c>),
    /// not the name; the registry also keeps each node's idle timeout, so tools can tell a session's last activity.
    /// KEYS: 1 registry hash (fields: id → name, '=' + name → id, 'idle:' + id → idle ms, '#next').
    /// ARGV: 1 node name, 2 idle timeout ms.
    /// </summary>
    public static readonly StoredScript RegisterNode = new("register-node", """
        local id = redis.call('HGET', KEYS[1], '=' .. ARGV[1])
        if not id then
          id = tostring(redis.call('HINCRBY', KEYS[1], '#next', 1))
          redis.call('HSET', KEYS[1], id, ARGV[1], '=' .. ARGV[1], id)
        end
        redis.call('HSET', KEYS[1], 'idle:' .. id, ARGV[2])
        return tonumber(id)
        """);
}
