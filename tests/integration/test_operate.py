"""Operating a running daemon: the event history, pause and resume, a manual scale that
sticks, explain, and the status page in a real browser (doc/api.md, "Event history",
"Pause and manual scale", "Status page")."""
import os
import re
import shutil
import signal
import subprocess
import threading
import time

import dockerapi as dk
from conftest import http, wait_for
from test_replicas import service_conf, status, wait_ready
from test_webhook import alert, payload

# A policy that always wants fewer replicas (idle CPU is far below 99 %): whatever keeps
# a service above min_replicas is the pause or the manual-scale guard under test.
SHRINK = dict(metric="docker_cpu", min_replicas=1, max_replicas=3, scale_up_threshold=100,
              scale_down_threshold=99, scale_down_for="0s", scale_down_cooldown="0s",
              scale_up_cooldown="0s")


def events(d, **q):
    qs = "&".join(f"{k}={v}" for k, v in q.items())
    code, body, _ = d.get(f"/api/v1/events?{qs}", timeout=70)
    assert code == 200, body
    return body


def explain(d, svc):
    code, body, _ = d.get(f"/api/v1/services/{svc}/explain")
    assert code == 200, body
    return body


def long_polls(d):
    """Long polls the daemon holds now (doc/api.md, "API limits")."""
    return int(re.search(r"^dockscale_api_long_polls (\d+)$", d.get("/metrics")[1],
                         re.M).group(1))


def test_event_history_filters_and_long_poll(daemon_factory, svc):
    d = daemon_factory(service_conf(svc)).start()
    wait_ready(d, svc, 1)
    got = wait_for(lambda: [e for e in events(d)["events"] if "healthy" in e["message"]],
                   what="a 'healthy' event")
    assert got[0]["type"] == "replica" and got[0]["service"] == svc
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", got[0]["time"])
    # Healthy comes before nginx runs it: the sync's events (the balancer runs the new
    # membership, the replica joined) follow its reload. The quiet window below starts
    # after them.
    wait_for(lambda: [e for e in events(d)["events"] if "joined" in e["message"]],
             what="a 'joined' event")
    every = events(d)
    ids = [e["id"] for e in every["events"]]
    assert ids == sorted(ids) and every["oldest_id"] == 1 and every["last_id"] == ids[-1]
    msgs = " | ".join(e["message"] for e in every["events"])
    assert f"creating replica {svc}-1" in msgs
    assert all(e["service"] == svc for e in events(d, service=svc)["events"])
    assert events(d, since=ids[-1])["events"] == []
    assert [e["id"] for e in events(d, since=ids[0])["events"]] == ids[1:]
    assert all(e["type"] == "replica" for e in events(d, type="replica")["events"])
    assert len(events(d, limit=1)["events"]) == 1
    for bad in ("since=x", "since=-1", "limit=0", "limit=1001", "wait=61s", "wait=soon",
                "type=nope"):
        code, body, _ = d.get(f"/api/v1/events?{bad}")
        assert code == 400 and "error" in body, (bad, code, body)
    code, body, _ = d.get("/api/v1/events?service=nosuch")
    assert code == 404 and "error" in body

    # Nothing happens: the wait ends with an empty list (not cut by the server's 5 s
    # request deadlines), and the loop kept turning meanwhile.
    last = events(d)["last_id"]
    out = {}

    def poll(key, q):
        t0 = time.monotonic()
        out[key] = (events(d, **q), time.monotonic() - t0)

    t = threading.Thread(target=poll, args=("idle", {"since": last, "wait": "6s",
                                                     "service": svc}))
    t.start()
    wait_for(lambda: long_polls(d) == 1, timeout=5, what="the long poll held")
    t0 = time.monotonic()
    assert d.get("/healthz")[0] == 200 and time.monotonic() - t0 < 1.0
    t.join(10)
    body, took = out["idle"]
    assert body["events"] == [] and 5.8 <= took < 10, (body, took)

    # A scale during the wait answers it at once, with that event.
    t = threading.Thread(target=poll, args=("scale", {"since": last, "wait": "30s",
                                                      "type": "decision"}))
    t.start()
    wait_for(lambda: long_polls(d) == 1, timeout=5, what="the long poll held")
    assert d.post(f"/api/v1/services/{svc}/scale", {"replicas": 2})[0] == 200
    t.join(10)
    assert not t.is_alive(), "the long poll did not return after the scale"
    body, took = out["scale"]
    assert took < 5, took
    assert [e["type"] for e in body["events"]] == ["decision"]
    assert "manual scale request" in body["events"][0]["message"]

    # Shutting down answers a pending long poll instead of hanging or crashing.
    t = threading.Thread(target=lambda: out.update(
        stop=http("GET", f"{d.url}/api/v1/events?since={body['last_id'] + 1000}&wait=60s",
                  timeout=20)))
    t.start()
    wait_for(lambda: long_polls(d) == 1, timeout=5, what="the long poll held")
    assert d.stop() == 0
    t.join(20)
    assert not t.is_alive()
    assert out["stop"][0] == 503, out["stop"]


def test_pause_holds_against_policy_and_alerts(daemon_factory, svc):
    d = daemon_factory(service_conf(svc, **SHRINK)).start()
    wait_ready(d, svc, 1)
    code, body, _ = d.post(f"/api/v1/services/{svc}/pause", {"replicas": 5})
    assert code == 400 and "[1, 3]" in body["error"]
    assert not status(d, svc)["paused"]
    code, body, _ = d.post(f"/api/v1/services/{svc}/pause", {"replicas": 2})
    assert code == 200 and body["paused"] and body["paused_replicas"] == 2, body
    assert body["desired"] == 2
    assert d.post("/api/v1/services/nosuch/pause", {})[0] == 404
    wait_ready(d, svc, 2)
    assert f'dockscale_paused{{service="{svc}"}} 1' in d.get("/metrics")[1]
    # A manual scale of a paused service is refused: the pause owns the count.
    assert d.post(f"/api/v1/services/{svc}/scale", {"replicas": 3})[0] == 409
    code, body, _ = d.post("/api/v1/alerts", payload([alert(svc, "scale_up", fp="p1")]))
    assert code == 200 and body["alerts"][0]["outcome"] == "held", body
    assert "paused" in body["alerts"][0]["reason"]
    ex = explain(d, svc)
    assert ex["paused"] and "paused at 2" in ex["blocking"] and ex["next"] == "hold"
    # The policy wants 1 on every pass and the alert asked 3: neither moves it.
    d.wait_passes(4, hold=lambda: status(d, svc)["desired"] == 2 and
                  len(dk.containers(svc)) == 2, what="a paused service's count")
    # SIGHUP with the same service keeps the pause.
    d.signal(signal.SIGHUP)
    d.wait_log("reload: ")
    d.wait_passes(2, hold=lambda: status(d, svc)["paused"] and
                  status(d, svc)["desired"] == 2, what="the pause across the reload")
    code, body, _ = d.post(f"/api/v1/services/{svc}/resume")
    assert code == 415  # a POST without a JSON body, as every other POST
    # The status page's button: its Origin is the daemon's own.
    code, body, _ = d.post(f"/api/v1/services/{svc}/resume", {},
                           headers={"Origin": d.url})
    assert code == 200 and not body["paused"] and body["paused_replicas"] is None
    wait_for(lambda: status(d, svc)["desired"] == 1, timeout=30, what="the policy back")
    assert f'dockscale_paused{{service="{svc}"}} 0' in d.get("/metrics")[1]
    ex = wait_for(lambda: (lambda e: "min_replicas" in (e["blocking"] or "") and e)(
        explain(d, svc)), timeout=20, what="explain blocked at min_replicas")
    assert ex["blocking"] == "at min_replicas 1" and ex["next"] == "hold"
    kinds = [e["type"] for e in events(d, service=svc)["events"]]
    assert kinds.count("pause") == 2 and "decision" in kinds


def test_manual_scale_is_not_undone_before_ready_and_a_window(daemon_factory, svc):
    down_for = 3.0
    conf = dict(SHRINK, scale_down_for=f"{down_for:g}s", scale_down_cooldown="30s")
    d = daemon_factory(service_conf(svc, **conf)).start()
    wait_ready(d, svc, 1)
    wait_for(lambda: status(d, svc)["metric"] is not None, timeout=20, what="a CPU value")
    assert d.post(f"/api/v1/services/{svc}/scale", {"replicas": 3})[0] == 200
    ex = explain(d, svc)
    assert ex["manual_hold"] and "manual scale to 3" in ex["blocking"], ex
    t_ready = None
    deadline = time.monotonic() + 40
    while True:
        s = status(d, svc)
        now = time.monotonic()
        if t_ready is None and s["ready"] == 3:
            t_ready = now
        if s["desired"] < 3:
            assert t_ready is not None, f"undone before its replicas were ready: {s}"
            # The guard ends on the first sample after readiness; the window runs from it.
            assert now - t_ready >= down_for - 0.5, (now - t_ready, s["last_decision"])
            break
        assert now < deadline, f"the policy never took over again: {s['last_decision']}"
        time.sleep(0.1)
    assert s["desired"] == 2 and s["last_decision"]["direction"] == "down"
    ex = wait_for(lambda: (lambda e: "cooldown" in (e["blocking"] or "") and e)(
        explain(d, svc)), timeout=15, what="explain blocked by the cooldown")
    assert ex["blocking"].startswith("scale-down cooldown:") and ex["next"] == "hold"
    assert any("cooldown left" in line for line in ex["lines"])


def test_metric_removed_by_reload_clears_status(daemon_factory, svc):
    conf = dict(SHRINK, min_replicas=1, scale_down_threshold=1, scale_up_threshold=99)
    d = daemon_factory(service_conf(svc, **conf)).start()
    wait_ready(d, svc, 1)
    wait_for(lambda: status(d, svc)["metric"] is not None and
             status(d, svc)["last_decision"].get("reason"), timeout=20,
             what="a metric value and a decision")
    d.write_config(service_conf(svc, metric="none"))
    d.signal(signal.SIGHUP)
    wait_for(lambda: status(d, svc)["metric"] is None, timeout=10, what="metric cleared")
    s = status(d, svc)
    assert s["last_decision"] == {} and s["metrics"] == {}, s
    assert explain(d, svc)["lines"][1].startswith("metric: none")


def test_status_page_in_chromium(daemon_factory, svc, tmp_path):
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    assert os.path.exists(chromium), "Debian's chromium is a test dependency"
    d = daemon_factory(service_conf(svc)).start()
    wait_ready(d, svc, 1)
    code, html, hdrs = d.get("/")
    assert code == 200 and hdrs["Content-Type"].startswith("text/html")
    assert '<script src="/statuspage.js"' in html and "http://" not in html
    # Security headers (doc/api.md, "Status page"): the page's strict policy (no inline
    # script or style, Trusted Types), and sensible ones on every other answer.
    csp = hdrs["Content-Security-Policy"]
    for directive in ("default-src 'none'", "script-src 'self'", "style-src 'self'",
                      "connect-src 'self'", "frame-ancestors 'none'",
                      "require-trusted-types-for 'script'"):
        assert directive in csp, (directive, csp)
    assert "unsafe" not in csp, csp
    for path, ctype in (("/", "text/html"), ("/statuspage.js", "text/javascript"),
                        ("/statuspage.css", "text/css"), ("/api/v1/services", "application/json"),
                        ("/metrics", "text/plain"), ("/nosuch", "application/json")):
        code, _, h = d.get(path)
        assert code == (404 if path == "/nosuch" else 200), path
        assert h["Content-Type"].startswith(ctype), (path, h["Content-Type"])
        assert h["X-Content-Type-Options"] == "nosniff", path
        assert h["X-Frame-Options"] == "DENY", path
        assert h["Referrer-Policy"] == "no-referrer", path
        assert "frame-ancestors 'none'" in h["Content-Security-Policy"], path
    base = [chromium, "--headless=new", "--no-sandbox", "--disable-gpu",
            f"--user-data-dir={tmp_path}/chromium", "--virtual-time-budget=5000",
            "--enable-logging=stderr", "--v=0"]  # console messages on stderr

    def violations(stderr):
        return [line for line in stderr.splitlines() if "CONSOLE" in line and any(
            w in line for w in ("Content Security Policy", "Trusted", "Uncaught"))]
    # The check sees a violation when there is one: an inline script under a policy.
    bad = tmp_path / "csp_control.html"
    bad.write_text('<!DOCTYPE html><meta http-equiv="Content-Security-Policy" '
                   "content=\"script-src 'none'\"><p>x</p><script>1</script>")
    out = subprocess.run(base + ["--dump-dom", bad.as_uri()], capture_output=True, text=True,
                         timeout=60)
    assert violations(out.stderr), out.stderr[-2000:]
    out = subprocess.run(base + ["--dump-dom", d.url + "/"], capture_output=True, text=True,
                         timeout=60)
    dom = out.stdout
    assert not violations(out.stderr), violations(out.stderr)
    card = re.search(rf'<div class="svc" data-service="{svc}">(.*?)</svg>', dom, re.S)
    assert card, dom[:2000]
    assert f'<span class="name">{svc}</span>' in card.group(1)
    assert '<span class="count">1/1</span>' in card.group(1)
    assert "<svg" in card.group(1) and re.search(r'<polyline points="[0-9.]+,[0-9.]+',
                                                 card.group(1))
    assert f"{svc}-1" in card.group(1) and "ready" in card.group(1)
    assert "creating replica" in dom  # the last events
    shot = os.environ.get("DOCKSCALE_SCREENSHOT") or str(tmp_path / "status.png")
    subprocess.run(base + [f"--screenshot={shot}", "--window-size=1280,900", d.url + "/"],
                   capture_output=True, timeout=60)
    with open(shot, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert os.path.getsize(shot) > 10000
