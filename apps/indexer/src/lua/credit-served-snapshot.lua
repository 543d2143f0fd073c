--[[
  Applies queued credits, oldest first, exactly once: only if the list still starts with the
  entries the caller read (another run applied them otherwise), then removes them. Batch
  keys come in KEYS so the script declares everything it touches (one Cluster slot: the
  collection's tag). A batch the credits make done starts its retention clock.
  KEYS[1] the list of credits waiting to be served
  KEYS[2..] per credit, in order: its batch hash, then its batch's failure list
  ARGV[1] n, the number of list entries that follow
  ARGV[2 .. 1+n] the list entries the caller read (JSON {version, credits})
  ARGV[2+n] batch retention after done (s)
  Returns {applied entries (0: another caller applied them first), ids of batches now done...}.
]]
--- @include "expire-if-done"
local n = tonumber(ARGV[1])
local retention = ARGV[2 + n]
local head = redis.call('LRANGE', KEYS[1], 0, n - 1)
if #head ~= n then return {0} end
for i = 1, n do if head[i] ~= ARGV[1 + i] then return {0} end end
local k = 2
local touched = {}
local order = {}
for i = 1, n do
  local entry = cjson.decode(ARGV[1 + i])
  for _, credit in ipairs(entry.credits) do
    local batchKey = KEYS[k]
    local failuresKey = KEYS[k + 1]
    k = k + 2
    -- A batch that is gone (expired, or removed with its collection) is not brought back.
    if redis.call('EXISTS', batchKey) == 1 then
      if credit.indexed > 0 then redis.call('HINCRBY', batchKey, 'indexed', credit.indexed) end
      if #credit.failures > 0 then
        redis.call('HINCRBY', batchKey, 'failed', #credit.failures)
        for _, failure in ipairs(credit.failures) do redis.call('RPUSH', failuresKey, failure) end
      end
      if credit.total and credit.total ~= 0 then redis.call('HINCRBY', batchKey, 'total', credit.total) end
      if credit.built and credit.built > 0 then redis.call('HINCRBY', batchKey, 'built', credit.built) end
      if credit.listingDone then redis.call('HSET', batchKey, 'listing', 'done') end
      if credit.promote then redis.call('HSET', batchKey, 'indexed', redis.call('HGET', batchKey, 'built') or '0') end
      if credit.abandon then
        local rest = tonumber(redis.call('HGET', batchKey, 'total') or '0') - tonumber(redis.call('HGET', batchKey, 'failed') or '0')
          - tonumber(redis.call('HGET', batchKey, 'indexed') or '0')
        if rest > 0 then redis.call('HINCRBY', batchKey, 'failed', rest) end
      end
      if not touched[credit.batch] then
        touched[credit.batch] = { batchKey, failuresKey }
        table.insert(order, credit.batch)
      end
    end
  end
end
redis.call('LTRIM', KEYS[1], n, -1)
local answer = { n }
for _, batch in ipairs(order) do
  if expireIfDone(touched[batch][1], touched[batch][2], retention) then table.insert(answer, batch) end
end
return answer
