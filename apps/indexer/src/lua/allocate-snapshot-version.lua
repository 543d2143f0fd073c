--[[
  Hands out a snapshot version number: max(counter, floor) + 1. A floor read from the store
  covers a Redis that lost the counter.
  KEYS[1] the collection's version counter
  ARGV[1] the floor
  Returns the version.
]]
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local floor = tonumber(ARGV[1])
if current < floor then redis.call('SET', KEYS[1], floor) end
return redis.call('INCR', KEYS[1])
