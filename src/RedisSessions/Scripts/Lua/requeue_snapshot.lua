-- Cleanup: hands an ended session's snapshot that no pending entry points to (found by a keyspace scan) back to the
-- handlers: ready for any of them, announced on the pending channel. Only while it is still such a snapshot.
-- KEYS: 1 pending index, 2 snapshot
-- ARGV: 1 sid, 2 pending channel, 3 tag base
-- Returns 1 when queued, else 0.
local v = redis.call('HMGET', KEYS[2], 'user', 'ended')
if not v[1] or not v[2] or redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('HSET', KEYS[2], 'owner', '')
redis.call('ZADD', KEYS[1], 0, ARGV[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1
