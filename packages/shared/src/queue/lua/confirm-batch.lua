--[[
  Every job of a batch recorded with an accepting TTL is queued: the record stays, until the
  batch is done. A batch that finished while it was being accepted (its items failed fast)
  keeps its retention TTL instead of losing it.
  KEYS[1] the batch hash
  KEYS[2] the batch's failure list
  ARGV[1] batch retention after done (s)
  Returns 1 when the batch is done already, else 0.
]]
--- @include "expire-if-done"
if expireIfDone(KEYS[1], KEYS[2], ARGV[1]) then return 1 end
redis.call('PERSIST', KEYS[1])
redis.call('PERSIST', KEYS[2])
return 0
