-- wrk script for drops.py: POST a small form body per request. nginx does not pass a
-- non-idempotent request to another upstream server once it was sent, so a replica that
-- stops with requests in flight shows up as errors. Connection: close comes from -H.
wrk.method = "POST"
wrk.body = "item=42&note=dockscale-bench"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
