-- Gives a live session a new id (same user, data and place in the user's index) and records activity.
-- O(log n) in the user's session count.
-- KEYS: 1 session, 2 new session, 3 user index, 4 due index, 5 pending, 6 sessions counter
-- ARGV: 1 sid, 2 new sid, 3 user ('' = don't check), 4 member, 5 idle ms, 6 grace ms, 7 owner, 8 lease ms,
--       9 retention ms, 10 pending channel, 11 tag
-- Returns {'ok', now, fields} | {'gone'} | {'wrong_user', user} | {'expired', now, snapshot?} | {'exists'}.
local k = {session = KEYS[1], user = KEYS[3], due = KEYS[4], pending = KEYS[5], sessions = KEYS[6]}
local now = now_ms()
local s, answer = load_live(k, ARGV[1], ARGV[3], ARGV[4], now, ARGV[7], tonumber(ARGV[8]), tonumber(ARGV[9]), ARGV[10], ARGV[11])
if not s then return answer end
if redis.call('EXISTS', KEYS[2]) == 1 then return {'exists'} end
redis.call('RENAME', KEYS[1], KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZADD', KEYS[3], s.expires, ARGV[2])
k.session = KEYS[2]
slide(k, s, ARGV[2], ARGV[4], now, tonumber(ARGV[5]), tonumber(ARGV[6]), 0) -- rotating counts as activity
return {'ok', now, redis.call('HGETALL', KEYS[2])}
