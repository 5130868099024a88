-- When a tag next has work (read only): the earliest expiry in its due index, or the earliest pending termination
-- (0 when one is ready for any handler, else when a lease runs out). Returns {now, due or -1, pending or -1}.
-- KEYS: 1 due index, 2 pending
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local e = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local p = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
return {now, e[2] and tonumber(e[2]) or -1, p[2] and tonumber(p[2]) or -1}
