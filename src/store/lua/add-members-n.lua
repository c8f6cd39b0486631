--[[
  Adds members (score 0) to several sorted sets in one call: reverse-index entries of new records.

  KEYS[1…k]     the sorted sets
  ARGV[1…k]     how many members go to each of KEYS[1…k]
  ARGV[k+1…]    the members, KEYS[1]'s first
  Returns       the number of members that were not there yet
]]
-- Members go to ZADD in slices: unpack() has a limit of a few thousand values.
local SLICE = 500
local added = 0
local at = #KEYS + 1
for k = 1, #KEYS do
  local args = {}
  for _ = 1, tonumber(ARGV[k]) do
    args[#args + 1] = 0
    args[#args + 1] = ARGV[at]
    at = at + 1
    if #args == 2 * SLICE then
      added = added + redis.call("ZADD", KEYS[k], unpack(args))
      args = {}
    end
  end
  if #args > 0 then added = added + redis.call("ZADD", KEYS[k], unpack(args)) end
end
return added
