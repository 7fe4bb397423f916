-- Creates a task. ARGV[4] its name. Returns {seq, id}.
local id = int(redis.call('INCR', KEYS[5]))
redis.call('HSET', KEYS[3], id, record(ARGV[4], false, '1'))
return {log('create', id, ARGV[4], '0', '1'), id}
