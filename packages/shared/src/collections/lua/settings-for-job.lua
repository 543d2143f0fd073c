--[[
  The segmentation a worker cuts a job's recording with (CollectionSettings.forJob), read in
  one step with the proof that the job's collection still exists: its batch is there and no
  delete is under way. A job of a deleted collection (queued or retried across
  DELETE /v1/collections/:c) gets nothing and writes nothing, so it cannot bring back the
  settings of a collection that is gone; the drop sets the marker before it deletes a key
  and removes it only after every batch is gone, and batch ids are never reused.
  A live batch whose collection has no record (made by a writer that does not fix settings:
  vectors imported, then reindexed; a collection older than the record) gets `ARGV[1]`, set
  NX here: its liveness was checked in this same step, so this is never a deleted one.
  KEYS[1] the collection's settings record
  KEYS[2] the job's batch hash
  KEYS[3] the collection's "being deleted" marker
  ARGV[1] the record to set when there is none (JSON `{segmentation}`)
  Returns the record (JSON), or false when the batch is gone or the collection is being deleted.
]]
if redis.call('EXISTS', KEYS[3]) == 1 or redis.call('EXISTS', KEYS[2]) == 0 then return false end
local current = redis.call('GET', KEYS[1])
if current then return current end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]
