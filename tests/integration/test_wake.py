"""Waking from zero: requests at zero are held, a replica started, and each held request
answered by it (doc/waking.md)."""
import re
import subprocess
import threading
import time

import pytest
import requests

import dockerapi as dk
from conftest import free_port, wait_for
from peers import HAProxy, Nginx
from test_replicas import NOHC, service_conf, status


def held_requests(url, n, post_every=2):
    """n requests at once (every post_every-th a POST with a body); [(code, body, headers)]."""
    out = [None] * n

    def one(i):
        try:
            if i % post_every == 1:
                r = requests.post(url, data=b"p" * 200_000, timeout=90)
            else:
                r = requests.get(url, timeout=90)
            out[i] = (r.status_code, r.text, r.headers)
        except requests.RequestException as e:
            out[i] = (0, repr(e), {})

    ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return out


def check_woken(d, svc, results):
    s = wait_for(lambda: (st := status(d, svc))["ready"] == 1 and st, timeout=10,
                 what="one replica")
    rid = s["replicas"][0]["id"][:12]
    assert [c for c, _, _ in results] == [200] * len(results), results
    assert all(b.strip() == rid for _, b, _ in results)  # the application's own answer
    m = d.get("/metrics")[1]
    assert f'dockscale_wakes_total{{service="{svc}"}} 1' in m
    lat = float(re.search(rf'dockscale_wake_latency_seconds_last{{service="{svc}"}} (\S+)',
                          m).group(1))
    assert 0 < lat < 60
    assert s["wake"]["wakes_total"] == 1 and s["wake"]["held"] == 0
    assert "a request at zero: starting a replica" in d.log()  # an event (EV_WAKE)
    return s


def test_wake_from_zero_through_nginx(daemon_factory, svc, tmp_path):
    nginx = Nginx(str(tmp_path), f"up_{svc}")
    try:
        wake = f"127.0.0.1:{free_port()}"
        d = daemon_factory(service_conf(svc, min_replicas=0, max_replicas=2, wake_listen=wake,
                                        upstream_file=nginx.upstream_file,
                                        upstream_name=f"up_{svc}")
                           + nginx.nginx_section()).start()
        wait_for(lambda: f"server {wake};" in nginx.upstream(), timeout=10,
                 what="the wake listener in the upstream")
        # nginx runs the reload asynchronously after the file: the daemon sees its new
        # workers. No replica meanwhile, nor over the passes after.
        wait_for(lambda: (dk.running(svc) == [] or pytest.fail("a replica at zero")) and
                 "nginx runs the new upstream" in d.log(), timeout=10,
                 what="nginx running the wake upstream")
        d.wait_passes(2, hold=lambda: dk.running(svc) == [], what="no replica at zero")
        results = held_requests(nginx.url + "/", 6)
        s = check_woken(d, svc, results)
        addr = s["replicas"][0]["address"]
        wait_for(lambda: f"server {addr};" in nginx.upstream(), timeout=10,
                 what="the replica replaces the wake listener")
        assert wake not in nginx.upstream()
        # Awake, the listener relays at once; curl's POST of 2 KB asks for "100 Continue"
        # and would wait a second for it.
        out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{time_total}",
                              "--data-binary", "x" * 2048, f"http://{wake}/"],
                             capture_output=True, text=True, timeout=30).stdout.split()
        assert out[0] == "200" and float(out[1]) < 0.9, out
    finally:
        nginx.stop()


def test_wake_from_zero_through_haproxy(daemon_factory, svc, tmp_path):
    hap = HAProxy(str(tmp_path), f"be_{svc}")
    try:
        wake = f"127.0.0.1:{free_port()}"
        d = daemon_factory(service_conf(svc, min_replicas=0, max_replicas=2, wake_listen=wake,
                                        balancer="haproxy", haproxy_backend=hap.backend,
                                        drain="5s")
                           + hap.section()).start()
        wait_for(lambda: hap.servers().get(f"{svc}-wake", ("", 1)) == (wake, 0), timeout=10,
                 what="the wake server in the backend")
        results = held_requests(hap.url + "/", 6)
        check_woken(d, svc, results)
        wait_for(lambda: sorted(hap.servers()) == [f"{svc}-1"], timeout=15,
                 what="the replica replaces the wake server")
    finally:
        hap.stop()
        hap.cleanup()


def test_queue_overflow_and_timeout_answer_503_with_retry_after(daemon_factory, svc):
    wake = f"127.0.0.1:{free_port()}"
    # A replica that never turns healthy: held requests can only time out.
    d = daemon_factory(service_conf(svc, image=NOHC, health_path="/nope", min_replicas=0,
                                    max_replicas=1, wake_listen=wake, wake_queue=1,
                                    wake_timeout="3s", start_timeout="30s")).start()
    url = f"http://{wake}/"
    first = []

    def held():
        r = requests.get(url, timeout=30)
        first.append((time.monotonic(), r))

    t = threading.Thread(target=held)
    t0 = time.monotonic()
    t.start()
    wait_for(lambda: status(d, svc)["wake"]["held"] == 1, timeout=5, what="one held")
    r = requests.post(url, data=b"x", timeout=10)  # beyond wake_queue = 1
    assert r.status_code == 503 and r.headers["Retry-After"] == "5"
    assert "wake_queue" in r.json()["error"]
    r = requests.post(url, data=b"x" * (1024 * 1024 + 1), timeout=10)  # a body over 1 MiB
    assert r.status_code == 413 and "1 MiB" in r.json()["error"]
    t.join()
    done, r1 = first[0]
    assert r1.status_code == 503 and r1.headers["Retry-After"] == "5"
    assert "wake_timeout" in r1.json()["error"]
    assert 2.5 <= done - t0 < 10
    # The wake did start a replica: the scale-up path (it never becomes ready here).
    assert status(d, svc)["wake"]["wakes_total"] == 1
    assert status(d, svc)["desired"] == 1
