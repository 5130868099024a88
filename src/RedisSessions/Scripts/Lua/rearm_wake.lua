-- After a sweep of a tag: its wake key expires at the tag's next expiry or lease deadline (not before the next
-- millisecond), or is deleted when the tag has neither. Terminations ready for any handler are announced on the
-- pending channel instead: a wake key in the past would only make sweepers spin.
-- KEYS: 1 due index, 2 pending, 3 wake
-- Returns {now, next or -1}.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local next = -1
local e = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
-- a user's earliest score may carry a fraction of a millisecond (logins within one millisecond); PXAT takes whole ones
if e[2] then next = math.floor(tonumber(e[2])) end
local p = redis.call('ZRANGE', KEYS[2], '(0', '+inf', 'BYSCORE', 'LIMIT', 0, 1, 'WITHSCORES')
if p[2] and (next < 0 or tonumber(p[2]) < next) then next = tonumber(p[2]) end
if next < 0 then
  redis.call('DEL', KEYS[3])
else
  if next <= now then next = now + 1 end
  redis.call('SET', KEYS[3], '1', 'PXAT', next)
end
return {now, next}
