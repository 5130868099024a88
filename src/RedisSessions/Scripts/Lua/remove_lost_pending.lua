-- Cleanup: removes pending entries whose snapshot is gone (kept past its retention without any handler): nothing is
-- left to hand to a handler. Each only while it is still pending and its snapshot still missing. O(batch x log n).
-- KEYS: 1 pending index, 2.. snapshots
-- ARGV: sids (one per snapshot key)
-- Returns {removed, skipped}.
local removed, skipped = 0, 0
for i = 2, #KEYS do
  local sid = ARGV[i - 1]
  if redis.call('ZSCORE', KEYS[1], sid) and redis.call('EXISTS', KEYS[i]) == 0 then
    redis.call('ZREM', KEYS[1], sid)
    removed = removed + 1
  else
    skipped = skipped + 1
  end
end
return {removed, skipped}
