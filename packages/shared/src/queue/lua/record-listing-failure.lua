--[[
  A source that cannot be listed (no such bucket, outside FILE_ROOT) counts as one failed
  item named after the source, and ends the listing, so the batch still reaches "done".
  KEYS[1] the batch hash
  KEYS[2] the batch's failure list
  ARGV[1] the failure record (JSON)
  ARGV[2] batch retention after done (s)
  Returns 0 when the listing had ended already, 1 when recorded, 2 when recorded and the batch is done.
]]
--- @include "expire-if-done"
if redis.call('HGET', KEYS[1], 'listing') ~= 'running' then return 0 end
redis.call('HINCRBY', KEYS[1], 'total', 1)
redis.call('HINCRBY', KEYS[1], 'failed', 1)
redis.call('HSET', KEYS[1], 'listing', 'done')
redis.call('RPUSH', KEYS[2], ARGV[1])
if expireIfDone(KEYS[1], KEYS[2], ARGV[2]) then return 2 end
return 1
