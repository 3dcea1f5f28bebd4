-- wrk script: POST one Alertmanager webhook body (version 4) per request.
-- The body is read from the file named by $WEBHOOK_BODY (intake.py writes a real
-- Alertmanager payload there); without it, a built-in firing alert for service "web".
-- Optional $WEBHOOK_TOKEN adds "Authorization: Bearer <token>".
local path = os.getenv("WEBHOOK_BODY")
local body
if path and path ~= "" then
  local f = assert(io.open(path, "rb"))
  body = f:read("*a")
  f:close()
else
  body = '{"receiver":"dockscale","status":"firing","alerts":[{"status":"firing",' ..
    '"labels":{"alertname":"DockscaleServiceBusy","dockscale_service":"web",' ..
    '"dockscale_action":"scale_up","severity":"info"},"annotations":{},' ..
    '"startsAt":"2026-11-26T10:00:00Z","endsAt":"0001-01-01T00:00:00Z",' ..
    '"generatorURL":"http://127.0.0.1:9090/graph","fingerprint":"8f3c1f2e9d4b7a61"}],' ..
    '"groupLabels":{"alertname":"DockscaleServiceBusy"},"commonLabels":{},' ..
    '"commonAnnotations":{},"externalURL":"http://127.0.0.1:9093","version":"4",' ..
    '"groupKey":"{}:{alertname=\\"DockscaleServiceBusy\\"}","truncatedAlerts":0}'
end
wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
local token = os.getenv("WEBHOOK_TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
