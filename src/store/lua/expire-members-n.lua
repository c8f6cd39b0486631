--[[
  Retention sweep: in each of several sorted sets (all scores 0, members <key><observation value>),
  deletes the member that starts with a given key when its time_last is before the cutoff. Atomic per
  member, so a member refreshed by a merge in the meantime is kept.

  KEYS[1…k]     the sorted sets (owners' records, or sighting groups)
  ARGV[1]       length of the key part of each member, in bytes
  ARGV[2]       the cutoff (seconds): members last seen before it are deleted
  ARGV[3]       the day (days since 1970-01-01 UTC) of the expiry bucket being swept
  ARGV[4…k+3]   the key each member starts with, for KEYS[1…k]
  Returns       per set: the deleted member, or 0 (no such member), 1 (last seen on a later day than the
                bucket's: it was moved), 2 (kept: not expired, still in this bucket)
]]
local keyLength = tonumber(ARGV[1])
local cutoff = tonumber(ARGV[2])
local day = tonumber(ARGV[3])

local function nextPrefix(s)
  for i = #s, 1, -1 do
    local b = string.byte(s, i)
    if b < 255 then return string.sub(s, 1, i - 1) .. string.char(b + 1) end
  end
  return nil
end

local function readUint(s, at, width)
  local n = 0
  for i = at, at + width - 1 do n = n * 256 + string.byte(s, i) end
  return n
end

local outcome = {}
for k = 1, #KEYS do
  local key = ARGV[k + 3]
  local upper = nextPrefix(key)
  local member = redis.call("ZRANGEBYLEX", KEYS[k], "[" .. key, upper and ("(" .. upper) or "+", "LIMIT", 0, 1)[1]
  if not member then
    outcome[k] = 0
  else
    local timeLast = readUint(member, keyLength + 5, 4)
    if timeLast < cutoff then
      redis.call("ZREM", KEYS[k], member)
      outcome[k] = member
    elseif math.floor(timeLast / 86400) ~= day then
      outcome[k] = 1
    else
      outcome[k] = 2
    end
  end
end
return outcome
