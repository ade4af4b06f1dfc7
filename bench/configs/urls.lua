-- wrk script for the hitboxd rows: cycles over N URLs PREFIX0 .. PREFIX(N-1),
-- prepared once per thread. Usage: wrk ... -s urls.lua URL -- PREFIX N
local reqs = {}
local i = 0

function init(args)
  local prefix = args[1] or "/s1k/"
  local n = tonumber(args[2] or "100")
  for k = 0, n - 1 do
    reqs[k + 1] = wrk.format("GET", prefix .. k)
  end
end

function request()
  i = i % #reqs + 1
  return reqs[i]
end
