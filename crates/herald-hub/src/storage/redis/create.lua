-- Creates a task. ARGV[4] its name. ARGV[5] the create's key ('' for none),
-- kept at KEYS[6] for ARGV[6] ms: a create sent again with its key makes
-- nothing, and answers {'again', what the key made}. Otherwise answers
-- {'made', seq, id}.
if ARGV[5] ~= '' then
  local before = redis.call('GET', KEYS[6])
  if before then
    return {'again', before}
  end
end
local id = int(redis.call('INCR', KEYS[5]))
redis.call('HSET', KEYS[3], id, record(ARGV[4], false, '1'))
local seq = log('create', id, ARGV[4], '0', '1')
if ARGV[5] ~= '' then
  redis.call('SET', KEYS[6], cjson.encode({seq = seq, id = id, name = ARGV[4], at = ARGV[2]}), 'PX', ARGV[6])
end
return {'made', seq, id}
