--[[
  Records an item's final failure in its batch, once per job. A batch that is gone
  (discarded by a failed accept, or expired) is not brought back as a hash holding only
  counters: such a record would read "running" forever.
  KEYS[1] the job's outcome marker
  KEYS[2] the batch hash
  KEYS[3] the batch's failure list
  ARGV[1] outcome marker TTL (s)
  ARGV[2] the failure record (JSON)
  ARGV[3] batch retention after done (s)
  Returns 0 when nothing was recorded, 1 when recorded, 2 when recorded and the batch is done.
]]
--- @include "expire-if-done"
if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
if not redis.call('SET', KEYS[1], 'failed', 'NX', 'EX', ARGV[1]) then return 0 end
redis.call('HINCRBY', KEYS[2], 'failed', 1)
redis.call('RPUSH', KEYS[3], ARGV[2])
if expireIfDone(KEYS[2], KEYS[3], ARGV[3]) then return 2 end
-- While the batch is still being accepted its record may expire: the list goes with it.
local ttl = redis.call('PTTL', KEYS[2])
if ttl > 0 then redis.call('PEXPIRE', KEYS[3], ttl) end
return 1
