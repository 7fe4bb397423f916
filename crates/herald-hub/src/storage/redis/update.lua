-- Changes a task. ARGV[4] its id, ARGV[5] If-Match, ARGV[6] '1' when the
-- name changes to ARGV[7], ARGV[8] '', 'true' or 'false' for done.
-- Returns {'changed', seq, task}, {'missing'} or {'refused', task, deleted}.
local task, refused = checked(ARGV[4], ARGV[5])
if not task then
  return refused
end
if ARGV[6] == '1' then
  task.name = ARGV[7]
end
if ARGV[8] ~= '' then
  task.done = ARGV[8] == 'true'
end
local version = int(tonumber(task.version) + 1)
local now = record(task.name, task.done, version)
redis.call('HSET', KEYS[3], ARGV[4], now)
return {'changed', log('update', ARGV[4], task.name, task.done and '1' or '0', version), now}
