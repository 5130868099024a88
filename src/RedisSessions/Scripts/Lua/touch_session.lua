-- Records activity on a live session (sliding expiry) when the recorded one is at least `resolution` ms old.
-- O(log n) in the user's session count. A session whose time is up is ended instead (never revived).
-- KEYS: 1 session, 2 user index, 3 due index, 4 pending, 5 sessions counter
-- ARGV: 1 sid, 2 user ('' = don't check), 3 member, 4 idle ms, 5 grace ms, 6 resolution ms, 7 owner, 8 lease ms,
--       9 retention ms, 10 pending channel, 11 tag
-- Returns {'ok', now, last, expires, created, wrote} | {'gone'} | {'wrong_user', user} | {'expired', now, snapshot?}.
local k = {session = KEYS[1], user = KEYS[2], due = KEYS[3], pending = KEYS[4], sessions = KEYS[5]}
local now = now_ms()
local s, answer = load_live(k, ARGV[1], ARGV[2], ARGV[3], now, ARGV[7], tonumber(ARGV[8]), tonumber(ARGV[9]), ARGV[10], ARGV[11])
if not s then return answer end
local wrote = slide(k, s, ARGV[1], ARGV[3], now, tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]))
return {'ok', now, s.last, s.expires, s.created, wrote and 1 or 0}
