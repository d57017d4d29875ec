-- wrk load for DriftQ's POST /v1/produce: JSON bodies with 100-byte values, keys cycling over
-- eight so the messages spread over partitions. One request at a time per connection (wrk's
-- model: every answer is awaited before the next request), as DriftQ's SDKs produce.
--   wrk -t2 -c8 -d10s -s bench/produce.lua http://127.0.0.1:8080 -- TOPIC
local requests = {}
local n = 0

function init(args)
  local topic = args[1] or "bench"
  local value = string.rep("x", 100)
  for i = 0, 7 do
    requests[i + 1] = wrk.format("POST", "/v1/produce", { ["Content-Type"] = "application/json" },
      '{"topic":"' .. topic .. '","key":"k' .. i .. '","value":"' .. value .. '"}')
  end
end

function request()
  n = n + 1
  return requests[(n % #requests) + 1]
end
