-- Deletes a task, and keeps who did it and when. ARGV[4] its id, ARGV[5]
-- If-Match. Returns as update.lua does.
local task, refused = checked(ARGV[4], ARGV[5])
if not task then
  return refused
end
local version = int(tonumber(task.version) + 1)
redis.call('HDEL', KEYS[3], ARGV[4])
redis.call('HSET', KEYS[4], ARGV[4], cjson.encode({by = ARGV[1], at = ARGV[2]}))
local last = record(task.name, task.done, version)
return {'changed', log('delete', ARGV[4], task.name, task.done and '1' or '0', version), last}
