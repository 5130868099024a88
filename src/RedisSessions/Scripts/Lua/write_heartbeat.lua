-- The heartbeat of a listening process. KEYS: 1 heartbeat. ARGV: 1 node, 2 host, 3 pid, 4 started (Unix ms), 5 TTL ms.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local started = ARGV[4]
if started == '0' then started = redis.call('HGET', KEYS[1], 'started') or now end
redis.call('HSET', KEYS[1], 'node', ARGV[1], 'host', ARGV[2], 'pid', ARGV[3], 'started', started, 'last', now)
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return now
