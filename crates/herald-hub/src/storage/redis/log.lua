-- What every write script shares. Each runs whole or not at all (Redis runs
-- one script at a time), so a task and its log entry are written together,
-- and the sequence number is taken in the same step.
--
-- KEYS[1] the sequence, KEYS[2] the change stream, KEYS[3] the tasks (a
-- hash of id to JSON), KEYS[4] who deleted each task, KEYS[5] the last id.
-- ARGV[1] the actor, ARGV[2] the time in ms, ARGV[3] how many changes the
-- stream keeps (0: all).
--
-- Numbers travel as strings: Lua's are doubles, and JSON would round them.

local function int(n)
  return string.format('%d', n)
end

-- Appends a change to the log, with the next sequence number as its id.
local function log(kind, id, name, done, version)
  local seq = int(redis.call('INCR', KEYS[1]))
  local entry = {'XADD', KEYS[2]}
  if ARGV[3] ~= '0' then
    table.insert(entry, 'MAXLEN')
    table.insert(entry, '~')
    table.insert(entry, ARGV[3])
  end
  local fields = {seq .. '-0', 'kind', kind, 'id', id, 'name', name, 'done', done,
    'version', version, 'actor', ARGV[1], 'at', ARGV[2]}
  for _, v in ipairs(fields) do
    table.insert(entry, v)
  end
  redis.call(unpack(entry))
  return seq
end

local function record(name, done, version)
  return cjson.encode({name = name, done = done, version = version, by = ARGV[1], at = ARGV[2]})
end

-- The task to write, decoded, or the reply that refuses the write. if_match
-- is '' (none), '*' (any version), or versions between commas: ',3,5,'.
local function checked(id, if_match)
  local raw = redis.call('HGET', KEYS[3], id)
  if not raw then
    if if_match == '' then
      return nil, {'missing'}
    end
    return nil, {'refused', '', redis.call('HGET', KEYS[4], id) or ''}
  end
  local task = cjson.decode(raw)
  if if_match ~= '' and if_match ~= '*' and not string.find(if_match, ',' .. task.version .. ',', 1, true) then
    return nil, {'refused', raw, ''}
  end
  return task, nil
end
