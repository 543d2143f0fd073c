--[[
  The commit point of a publish (snapshot-commit.ts says why it is here and not at LATEST):
  the fencing check, the committed version moved forward, the snapshot's stream entries
  acked and deleted, their batch credits queued for when LATEST names the version. Carries
  a commit id of its own, so the same commit arriving again changes nothing.
  KEYS[1] the collection's leader lock
  KEYS[2] the committed version
  KEYS[3] the sorted set of committed versions
  KEYS[4] the collection stream
  KEYS[5] the collection's active-reindex key
  KEYS[6] the collection's model record
  KEYS[7] the id of the last commit applied
  KEYS[8] the list of credits waiting to be served
  ARGV[1] this commit's id
  ARGV[2] the caller's lock token
  ARGV[3] the version to commit (0: acknowledge only)
  ARGV[4] the consumer group
  ARGV[5] n, the number of entry ids that follow
  ARGV[6 .. 5+n] the entry ids
  ARGV[6+n] the credits (JSON list; '[]' for none)
  ARGV[7+n] the reindex id to release if it is the active one ('' for none)
  ARGV[8+n] the model record to set ('' leaves it, '-' removes it)
  Returns 1 committed, 2 replayed (this commit id was applied), -1 fenced, -2 version not newer.
]]
if redis.call('GET', KEYS[7]) == ARGV[1] then return 2 end
if redis.call('GET', KEYS[1]) ~= ARGV[2] then return -1 end
local committed = tonumber(redis.call('GET', KEYS[2]) or '0')
local version = tonumber(ARGV[3])
if version > 0 then
  if version <= committed then return -2 end
  redis.call('SET', KEYS[2], version)
  redis.call('ZADD', KEYS[3], version, version)
  committed = version
end
local entryCount = tonumber(ARGV[5])
local chunk = 500
for first = 6, 5 + entryCount, chunk do
  local last = math.min(first + chunk - 1, 5 + entryCount)
  redis.call('XACK', KEYS[4], ARGV[4], unpack(ARGV, first, last))
  redis.call('XDEL', KEYS[4], unpack(ARGV, first, last))
end
local credits = ARGV[6 + entryCount]
if credits ~= '[]' then
  redis.call('RPUSH', KEYS[8], '{"version":' .. string.format('%d', committed) .. ',"credits":' .. credits .. '}')
end
local release = ARGV[7 + entryCount]
if release ~= '' and redis.call('GET', KEYS[5]) == release then redis.call('DEL', KEYS[5]) end
local model = ARGV[8 + entryCount]
if model == '-' then redis.call('DEL', KEYS[6]) elseif model ~= '' then redis.call('SET', KEYS[6], model) end
redis.call('SET', KEYS[7], ARGV[1])
return 1
