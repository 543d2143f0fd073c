--[[
  Hands new stream entries only to the lock holder, in the same atomic step as the check.
  Without it a deposed leader that has not noticed yet could take entries into the shared
  pending list after the new leader replayed it, and nobody would apply them until the next
  change of leader.
  KEYS[1] the collection's leader lock
  KEYS[2] the collection stream
  ARGV[1] the caller's lock token
  ARGV[2] the consumer group
  ARGV[3] the consumer
  ARGV[4] most entries to read
  Returns the XREADGROUP reply, or -1 when the caller does not hold the lock.
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
return redis.call('XREADGROUP', 'GROUP', ARGV[2], ARGV[3], 'COUNT', ARGV[4], 'STREAMS', KEYS[2], '>')
