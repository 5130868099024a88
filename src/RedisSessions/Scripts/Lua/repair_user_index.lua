-- Cleanup: removes entries of one user's index that name no live session of this user, each only while it is still
-- what the plan found: 'gone' (no session hash: it ran out before any sweep, and the tag's counter still counts it),
-- 'ended' (an ended session listed again) or 'foreign' (a live session of the other user named in ARGV). The due index
-- follows the user's index. O(batch x log n); the caller chooses the batch.
-- KEYS: 1 user index, 2 due index, 3 sessions counter, 4.. session hashes
-- ARGV: 1 member, then per session hash: sid, finding, the other user ('' unless foreign)
-- Returns {removed, skipped}: skipped = entries that changed since the plan (left alone).
local removed, skipped = 0, 0
for i = 4, #KEYS do
  local j = 2 + 3 * (i - 4)
  local sid, finding, other = ARGV[j], ARGV[j + 1], ARGV[j + 2]
  local still = false
  if redis.call('ZSCORE', KEYS[1], sid) then
    local v = redis.call('HMGET', KEYS[i], 'user', 'ended')
    if finding == 'gone' then still = not v[1] and not v[2]
    elseif finding == 'ended' then still = v[2] ~= false
    elseif finding == 'foreign' then still = v[1] == other and not v[2] end
  end
  if still then
    redis.call('ZREM', KEYS[1], sid)
    if finding == 'gone' then count_down(KEYS[3], 1) end
    removed = removed + 1
  else
    skipped = skipped + 1
  end
end
reindex_user(KEYS[1], KEYS[2], ARGV[1])
return {removed, skipped}
