-- Everything the admin API shows about one session, read at one instant (read only).
-- KEYS: 1 session, 2 pending index, 3 wake, 4 sessions counter, 5 due index, [6 the user's index]
-- ARGV: 1 sid, 2 the user's member in the due index ('' without a user index)
-- Returns {now, fields (HGETALL), PTTL, PEXPIRETIME, pending score, wake PEXPIRETIME, counter, score in the user's
-- index, the user's earliest {sid, score}, the user's score in the due index}: false where there is none.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {now, redis.call('HGETALL', KEYS[1]), redis.call('PTTL', KEYS[1]), redis.call('PEXPIRETIME', KEYS[1]),
             redis.call('ZSCORE', KEYS[2], ARGV[1]), redis.call('PEXPIRETIME', KEYS[3]), redis.call('GET', KEYS[4]),
             false, {}, false}
if KEYS[6] then
  out[8] = redis.call('ZSCORE', KEYS[6], ARGV[1])
  out[9] = redis.call('ZRANGE', KEYS[6], 0, 0, 'WITHSCORES')
  out[10] = redis.call('ZSCORE', KEYS[5], ARGV[2])
end
return out
