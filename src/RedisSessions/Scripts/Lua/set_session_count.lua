-- Cleanup: writes a tag's sessions counter from a recount of its user indexes, only when the counter still holds what
-- it held before and after the recount (a session created or ended meanwhile moves it: then it is left alone).
-- KEYS: 1 sessions counter
-- ARGV: 1 the counter as read around the recount ('' when missing), 2 the recount
-- Returns 1 when written, else 0.
if (redis.call('GET', KEYS[1]) or '') ~= ARGV[1] then return 0 end
local n = tonumber(ARGV[2])
if n > 0 then redis.call('SET', KEYS[1], n) else redis.call('DEL', KEYS[1]) end
return 1
