-- Sets and removes data values of a live session in one step; counts as activity (slides the expiry like
-- touch_session). O(values written) plus O(log n) in the user's session count.
-- KEYS: 1 session, 2 user index, 3 due index, 4 pending, 5 sessions counter
-- ARGV: 1 sid, 2 user ('' = don't check), 3 member, 4 idle ms, 5 grace ms, 6 resolution ms, 7 owner, 8 lease ms,
--       9 retention ms, 10 pending channel, 11 tag, 12 max data bytes, 13 number of key, value pairs to set (s),
--       14..13+2s the pairs, then the keys to remove
-- Returns {'ok', now, last, expires, created, removed} (removed: how many of the keys to remove were there)
--       | {'gone'} | {'wrong_user', user} | {'expired', now, snapshot?} | {'too_large', size}: nothing was written.
local k = {session = KEYS[1], user = KEYS[2], due = KEYS[3], pending = KEYS[4], sessions = KEYS[5]}
local now = now_ms()
local s, answer = load_live(k, ARGV[1], ARGV[2], ARGV[3], now, ARGV[7], tonumber(ARGV[8]), tonumber(ARGV[9]), ARGV[10], ARGV[11])
if not s then return answer end
local max, sets = tonumber(ARGV[12]), tonumber(ARGV[13])
local first_remove = 14 + 2 * sets
if sets > 0 then
  local incoming = 0
  for i = 14, first_remove - 1, 2 do incoming = incoming + string.len(ARGV[i]) + string.len(ARGV[i + 1]) end
  -- The hash's memory bounds its data: every stored byte of a key or value takes at least half a byte of it (a
  -- listpack packs a numeric string of up to 20 characters in 2 to 10 bytes). Only a session near the limit is
  -- counted field by field (so is every session where MEMORY USAGE is refused).
  local mem = redis.pcall('MEMORY', 'USAGE', KEYS[1], 'SAMPLES', '0')
  if type(mem) ~= 'number' or 2 * mem + incoming > max then
    local touched, size = {}, incoming
    for i = 14, first_remove - 1, 2 do touched['d:' .. ARGV[i]] = true end
    for i = first_remove, #ARGV do touched['d:' .. ARGV[i]] = true end
    local h = redis.call('HGETALL', KEYS[1])
    for i = 1, #h, 2 do
      local name = h[i]
      if string.sub(name, 1, 2) == 'd:' and not touched[name] then size = size + string.len(name) - 2 + string.len(h[i + 1]) end
    end
    if size > max then return {'too_large', size} end
  end
end
-- removals first, then sets: a key both removed and set ends up set
local removed = 0
local i = first_remove
while i <= #ARGV do
  local batch = {}
  while i <= #ARGV and #batch < 400 do
    batch[#batch + 1] = 'd:' .. ARGV[i]
    i = i + 1
  end
  removed = removed + redis.call('HDEL', KEYS[1], unpack(batch))
end
i = 14
while i < first_remove do
  local batch = {}
  while i < first_remove and #batch < 400 do
    batch[#batch + 1] = 'd:' .. ARGV[i]
    batch[#batch + 1] = ARGV[i + 1]
    i = i + 2
  end
  redis.call('HSET', KEYS[1], unpack(batch))
end
slide(k, s, ARGV[1], ARGV[3], now, tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]))
return {'ok', now, s.last, s.expires, s.created, removed}
