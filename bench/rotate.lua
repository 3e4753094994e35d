-- wrk script: GET the request paths listed in a file (one per line), round robin, each wrk thread
-- starting at a different place in the list. Usage: wrk ... -s bench/rotate.lua http://host:port -- FILE
-- done() prints one JSON line (prefixed BENCH_JSON) with exact figures next to wrk's --latency text.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

local paths = {}

function init(args)
  local file = args[1]
  if file == nil then
    error("usage: wrk ... -s rotate.lua URL -- PATHS_FILE")
  end
  for line in io.lines(file) do
    if #line > 0 then
      paths[#paths + 1] = line
    end
  end
  if #paths == 0 then
    error("no request paths in " .. file)
  end
  counter = (tid * math.floor(#paths / 2 + 1)) % #paths
end

function request()
  counter = counter % #paths + 1
  return wrk.format("GET", paths[counter])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, "p90_us": %d, ' ..
    '"p99_us": %d, "max_us": %d, "non_2xx_3xx": %d, "connect_errors": %d, "read_errors": %d, ' ..
    '"write_errors": %d, "timeouts": %d}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.status, e.connect, e.read, e.write, e.timeout))
end
