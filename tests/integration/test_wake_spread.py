"""A wake's held requests spread over the replicas it starts (wake_replicas), a page for
browsers while it wakes (wake_page), and who woke it (doc/waking.md)."""
import collections
import signal
import threading
import time

import requests

from conftest import free_port, wait_for
from peers import Nginx
from test_reload_keys import reloads
from test_replicas import NOHC, service_conf, status
from test_wake_hardening import exchange

PAGE = b"<!doctype html><title>waking</title><p>Starting up, this page reloads itself.</p>\n"


def wake_events(d, svc):
    code, body, _ = d.get(f"/api/v1/events?service={svc}&type=wake&limit=100")
    assert code == 200, body
    return [e["message"] for e in body["events"]]


def test_held_requests_spread_over_the_replicas_a_wake_starts(daemon_factory, svc, tmp_path):
    nginx = Nginx(str(tmp_path), f"up_{svc}")
    try:
        wake = f"127.0.0.1:{free_port()}"
        d = daemon_factory(service_conf(svc, min_replicas=0, max_replicas=3, wake_listen=wake,
                                        wake_replicas=3, upstream_file=nginx.upstream_file,
                                        upstream_name=f"up_{svc}",
                                        # Docker's check (1 s interval): ready a second
                                        # after the start, one replica after another
                                        readiness="health")
                           + nginx.nginx_section()).start()
        wait_for(lambda: f"server {wake};" in nginx.upstream() and
                 "nginx runs the new upstream" in d.log(), timeout=10,
                 what="nginx running the wake upstream")
        n = 50
        out = [None] * n

        def one(i):
            try:
                r = requests.get(nginx.url + "/", timeout=90)
                out[i] = (r.status_code, r.text.strip())
            except requests.RequestException as e:
                out[i] = (0, repr(e))

        ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
        for t in ts:
            t.start()
        # all 50 are held before a replica can be ready (a replica takes a second or more)
        wait_for(lambda: status(d, svc)["wake"]["held"] == n or
                 status(d, svc)["ready"] > 0, timeout=20, what="50 held")
        assert status(d, svc)["ready"] == 0, "a replica was ready before all 50 were held"
        for t in ts:
            t.join()
        assert [c for c, _ in out] == [200] * n, out
        s = wait_for(lambda: (st := status(d, svc))["ready"] == 3 and st, timeout=30,
                     what="three ready replicas")
        ids = {r["id"][:12] for r in s["replicas"]}
        # Each answer's body is the answering replica's own hostname (tests/app/app.c's
        # GET /): what the replica itself says served it.
        by = collections.Counter(b for _, b in out)
        assert set(by) == ids, (by, ids)
        # none handed more than ceil(50 / 3) while another was still starting
        assert all(1 <= by[i] <= 17 for i in ids), by
        w = s["wake"]
        assert sorted(w["spread"]) == sorted(by.values()), (w["spread"], by)
        assert w["wakes_total"] == 1 and w["held"] == 0 and not w["spreading"]
        assert s["desired"] == 3
        ev = [m for m in wake_events(d, svc) if "a request at zero" in m]
        assert len(ev) == 1 and "starting 3 replicas" in ev[0], ev
    finally:
        nginx.stop()


def raw(wake, head, timeout=30):
    """One request (a head; no body) on its own connection: (status, headers, body)."""
    code, ans = exchange(wake, head.encode(), timeout=timeout)
    h, _, body = ans.partition(b"\r\n\r\n")
    fields = {}
    for line in h.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        fields[k.decode().lower()] = v.decode().strip()
    return code, fields, body


BROWSER = ("GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: Mozilla/5.0\r\n"
           "Accept: text/html,application/xhtml+xml,*/*;q=0.8\r\n\r\n")


def test_a_browser_gets_wake_page_while_others_are_held(daemon_factory, svc, tmp_path):
    page = tmp_path / "waking.html"
    page.write_bytes(PAGE)
    wake = f"127.0.0.1:{free_port()}"
    d = daemon_factory(service_conf(svc, min_replicas=0, max_replicas=1, wake_listen=wake,
                                    wake_page=str(page))).start()
    held = []
    t = threading.Thread(target=lambda: held.append(
        requests.get(f"http://{wake}/", headers={"Accept": "*/*"}, timeout=60)))
    t.start()
    wait_for(lambda: status(d, svc)["wake"]["held"] == 1, timeout=10, what="curl's held")
    t0 = time.monotonic()
    code, h, body = raw(wake, BROWSER, timeout=5)
    took = time.monotonic() - t0
    assert code == 503 and body == PAGE, (code, h, body)
    assert h["retry-after"] == "2" and h["refresh"] == "2"
    assert h["cache-control"] == "no-store"
    assert h["content-type"] == "text/html; charset=utf-8"
    assert int(h["content-length"]) == len(PAGE)
    assert took < 1.0, took  # at once, not held
    # HEAD: the same head, no body
    code, h, body = raw(wake, BROWSER.replace("GET", "HEAD", 1), timeout=5)
    assert code == 503 and body == b"" and int(h["content-length"]) == len(PAGE)
    t.join()
    assert held[0].status_code == 200  # the curl-like request was held and answered
    s = wait_for(lambda: (st := status(d, svc))["ready"] == 1 and st, timeout=10,
                 what="one replica")
    assert s["wake"]["pages_total"] == 2 and s["wake"]["wakes_total"] == 1
    # awake: a browser's request is relayed as usual
    code, h, body = raw(wake, BROWSER, timeout=10)
    assert code == 200 and body.strip().decode() == s["replicas"][0]["id"][:12], (code, body)


def test_a_browser_alone_wakes_the_service(daemon_factory, svc, tmp_path):
    """The page does not hold the request, but its wake goes on: the page's refreshes
    while the replica starts are one wake, and once it serves the browser gets the app."""
    page = tmp_path / "waking.html"
    page.write_bytes(PAGE)
    wake = f"127.0.0.1:{free_port()}"
    d = daemon_factory(service_conf(svc, min_replicas=0, max_replicas=1, wake_listen=wake,
                                    wake_page=str(page))).start()
    code, _, body = raw(wake, BROWSER, timeout=5)
    assert code == 503 and body == PAGE

    def refresh():
        c, _, b = raw(wake, BROWSER, timeout=10)
        return c == 200 and b

    wait_for(refresh, timeout=30, interval=0.5, what="the app behind the page")
    s = status(d, svc)
    assert s["wake"]["wakes_total"] == 1, s["wake"]
    assert s["wake"]["pages_total"] >= 1


def test_who_woke_it(daemon_factory, svc):
    wake = f"127.0.0.1:{free_port()}"
    d = daemon_factory(service_conf(svc, min_replicas=0, max_replicas=1,
                                    wake_listen=wake)).start()
    code, _ = exchange(wake, (
        "GET /echo?from=test HTTP/1.1\r\nHost: x\r\nUser-Agent: probe/1.0\t(tab)\r\n"
        "X-Forwarded-For: 203.0.113.7, 10.0.0.1\r\nX-Real-IP: 203.0.113.7\r\n\r\n").encode(),
        timeout=60)
    assert code == 200
    w = status(d, svc)["wake"]
    lw = w["last_wake"]
    assert lw["method"] == "GET" and lw["path"] == "/echo?from=test"
    assert lw["user_agent"] == "probe/1.0\\x09(tab)"  # a control character, escaped
    assert lw["client"] == ("127.0.0.1 (X-Forwarded-For: 203.0.113.7, 10.0.0.1, "
                            "X-Real-IP: 203.0.113.7)")
    assert lw["peer"] == "127.0.0.1" and lw["real_ip"] == "203.0.113.7"
    assert abs(lw["at_unix_ms"] / 1000 - time.time()) < 120
    ev = wake_events(d, svc)
    woke = [m for m in ev if "a request at zero" in m]
    assert len(woke) == 1, ev
    assert "GET /echo?from=test from 127.0.0.1 (X-Forwarded-For: 203.0.113.7" in woke[0]
    assert "probe/1.0\\x09(tab)" in woke[0]


def test_who_is_null_before_a_wake_and_cut_when_long(daemon_factory, svc):
    wake = f"127.0.0.1:{free_port()}"
    d = daemon_factory(service_conf(svc, min_replicas=0, max_replicas=1,
                                    wake_listen=wake)).start()
    assert status(d, svc)["wake"]["last_wake"] is None
    assert status(d, svc)["wake"]["spread"] == []
    code, _ = exchange(wake, ("GET /" + "p" * 500 + " HTTP/1.1\r\nHost: x\r\n"
                              "User-Agent: " + "u" * 500 + "\r\n\r\n").encode(), timeout=60)
    assert code == 404  # the application's own answer to that path, relayed
    lw = status(d, svc)["wake"]["last_wake"]
    assert lw["path"].endswith("...") and len(lw["path"]) == 120
    assert lw["user_agent"].endswith("...") and len(lw["user_agent"]) == 120
    assert lw["client"] == "127.0.0.1" and lw["forwarded_for"] is None
    assert status(d, svc)["wake"]["spread"] == [1]


def test_wake_page_is_read_at_load_and_kept_by_a_failed_reload(daemon_factory, svc, tmp_path):
    page = tmp_path / "waking.html"
    page.write_bytes(PAGE)
    wake = f"127.0.0.1:{free_port()}"
    # a replica that never turns ready: the service stays at zero, the page keeps coming
    conf = dict(image=NOHC, health_path="/nope", min_replicas=0,
                max_replicas=1, wake_listen=wake, start_timeout="60s")
    d = daemon_factory(service_conf(svc, wake_page=str(page), **conf)).start()
    page.write_bytes(b"<p>changed on disk</p>")  # not read again without a reload
    assert raw(wake, BROWSER, timeout=5)[2] == PAGE
    d.write_config(service_conf(svc, wake_page=str(tmp_path / "missing.html"), **conf))
    d.signal(signal.SIGHUP)
    wait_for(lambda: reloads(d, "failure") == 1, what="the reload refused")
    assert "missing.html: No such file or directory" in d.log()
    assert raw(wake, BROWSER, timeout=5)[2] == PAGE  # the page in force
    d.write_config(service_conf(svc, wake_page=str(page), **conf))
    d.signal(signal.SIGHUP)
    wait_for(lambda: reloads(d, "success") == 1, what="the reload applied")
    assert raw(wake, BROWSER, timeout=5)[2] == b"<p>changed on disk</p>"
