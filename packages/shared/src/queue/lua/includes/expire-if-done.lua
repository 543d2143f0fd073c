-- A batch is done once its listing (if any) ended and every item has an outcome (the same
-- rule as BatchLedger.status). A done batch's record and failure list expire `retention`
-- seconds later (BATCH_RETENTION_SECONDS); touched again while done, the clock restarts.
-- Returns true when the batch is done. Its batch -> collection lookup lives in another
-- Cluster slot: the caller expires it with a command of its own (BatchLedger.expireLookups).
local function expireIfDone(batchKey, failuresKey, retention)
  local fields = redis.call('HMGET', batchKey, 'total', 'failed', 'indexed', 'listing')
  if fields[1] == false or fields[4] == 'running' then return false end
  if tonumber(fields[2] or '0') + tonumber(fields[3] or '0') < tonumber(fields[1]) then return false end
  redis.call('EXPIRE', batchKey, retention)
  redis.call('EXPIRE', failuresKey, retention)
  return true
end
