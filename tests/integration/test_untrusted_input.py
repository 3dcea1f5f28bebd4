"""Input the daemon does not control: read exactly as sent or refused, and bounded."""
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import http, wait_for
from test_replicas import service_conf

JSON = {"Content-Type": "application/json"}


def raw_post(url, body):
    """(status, raw answer bytes): the bytes themselves are under test."""
    req = urllib.request.Request(url, data=body, method="POST", headers=JSON)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def raw_get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def webhook(labels_json):
    return (b'{"version":"4","status":"firing","alerts":[{"status":"firing","labels":'
            + labels_json + b',"fingerprint":"f1"}]}')


def test_strict_json_is_400_and_steps_nothing(daemon_factory, svc):
    """doc/testing.md, "Fuzzing": an escaped NUL cut "RelUp\\u0000-not-RelUp" to RelUp and
    stepped the service; a raw NUL, invalid UTF-8 (echoed back as such) and duplicate
    keys were accepted. Dry run: a step shows in the answer, no container is made."""
    d = daemon_factory(service_conf(svc, min_replicas=0, max_replicas=3,
                                    scale_up_alerts="RelUp"),
                       daemon_extra="dry_run = true\n").start()
    alerts = d.url + "/api/v1/alerts"
    scale = f"{d.url}/api/v1/services/{svc}/scale"
    cases = [
        ("escaped NUL", alerts, webhook(b'{"alertname":"RelUp\\u0000-not-RelUp"}')),
        ("raw NUL in a string", alerts, webhook(b'{"alertname":"RelUp\x00-not-RelUp"}')),
        ("raw NUL after the body", alerts, webhook(b'{"alertname":"RelUp"}') + b"\x00"),
        ("invalid UTF-8", alerts, webhook(b'{"alertname":"Rel\xff\xfeUp"}')),
        ("overlong UTF-8", alerts, webhook(b'{"alertname":"RelUp\xc0\xaf"}')),
        ("duplicate label", alerts,
         webhook(b'{"alertname":"Other","alertname":"RelUp"}')),
        ("duplicate replicas", scale, b'{"replicas":2,"replicas":3}'),
        ("NUL after the scale body", scale, b'{"replicas":2}\x00'),
        ("invalid UTF-8 in the scale body", scale, b'{"replicas":2,"x":"\xff"}'),
    ]
    for what, url, body in cases:
        code, raw = raw_post(url, body)
        text = raw.decode("utf-8")  # never invalid UTF-8 back, whatever was sent
        assert code == 400, (what, code, text)
        assert '"error"' in text, (what, text)
    # Paths are percent-decoded: their bytes come back in errors, as UTF-8 only.
    for path in ("/api/v1/services/%ff%fe", "/x%c0%af", f"/api/v1/services/{svc}/%ed%a0%80"):
        code, raw = raw_get(d.url + path)
        assert code == 404 and '"error"' in raw.decode("utf-8"), (path, code, raw)
    metrics = d.get("/metrics")[1]
    assert 'dockscale_alerts_total{outcome="stepped"} 0' in metrics
    # The same alert, well formed, does step: the cases above were refused for their bytes.
    code, raw = raw_post(alerts, webhook(b'{"alertname":"RelUp"}'))
    assert code == 200 and b'"stepped":1' in raw, raw


class _Huge(BaseHTTPRequestHandler):
    body = b""
    served = 0

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).served += 1
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        try:
            self.wfile.write(self.body)
        except OSError:
            pass  # the daemon stops reading at its bound

    def log_message(self, *a):
        pass


@pytest.mark.alone  # a 0.3 s /healthz bound
def test_huge_prometheus_answer_keeps_the_loop_responsive(daemon_factory, svc):
    """A query matching 100k series answers 5 MB, which held the loop 706 ms per pass to
    be refused anyway: the daemon reads at most 64 KiB of an answer (doc/scaling.md, "The
    metric") and /healthz stays fast while every pass gets such an answer."""
    series = ",".join(f'{{"metric":{{"instance":"host-{i}","job":"node"}},'
                      f'"value":[1714644930.123,"{i}"]}}' for i in range(100000))
    handler = type("Huge", (_Huge,), {
        "body": ('{"status":"success","data":{"resultType":"vector","result":['
                 + series + ']}}').encode(), "served": 0})
    assert len(handler.body) > 5_000_000
    srv = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        d = daemon_factory(
            service_conf(svc, min_replicas=0, max_replicas=2, metric="prometheus",
                         query="up") +
            f"[prometheus]\nurl = http://127.0.0.1:{srv.server_address[1]}\ntimeout = 5s\n",
            daemon_extra="dry_run = true\n").start()
        d.wait_log("answer larger than 64 KiB", timeout=20)
        # Every pass (1 s) gets the 5 MB answer: poll /healthz across several of them.
        first, worst, n = handler.served, 0.0, 0
        end = time.monotonic() + 6
        while time.monotonic() < end:
            t0 = time.monotonic()
            assert http("GET", d.url + "/healthz", timeout=5)[0] == 200
            worst = max(worst, time.monotonic() - t0)
            n += 1
            time.sleep(0.01)
        assert handler.served - first >= 3, handler.served
        print(f"/healthz: {n} polls, worst {worst * 1000:.0f} ms, "
              f"{handler.served - first} huge answers")
        # ~50 ms on an idle machine; the slack is for a loaded one (706 ms before).
        assert worst < 0.3, f"/healthz took {worst * 1000:.0f} ms"
    finally:
        srv.shutdown()
        srv.server_close()
