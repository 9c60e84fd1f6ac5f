-- Drives one Herstel endpoint; the URL, method, body and headers come from the environment.
-- For the checklist toggle, BENCH_ENTRIES holds entry ids; each request ticks one (to done or not).
local method = os.getenv("BENCH_METHOD") or "GET"
local path = os.getenv("BENCH_PATH") or "/health"
local body = os.getenv("BENCH_BODY")
local entries = {}
for id in string.gmatch(os.getenv("BENCH_ENTRIES") or "", "%d+") do entries[#entries + 1] = id end
-- For note saves, BENCH_TARGETS_FILE lists "conversation/punten/entry" paths, one a line: each
-- request writes the first note of another item (base version 0), as tablets do.
local targets = {}
local targets_file = os.getenv("BENCH_TARGETS_FILE")
if targets_file then
  for line in io.lines(targets_file) do targets[#targets + 1] = line end
end
local counter = 0
local threads = 0

function setup(thread)
  thread:set("offset", threads)
  threads = threads + 1
end

wrk.method = method
wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
wrk.headers["X-CSRFToken"] = os.getenv("BENCH_CSRF")
wrk.headers["HX-Request"] = os.getenv("BENCH_HTMX") and "true" or nil
if method == "POST" then wrk.headers["Content-Type"] = "application/x-www-form-urlencoded" end

function request()
  counter = counter + 1
  if #targets > 0 then
    local target = targets[((counter * 2 + (offset or 0)) % #targets) + 1]
    return wrk.format(method, string.gsub(path, "{target}", target), nil, body)
  end
  if #entries > 0 then
    local id = entries[(counter % #entries) + 1]
    local wanted = (math.floor(counter / #entries) % 2 == 0) and "1" or "0"
    return wrk.format(method, string.gsub(path, "{entry}", id), nil, "done=" .. wanted)
  end
  if body then
    return wrk.format(method, path, nil, string.gsub(body, "{n}", tostring(counter)))
  end
  return wrk.format(method, path)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "seconds": %.3f, "p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, ' ..
    '"errors": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000,
    errors.connect + errors.read + errors.write + errors.status + errors.timeout))
end
