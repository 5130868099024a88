-- Reads sessions for the admin API (read only): each one's summary fields, how many data values it holds and, when
-- asked, the data itself. The caller read the ids from one tag's indexes, declares their hashes and chooses how many.
-- O(fields) per session.
-- KEYS: session hashes
-- ARGV: 1 '1' = with the data values
-- Returns {now, entry...}: one entry per key, {user, created, last, expires, absolute, node, ended, data count,
-- [data key, value]...}; a missing field is false (a key that holds no hash has every field false).
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {now}
for i = 1, #KEYS do
  local e = redis.call('HMGET', KEYS[i], 'user', 'created', 'last', 'expires', 'absolute', 'node', 'ended')
  e[8] = 0
  if ARGV[1] == '1' then
    local h = redis.call('HGETALL', KEYS[i])
    for j = 1, #h, 2 do
      if string.sub(h[j], 1, 2) == 'd:' then
        e[8] = e[8] + 1
        e[#e + 1] = string.sub(h[j], 3)
        e[#e + 1] = h[j + 1]
      end
    end
  else
    for _, name in ipairs(redis.call('HKEYS', KEYS[i])) do
      if string.sub(name, 1, 2) == 'd:' then e[8] = e[8] + 1 end
    end
  end
  out[#out + 1] = e
end
return out
