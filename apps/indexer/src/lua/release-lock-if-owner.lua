--[[
  Releases the leader lock only if the caller still owns it.
  KEYS[1] the leader lock
  ARGV[1] the caller's token
  Returns 1 when released, else 0.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
