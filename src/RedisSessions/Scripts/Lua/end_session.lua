-- Ends one live session (logout, an operator, shutdown). A session whose time was already up ends as expired.
-- O(log n) in the user's session count.
-- KEYS: 1 session, 2 user index, 3 due index, 4 pending, 5 sessions counter
-- ARGV: 1 sid, 2 user ('' = don't check), 3 member, 4 reason, 5 owner, 6 lease ms, 7 retention ms, 8 pending channel,
--       9 tag
-- Returns {'ok', now, snapshot?} | {'gone'} | {'wrong_user', user}.
local k = {session = KEYS[1], user = KEYS[2], due = KEYS[3], pending = KEYS[4], sessions = KEYS[5]}
local now = now_ms()
local v = redis.call('HMGET', KEYS[1], 'user', 'expires', 'absolute', 'ended')
if not v[1] or v[4] then return {'gone'} end
if ARGV[2] ~= '' and v[1] ~= ARGV[2] then return {'wrong_user', v[1]} end
local reason, expires = ARGV[4], tonumber(v[2])
if expires <= now then reason = expired_reason(expires, tonumber(v[3])) end
local snapshot = end_session(k, ARGV[1], ARGV[3], reason, now, ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[7]))
if snapshot then return {'ok', now, snapshot} end
redis.call('PUBLISH', ARGV[8], ARGV[9])
return {'ok', now}
