-- Check-and-take over counters of one hash slot (takeCounters in redis-store.ts).
-- KEYS: the counters. ARGV[1]: cost; ARGV[1+i]: limit of KEYS[i] ("inf" for none);
-- ARGV[1+n+i]: lifetime in ms of KEYS[i], started by its first increment.
-- Returns { taken (1|0), { value of each counter }, { ms until each resets } }.
local n = #KEYS
local cost = tonumber(ARGV[1])
local counts, resets = {}, {}
local taken = 1
for i = 1, n do
  counts[i] = tonumber(redis.call('GET', KEYS[i]) or '0')
  local limit = ARGV[1 + i]
  -- Refused when taking `cost` (at least one, so that a zero-cost check says whether one more fits)
  -- would pass the limit.
  if limit ~= 'inf' and counts[i] + math.max(cost, 1) > tonumber(limit) then taken = 0 end
end
for i = 1, n do
  if taken == 1 and cost > 0 then
    counts[i] = redis.call('INCRBY', KEYS[i], cost)
  end
  local ttl = redis.call('PTTL', KEYS[i])
  if ttl == -1 then
    -- A counter without a lifetime (just created, or left by a crash between INCRBY and PEXPIRE).
    redis.call('PEXPIRE', KEYS[i], ARGV[1 + n + i])
    ttl = tonumber(ARGV[1 + n + i])
  elseif ttl < 0 then
    ttl = 0
  end
  resets[i] = ttl
end
return { taken, counts, resets }
