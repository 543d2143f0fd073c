--[[
  Extends the leader lock only while the caller still owns it, so a leader that paused past
  its TTL and was replaced cannot extend the new leader's lock.
  KEYS[1] the leader lock
  ARGV[1] the caller's token
  ARGV[2] the new TTL (ms)
  Returns 1 when extended, else 0.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
