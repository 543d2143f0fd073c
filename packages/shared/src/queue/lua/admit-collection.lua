--[[
  Whether items for a collection may be accepted (stream-backlog.ts, admitCollection).
  KEYS[1] the set of collection names
  KEYS[2] the set of collections being deleted
  ARGV[1] the collection
  ARGV[2] most collections that may exist
  Returns 1: it exists or may be created; 0: the cap is reached; -1: it is being deleted.
]]
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then return -1 end
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 1 end
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
return 1
