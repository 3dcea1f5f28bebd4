"""Notifications ([notify], doc/notifications.md) against a local HTTP receiver in the
test process: every selected event arrives once with the documented body (json and
slack) and no other; a receiver that hangs delays no decision, pass or /healthz; a dead
one is retried, then counted failed; a flood stays within the queue, dropped counted.
The daemon runs --dry-run (no container is made): a manual scale is a decision event,
a reload and a refused reload are reload events."""
import http.client
import json
import os
import re
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import free_port, wait_for
from test_replicas import service_conf

TOKEN = "n0tify-s3cret"


class Receiver:
    """POSTs to /ok are recorded and answered 200, to /gone recorded and answered 404; to
    /hang held until stop (or 60 s)."""

    def __init__(self):
        self.got = []
        self.lock = threading.Lock()
        self.release = threading.Event()
        outer = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                if self.path.startswith("/hang"):
                    with outer.lock:
                        outer.got.append(("hang", dict(self.headers), body))
                    outer.release.wait(60)
                    return
                with outer.lock:
                    outer.got.append((self.path, dict(self.headers), json.loads(body)))
                self.send_response(404 if self.path.startswith("/gone") else 200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.srv.daemon_threads = True
        self.port = self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def bodies(self, path):
        with self.lock:
            return [b for p, _, b in self.got if p == path]

    def close(self):
        self.release.set()
        self.srv.shutdown()
        self.srv.server_close()


@pytest.fixture
def recv():
    r = Receiver()
    yield r
    r.close()


def conf(svc, notify):
    return service_conf(svc, min_replicas=0, max_replicas=50) + "[notify]\n" + notify


def scale(d, svc, n):
    code, body, _ = d.post(f"/api/v1/services/{svc}/scale", body={"replicas": n})
    assert code == 200, body


def metric(d, name):
    text = d.get("/metrics")[1]
    m = re.search(r"^" + re.escape(name) + r" (\S+)$", text, re.M)
    assert m, f"no {name} in /metrics"
    return float(m.group(1))


def sent(d, result):
    return metric(d, f'dockscale_notifications_total{{result="{result}"}}')


def events(d, types):
    code, body, _ = d.get("/api/v1/events?limit=1000")
    assert code == 200
    return [e for e in body["events"] if e["type"] in types]


def reload_broken_then_good(d, good):
    """A refused reload (a bad key), then a good one: two reload events."""
    def reloads():
        return len(events(d, ("reload",)))
    before = reloads()
    d.write_config(good + "bogus_key = 1\n")
    d.signal(signal.SIGHUP)
    wait_for(lambda: reloads() == before + 1, what="a refused reload")
    d.write_config(good)
    d.signal(signal.SIGHUP)
    wait_for(lambda: reloads() == before + 2, what="a good reload")


def test_json_selected_events_arrive_once(daemon_factory, svc, recv, tmp_path):
    tok = tmp_path / "notify.token"
    tok.write_text(TOKEN + "\n")
    good = conf(svc, f"url = {recv.url('/ok')}\nevents = decision, reload\n"
                f"token_file = {tok}\n")
    d = daemon_factory(good, args=["--dry-run"]).start()
    d.wait_passes(1)
    for n in (1, 2, 3):
        scale(d, svc, n)
    d.post(f"/api/v1/services/{svc}/pause", body={})  # a pause event: not selected
    reload_broken_then_good(d, good)
    want = events(d, ("decision", "reload"))
    assert len([e for e in want if e["type"] == "decision"]) >= 3
    assert any(e["type"] == "reload" and "refused" in e["message"] for e in want)
    wait_for(lambda: len(recv.bodies("/ok")) >= len(want), timeout=15,
             what="every selected event at the receiver")
    d.wait_passes(3)  # nothing more arrives, and nothing twice
    got = recv.bodies("/ok")
    for e in got:
        assert set(e) == {"id", "time", "unix_ms", "type", "service", "message", "failure"}
        assert e["failure"] == ("refused" in e["message"])
        e.pop("failure")
    assert got == want, "each selected event once, in order, as the event history has it"
    assert {h.get("Authorization") for _, h, _ in recv.got} == {f"Bearer {TOKEN}"}
    assert {h.get("Content-Type") for _, h, _ in recv.got} == {"application/json"}
    assert sent(d, "sent") == len(got)
    assert sent(d, "failed") == 0 and sent(d, "dropped") == 0
    assert TOKEN not in d.log()


def test_slack_body_and_issue_words(daemon_factory, svc, recv):
    good = conf(svc, f"url = {recv.url('/ok')}\nformat = slack\n"
                "events = scale, reload_refused\n")
    d = daemon_factory(good, args=["--dry-run"]).start()
    d.wait_passes(1)
    scale(d, svc, 2)
    reload_broken_then_good(d, good)
    want = [e for e in events(d, ("decision", "reload"))
            if e["type"] == "decision" or "refused" in e["message"]]
    wait_for(lambda: len(recv.bodies("/ok")) >= len(want), timeout=15, what="slack bodies")
    d.wait_passes(3)
    texts = []
    for e in want:
        tag = e["type"] + (" failure" if "refused" in e["message"] else "")
        svc_part = " " + e["service"] if e["service"] else ""
        msg = e["message"].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        texts.append({"text": f"dockscale: [{tag}]{svc_part} {msg}"})
    assert recv.bodies("/ok") == texts  # the good reload is not selected


def test_hanging_receiver_delays_nothing(daemon_factory, svc, recv):
    d = daemon_factory(conf(svc, f"url = {recv.url('/hang')}\ntimeout = 60s\n"
                            "events = all\n"), args=["--dry-run"]).start()
    d.wait_passes(1)
    scale(d, svc, 1)
    wait_for(lambda: len(recv.got) >= 1, timeout=10, what="the hanging request")
    worst = 0.0
    for i in range(20):
        t0 = time.monotonic()
        scale(d, svc, 2 + i % 2)
        code = d.get("/healthz", timeout=2)[0]
        worst = max(worst, time.monotonic() - t0)
        assert code == 200
    assert worst < 0.5, f"a scale request and /healthz took {worst:.3f}s"
    t0 = time.monotonic()
    d.wait_passes(3)  # interval = 1s: passes go on at their rate
    assert time.monotonic() - t0 < 8
    assert len(recv.got) == 1, "one request in flight per url"
    assert metric(d, "dockscale_notifications_queued") >= 20


def test_dead_receiver_retried_then_failed(daemon_factory, svc):
    dead = free_port()  # nothing listens: connection refused
    d = daemon_factory(conf(svc, f"url = http://127.0.0.1:{dead}/hook\nretries = 2\n"
                            "events = decision\n"), args=["--dry-run"]).start()
    d.wait_passes(1)
    t0 = time.monotonic()
    scale(d, svc, 1)
    wait_for(lambda: sent(d, "failed") == 1, timeout=15, what="a failed notification")
    took = time.monotonic() - t0
    assert 2.5 < took < 10, f"retries after 1 s and 2 s, then given up: {took:.1f}s"
    assert metric(d, "dockscale_notification_retries_total") == 2
    assert sent(d, "sent") == 0
    assert "given up after 3 attempt(s)" in d.log()
    assert "/hook" not in d.log(), "the url's path is never logged"


def test_a_4xx_fails_at_once_and_urls_are_independent(daemon_factory, svc, recv):
    """A 404 (a revoked hook) is not retried; the other url gets every notification."""
    d = daemon_factory(conf(svc, f"url = {recv.url('/gone')}\nurl = {recv.url('/ok')}\n"
                            "retries = 3\nevents = decision\n"), args=["--dry-run"]).start()
    d.wait_passes(1)
    scale(d, svc, 1)
    scale(d, svc, 2)
    wait_for(lambda: sent(d, "failed") == 2 and sent(d, "sent") == 2, timeout=10,
             what="two failed (404) and two sent")
    d.wait_passes(2)
    assert len(recv.bodies("/gone")) == 2, "no retry of a 404"
    assert metric(d, "dockscale_notification_retries_total") == 0
    assert [b["message"] for b in recv.bodies("/ok")] == \
        [b["message"] for b in recv.bodies("/gone")]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


@pytest.mark.alone  # an RSS bound
def test_flood_is_bounded_and_dropped_counted(daemon_factory, svc, recv):
    queue, n, first = 5, 10000, 1000
    d = daemon_factory(conf(svc, f"url = {recv.url('/hang')}\ntimeout = 60s\n"
                            f"queue = {queue}\nevents = decision\n"),
                       args=["--dry-run"]).start()
    d.wait_passes(1)
    # AddressSanitizer's quarantine keeps freed memory: RSS says nothing there.
    with open(f"/proc/{d.proc.pid}/maps") as f:
        sanitized = "libasan" in f.read()
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=5)
    rss0 = None
    for i in range(n):  # each alternates the count: a decision event each
        if i == first:
            rss0 = rss_kib(d.proc.pid)  # the queue is full from here on
        c.request("POST", f"/api/v1/services/{svc}/scale",
                  body=json.dumps({"replicas": 1 + i % 2}),
                  headers={"Content-Type": "application/json"})
        r = c.getresponse()
        r.read()
        assert r.status == 200
    c.close()
    queued = metric(d, "dockscale_notifications_queued")
    assert queued == queue + 1, "the queue and the one in flight"
    assert sent(d, "dropped") == n - queue - 1
    rss1 = rss_kib(d.proc.pid)
    print(f"VmRSS {rss0} -> {rss1} KiB over {n - first} more events")
    if not sanitized:
        assert rss1 - rss0 < 4 * 1024, f"VmRSS grew {rss0} -> {rss1} KiB"
