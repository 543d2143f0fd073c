--[[
  Every job of a batch recorded with an accepting TTL is queued: the record stays, until the
  batch is done. A batch that finished while it was being accepted (its items failed fast)
  keeps its retention TTL instead of losing it.
  KEYS[1] the batch hash
  KEYS[2] the batch's failure list
  ARGV[1] batch retention after done (s)
  Returns 1 when the batch is done already, -1 when its record is gone (its collection was
  deleted while it was being accepted, or it expired unconfirmed), else 0.
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
--- @include "expire-if-done"
if expireIfDone(KEYS[1], KEYS[2], ARGV[1]) then return 1 end
redis.call('PERSIST', KEYS[1])
redis.call('PERSIST', KEYS[2])
return 0
