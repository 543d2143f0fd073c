--[[
  Starts a reindex only when none is running, and queues it in the collection stream in the
  same step.
  KEYS[1] the collection's active-reindex key
  KEYS[2] the collection stream
  ARGV[1] the reindex id
  ARGV[2..] the reindex entry's fields and values
  Returns 1 when started, else the id of the reindex already running ('' if it just ended).
]]
if not redis.call('SET', KEYS[1], ARGV[1], 'NX') then return redis.call('GET', KEYS[1]) or '' end
redis.call('XADD', KEYS[2], '*', unpack(ARGV, 2))
return 1
