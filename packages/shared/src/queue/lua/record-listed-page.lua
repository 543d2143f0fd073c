--[[
  Adds one listed page's item count to a batch's total, once. Pages are listed strictly in
  order (page n+1's job exists only after page n is recorded), so one "pages recorded"
  counter makes this idempotent: a listing job retried after a crash finds its page counted.
  KEYS[1] the batch hash
  KEYS[2] the batch's failure list
  ARGV[1] the page (0-based)
  ARGV[2] items on the page
  ARGV[3] '1' when it is the last page
  ARGV[4] batch retention after done (s)
  Returns 0 when the page was counted already, 1 when counted, 2 when counted and the batch is done.
]]
--- @include "expire-if-done"
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local recorded = tonumber(redis.call('HGET', KEYS[1], 'listedPages') or '0')
if recorded > tonumber(ARGV[1]) then return 0 end
redis.call('HINCRBY', KEYS[1], 'total', ARGV[2])
redis.call('HSET', KEYS[1], 'listedPages', tonumber(ARGV[1]) + 1)
if ARGV[3] == '1' then redis.call('HSET', KEYS[1], 'listing', 'done') end
if expireIfDone(KEYS[1], KEYS[2], ARGV[4]) then return 2 end
return 1
