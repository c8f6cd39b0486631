--[[
  Merges observations into sorted sets whose members are <key><observation value> (all scores 0),
  mirroring mergeObservations in src/pdns/record-codec.ts: earliest first, latest last, counts added
  (saturating at 2^48-1), sensor sets united (at most 255). Takes several sets per call (the caller
  bounds how many) because the per-command cost, not the merge, dominates a batch.

  KEYS[1…k]     the sorted sets (owners' records, or owners' rcode observations)
  ARGV[1]       length of the key part of each member, in bytes
  ARGV[2…k+1]   how many new members go to each of KEYS[1…k]
  ARGV[k+2…]    the new members, <key><observation value>, KEYS[1]'s first
  Returns       one status per new member: 1 created, 2 key taken by a different payload, or, merged,
                16 + the stored time_last before the merge (for expiry filing)
]]
local keyLength = tonumber(ARGV[1])
local HEADER = 15
local MAX_COUNT = 281474976710655

local function readUint(s, at, width)
  local n = 0
  for i = at, at + width - 1 do n = n * 256 + string.byte(s, i) end
  return n
end

local function writeUint(n, width)
  local bytes = {}
  for i = width, 1, -1 do
    bytes[i] = n % 256
    n = math.floor(n / 256)
  end
  return string.char(unpack(bytes))
end

local function sensorList(encoded)
  local list = {}
  for i = 1, #encoded, 2 do list[#list + 1] = readUint(encoded, i, 2) end
  return list
end

-- The union of two encoded sensor lists (u16 each, ascending), re-encoded, and its length (at most 255).
local function unite(a, b)
  local seen, sensors = {}, {}
  for _, list in ipairs({ sensorList(a), sensorList(b) }) do
    for _, s in ipairs(list) do
      if not seen[s] then
        seen[s] = true
        sensors[#sensors + 1] = s
      end
    end
  end
  table.sort(sensors)
  local encoded = {}
  for j = 1, math.min(#sensors, 255) do encoded[j] = writeUint(sensors[j], 2) end
  return table.concat(encoded), math.min(#sensors, 255)
end

local function nextPrefix(s)
  for i = #s, 1, -1 do
    local b = string.byte(s, i)
    if b < 255 then return string.sub(s, 1, i - 1) .. string.char(b + 1) end
  end
  return nil
end

local statuses = {}

local function merge(set, member)
  local key = string.sub(member, 1, keyLength)
  local upper = nextPrefix(key)
  local old = redis.call("ZRANGEBYLEX", set, "[" .. key, upper and ("(" .. upper) or "+", "LIMIT", 0, 1)[1]
  if not old then
    redis.call("ZADD", set, 0, member)
    statuses[#statuses + 1] = 1
    return
  end
  local at = keyLength + 1
  local oldSensorsEnd = at + HEADER + 2 * string.byte(old, at + 14)
  local newSensorsEnd = at + HEADER + 2 * string.byte(member, at + 14)
  local payload = string.sub(old, oldSensorsEnd)
  if payload ~= string.sub(member, newSensorsEnd) then
    statuses[#statuses + 1] = 2
    return
  end
  -- Big-endian u32 strings of equal length compare like the numbers they hold.
  local oldFirst, newFirst = string.sub(old, at, at + 3), string.sub(member, at, at + 3)
  local oldLast, newLast = string.sub(old, at + 4, at + 7), string.sub(member, at + 4, at + 7)
  local count = math.min(readUint(old, at + 8, 6) + readUint(member, at + 8, 6), MAX_COUNT)
  local oldSensors = string.sub(old, at + HEADER, oldSensorsEnd - 1)
  local newSensors = string.sub(member, at + HEADER, newSensorsEnd - 1)
  local sensors, sensorCount = oldSensors, #oldSensors / 2
  if newSensors ~= oldSensors then sensors, sensorCount = unite(oldSensors, newSensors) end
  local merged = key
    .. (newFirst < oldFirst and newFirst or oldFirst)
    .. (newLast > oldLast and newLast or oldLast)
    .. writeUint(count, 6)
    .. string.char(sensorCount)
    .. sensors
    .. payload
  if merged ~= old then
    redis.call("ZREM", set, old)
    redis.call("ZADD", set, 0, merged)
  end
  statuses[#statuses + 1] = 16 + readUint(oldLast, 1, 4)
end

local at = #KEYS + 2
for k = 1, #KEYS do
  for _ = 1, tonumber(ARGV[k + 1]) do
    merge(KEYS[k], ARGV[at])
    at = at + 1
  end
end
return statuses
