-- Sets or removes data values of a live session; counts as activity (slides the expiry like touch_session).
-- O(values written) plus O(log n) in the user's session count.
-- KEYS: 1 session, 2 user index, 3 due index, 4 pending, 5 sessions counter
-- ARGV: 1 sid, 2 user ('' = don't check), 3 member, 4 idle ms, 5 grace ms, 6 resolution ms, 7 owner, 8 lease ms,
--       9 retention ms, 10 pending channel, 11 tag, 12 max data bytes, 13 'set' | 'remove',
--       14.. key, value pairs (set) or keys (remove)
-- Returns {'ok', now, last, expires, created} | {'gone'} | {'wrong_user', user} | {'expired', now, snapshot?}
--       | {'too_large', size}: nothing was written.
local k = {session = KEYS[1], user = KEYS[2], due = KEYS[3], pending = KEYS[4], sessions = KEYS[5]}
local now = now_ms()
local s, answer = load_live(k, ARGV[1], ARGV[2], ARGV[3], now, ARGV[7], tonumber(ARGV[8]), tonumber(ARGV[9]), ARGV[10], ARGV[11])
if not s then return answer end
local op, max = ARGV[13], tonumber(ARGV[12])
local step = 2
if op == 'remove' then step = 1 end
if op == 'set' then
  local incoming = 0
  for i = 14, #ARGV, 2 do incoming = incoming + string.len(ARGV[i]) + string.len(ARGV[i + 1]) end
  -- The hash's memory bounds its data: every stored byte of a key or value takes at least half a byte of it (a
  -- listpack packs a numeric string of up to 20 characters in 2 to 10 bytes). Only a session near the limit is
  -- counted field by field (so is every session where MEMORY USAGE is refused).
  local mem = redis.pcall('MEMORY', 'USAGE', KEYS[1], 'SAMPLES', '0')
  if type(mem) ~= 'number' or 2 * mem + incoming > max then
    local touched, size = {}, incoming
    for i = 14, #ARGV, 2 do touched['d:' .. ARGV[i]] = true end
    local h = redis.call('HGETALL', KEYS[1])
    for i = 1, #h, 2 do
      local name = h[i]
      if string.sub(name, 1, 2) == 'd:' and not touched[name] then size = size + string.len(name) - 2 + string.len(h[i + 1]) end
    end
    if size > max then return {'too_large', size} end
  end
end
local i = 14
while i <= #ARGV do
  local batch = {}
  while i <= #ARGV and #batch < 400 do
    batch[#batch + 1] = 'd:' .. ARGV[i]
    if op == 'set' then batch[#batch + 1] = ARGV[i + 1] end
    i = i + step
  end
  if op == 'set' then redis.call('HSET', KEYS[1], unpack(batch)) else redis.call('HDEL', KEYS[1], unpack(batch)) end
end
slide(k, s, ARGV[1], ARGV[3], now, tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]))
return {'ok', now, s.last, s.expires, s.created}
