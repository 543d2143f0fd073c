--[[
  Records a new batch (BatchLedger.createBatch), refused while its collection is being
  deleted; for an accept (IngestProducer), fixes the collection's settings in the same step,
  so a DELETE cannot land between the two. The drop sets the marker before it deletes any
  key of the collection, so a batch and settings written here either exist before the drop
  looks for keys (it removes them) or are refused; once the marker is gone the name is free.
  KEYS[1] the batch hash
  KEYS[2] the collection's "being deleted" marker
  KEYS[3] the collection's settings record
  ARGV[1] the record's accepting TTL (s); 0: none
  ARGV[2] the settings record to set when there is none (JSON `{segmentation}`); '': leave the settings alone
  ARGV[3] the requested segment length (s); '': the request asked for none, any record will do
  ARGV[4] the requested hop (s)
  ARGV[5..] the batch hash's fields and values
  Returns {1, record in effect ('' when untouched)}: recorded; {0, record}: the record holds
  other settings than requested, nothing written; {-1}: the collection is being deleted.
]]
if redis.call('EXISTS', KEYS[2]) == 1 then return {-1} end
local current = ''
if ARGV[2] ~= '' then
  current = redis.call('GET', KEYS[3])
  if not current then
    current = ARGV[2]
    redis.call('SET', KEYS[3], current)
  elseif ARGV[3] ~= '' then
    local stored = cjson.decode(current).segmentation
    if type(stored) ~= 'table' or stored.segmentSeconds ~= tonumber(ARGV[3]) or stored.hopSeconds ~= tonumber(ARGV[4]) then
      return {0, current}
    end
  end
end
redis.call('HSET', KEYS[1], unpack(ARGV, 5))
if tonumber(ARGV[1]) > 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return {1, current}
