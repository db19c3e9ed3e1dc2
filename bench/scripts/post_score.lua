-- wrk script: POST a small JSON body to /score and print exact figures as one JSON line at the end.
-- The body is the script kind's (run_bench.py passes it in BENCH_BODY); this default is the trivial kind's.
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY") or '{"data": [[1.0, 2.0, 3.0, 4.0]]}'
wrk.headers["Content-Type"] = "application/json"

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, '
      .. '"lat_mean_us": %.1f, "lat_p50_us": %d, "lat_p90_us": %d, "lat_p99_us": %d, "lat_max_us": %d, '
      .. '"err_connect": %d, "err_read": %d, "err_write": %d, "err_status": %d, "err_timeout": %d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
