-- Cleanup: sets one user's score in the due index to the earliest expiry in the user's index, or removes the user when
-- its index is empty, so the sweep visits it on time. Right whatever changed since the plan: it writes what the user's
-- index holds now. O(log n).
-- KEYS: 1 user index, 2 due index
-- ARGV: 1 member
-- Returns 1 when the due index changed, else 0.
local before = redis.call('ZSCORE', KEYS[2], ARGV[1])
reindex_user(KEYS[1], KEYS[2], ARGV[1])
if redis.call('ZSCORE', KEYS[2], ARGV[1]) == before then return 0 end
return 1
