--[[
  Merges observations into one sorted set whose members are <key><observation value> (all scores 0),
  mirroring mergeObservations in src/pdns/record-codec.ts: earliest first, latest last, counts added
  (saturating at 2^48-1), sensor sets united (at most 255).

  KEYS[1]  the sorted set (an owner's records, or an owner's rcode observations)
  ARGV[1]  length of the key part of each member, in bytes
  ARGV[2…] new members: <key><observation value>
  Returns  one status per new member: 1 created, 0 merged, 2 key taken by a different payload
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

local function decode(member)
  local at = keyLength + 1
  local sensorCount = string.byte(member, at + 14)
  local sensors = {}
  for i = 0, sensorCount - 1 do sensors[#sensors + 1] = readUint(member, at + HEADER + 2 * i, 2) end
  return {
    first = readUint(member, at, 4),
    last = readUint(member, at + 4, 4),
    count = readUint(member, at + 8, 6),
    sensors = sensors,
    payload = string.sub(member, at + HEADER + 2 * sensorCount),
  }
end

local function nextPrefix(s)
  for i = #s, 1, -1 do
    local b = string.byte(s, i)
    if b < 255 then return string.sub(s, 1, i - 1) .. string.char(b + 1) end
  end
  return nil
end

local statuses = {}
for i = 2, #ARGV do
  local member = ARGV[i]
  local key = string.sub(member, 1, keyLength)
  local upper = nextPrefix(key)
  local found = redis.call("ZRANGEBYLEX", KEYS[1], "[" .. key, upper and ("(" .. upper) or "+", "LIMIT", 0, 1)
  local old = found[1]
  if not old then
    redis.call("ZADD", KEYS[1], 0, member)
    statuses[#statuses + 1] = 1
  else
    local a = decode(old)
    local b = decode(member)
    if a.payload ~= b.payload then
      statuses[#statuses + 1] = 2
    else
      local seen, sensors = {}, {}
      for _, list in ipairs({ a.sensors, b.sensors }) do
        for _, s in ipairs(list) do
          if not seen[s] then
            seen[s] = true
            sensors[#sensors + 1] = s
          end
        end
      end
      table.sort(sensors)
      local encodedSensors = {}
      for j = 1, math.min(#sensors, 255) do encodedSensors[j] = writeUint(sensors[j], 2) end
      local merged = key
        .. writeUint(math.min(a.first, b.first), 4)
        .. writeUint(math.max(a.last, b.last), 4)
        .. writeUint(math.min(a.count + b.count, MAX_COUNT), 6)
        .. string.char(math.min(#sensors, 255))
        .. table.concat(encodedSensors)
        .. a.payload
      if merged ~= old then
        redis.call("ZREM", KEYS[1], old)
        redis.call("ZADD", KEYS[1], 0, merged)
      end
      statuses[#statuses + 1] = 0
    end
  end
end
return statuses
