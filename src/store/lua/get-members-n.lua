--[[
  Fetches, from each of several sorted sets (all scores 0), the member that starts with a given key:
  one command instead of one ZRANGEBYLEX per record.

  KEYS[1…k]   the sorted sets
  ARGV[1…k]   the key each member starts with, for KEYS[1…k]
  Returns     the member found in each set, or false
]]
local function nextPrefix(s)
  for i = #s, 1, -1 do
    local b = string.byte(s, i)
    if b < 255 then return string.sub(s, 1, i - 1) .. string.char(b + 1) end
  end
  return nil
end

local found = {}
for k = 1, #KEYS do
  local key = ARGV[k]
  local upper = nextPrefix(key)
  local members = redis.call("ZRANGEBYLEX", KEYS[k], "[" .. key, upper and ("(" .. upper) or "+", "LIMIT", 0, 1)
  found[k] = members[1] or false
end
return found
