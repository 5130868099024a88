-- Figures of one tag (read only). KEYS: 1 due index, 2 pending, 3 sessions counter.
-- Returns {now, sessions not ended, users, pending terminations, users with a session past its time}.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return {now, tonumber(redis.call('GET', KEYS[3]) or '0'), redis.call('ZCARD', KEYS[1]), redis.call('ZCARD', KEYS[2]),
        redis.call('ZCOUNT', KEYS[1], '-inf', now)}
