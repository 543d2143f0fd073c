--[[
  Appends an embedded item's vectors to the collection stream and counts it in its batch, in
  one step and once per job: a job re-run after a crash between this script and the job's
  completion finds its outcome marker and adds nothing.
  Refused (nothing appended) when the batch is gone (expired, discarded by a failed accept,
  or removed with its collection) or the collection is being deleted: a job queued before
  DELETE /v1/collections/:c must not write into the stream the indexer is dropping.
  KEYS[1] the job's outcome marker
  KEYS[2] the collection stream
  KEYS[3] the batch hash
  KEYS[4] the collection's "being deleted" marker
  ARGV[1] outcome marker TTL (s)
  ARGV[2..] the stream entry's fields and values
  Returns the entry id; 0 when this job's outcome was already recorded; -1 when refused.
]]
if redis.call('EXISTS', KEYS[4]) == 1 or redis.call('EXISTS', KEYS[3]) == 0 then return -1 end
if not redis.call('SET', KEYS[1], 'embedded', 'NX', 'EX', ARGV[1]) then return 0 end
local entryId = redis.call('XADD', KEYS[2], '*', unpack(ARGV, 2))
redis.call('HINCRBY', KEYS[3], 'embedded', 1)
return entryId
