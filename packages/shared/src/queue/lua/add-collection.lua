--[[
  Records a collection's name once its first batch exists (CollectionCatalog.add), unless
  the name is being deleted: a batch written just as a drop ends (its marker removed, the
  name not yet out of the deleting set) must not put the name back for the drop to remove
  again under it. The caller then discards its batch.
  KEYS[1] the set of collection names
  KEYS[2] the set of collections being deleted
  ARGV[1] the collection
  Returns 1: recorded (or there already); 0: being deleted, nothing written.
]]
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then return 0 end
redis.call('SADD', KEYS[1], ARGV[1])
return 1
