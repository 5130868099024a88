-- Cleanup: lists a session its user's index lost (found by a keyspace scan) again, so the sweep ends it on time and the
-- user's limit counts it. Only while it is still a session of that user, not ended and not listed. The tag's counter
-- is left as it is (it still counts the session); the plan's counter check covers it. O(log n).
-- KEYS: 1 session, 2 user index, 3 due index, 4 wake
-- ARGV: 1 sid, 2 user, 3 member
-- Returns 1 when listed again, else 0.
local v = redis.call('HMGET', KEYS[1], 'user', 'expires', 'ended')
local expires = tonumber(v[2])
if v[1] ~= ARGV[2] or v[3] or not expires or redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[2], expires, ARGV[1])
reindex_user(KEYS[2], KEYS[3], ARGV[3])
wake_by(KEYS[4], math.max(expires, now_ms() + 1))
return 1
