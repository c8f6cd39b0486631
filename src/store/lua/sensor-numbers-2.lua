--[[
  Hands out small stable numbers for sensor ids, allocating on first use.

  KEYS[1]  hash sensor id → number
  KEYS[2]  counter of the last number handed out
  ARGV[…]  sensor ids
  Returns  the numbers, in ARGV order (an error when more than 65535 sensors exist)
]]
local numbers = {}
for i = 1, #ARGV do
  local number = redis.call("HGET", KEYS[1], ARGV[i])
  if not number then
    number = redis.call("INCR", KEYS[2])
    if number > 65535 then return redis.error_reply("too many sensors (65535)") end
    redis.call("HSET", KEYS[1], ARGV[i], number)
  end
  numbers[i] = tonumber(number)
end
return numbers
