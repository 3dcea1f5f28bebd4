"""Idle services go to sleep on their own (idle_after) and wake on the next request, behind
real nginx (its access log) and real HAProxy (its counters); what does not count (an
uptime checker), what keeps a service awake (an open request, CPU), and a stack woken in
order (depends_on). doc/sleeping.md."""
import os
import re
import threading
import time

import pytest
import requests

import dockerapi as dk
from conftest import free_port, http, wait_for
from peers import HAProxy
from test_replicas import service_conf, status
from test_traffic import nginx, sockdir  # noqa: F401 (the fixtures)


def idle_conf(svc, nginx, **kw):
    opts = dict(min_replicas=0, max_replicas=2, wake_listen=f"127.0.0.1:{free_port()}",
                upstream_file=nginx.upstream_file, upstream_name=f"up_{svc}", drain="0s",
                idle_after="5s")
    opts.update(kw)
    return service_conf(svc, **opts) + nginx.nginx_section()


def hap_idle_conf(svc, hap, **kw):
    opts = dict(min_replicas=0, max_replicas=2, wake_listen=f"127.0.0.1:{free_port()}",
                balancer="haproxy", haproxy_backend=hap.backend, drain="0s", idle_after="5s")
    opts.update(kw)
    return service_conf(svc, **opts) + hap.section()


def wake_addr(d):
    return d.body.split("wake_listen = ")[1].split("\n")[0]


def nginx_at_wake(d, nginx):
    """nginx runs the upstream that names the wake listener (it reloads after the file)."""
    wake = wake_addr(d)
    wait_for(lambda: f"server {wake};" in nginx.upstream() and
             "nginx runs the new upstream" in d.log(), timeout=10,
             what="nginx running the wake upstream")


def get(url, timeout=60, **headers):
    r = requests.get(url, timeout=timeout, headers=headers)
    return r.status_code, r.text


def asleep(d, svc):
    s = status(d, svc)
    return s["sleep"]["asleep"] and dk.running(svc) == [] and s


def wake_and_answer(d, svc, url):
    """A request at zero wakes the service and is answered by its replica."""
    code, body = get(url + "/")
    assert code == 200, (body, d.log()[-4000:])
    s = wait_for(lambda: (st := status(d, svc))["ready"] == 1 and st, timeout=10,
                 what="awake with one replica")
    assert body.strip() == s["replicas"][0]["id"][:12]
    assert not s["sleep"]["asleep"]
    return s


def sleeps_after(d, svc, idle_after, since, slack=6.0, hold_extra=None):
    """Awake for idle_after from `since` (polled, with hold_extra too), then asleep soon
    after: returns when it sleeps, with the time it took."""
    def awake():
        assert dk.running(svc) != [], \
            f"asleep {time.monotonic() - since:.1f}s after the last request"
        assert hold_extra is None or hold_extra()
        return True
    while time.monotonic() - since < idle_after - 0.3:
        awake()
        time.sleep(0.1)
    s = wait_for(lambda: asleep(d, svc), timeout=idle_after + slack, interval=0.1,
                 what="asleep after idle_after")
    return s, time.monotonic() - since


def test_nginx_sleeps_after_idle_after_and_wakes_on_a_request(daemon_factory, svc, nginx):
    d = daemon_factory(idle_conf(svc, nginx)).start()
    wake = wake_addr(d)
    nginx_at_wake(d, nginx)
    wake_and_answer(d, svc, nginx.url)
    t0 = time.monotonic()
    s, took = sleeps_after(d, svc, 5.0, t0)
    print(f"\nasleep {took:.1f}s after the last request (idle_after 5s)")
    # the balancer points at the wake listener again
    wait_for(lambda: f"server {wake};" in nginx.upstream(), timeout=10,
             what="the wake listener back in the upstream")
    assert s["sleep"]["sleeps_total"] == 1 and s["desired"] == 0
    evs = d.get(f"/api/v1/events?service={svc}&type=sleep")[1]["events"]
    assert len(evs) == 1 and "idle for" in evs[0]["message"] and \
        "going to sleep" in evs[0]["message"], evs
    lines = d.get(f"/api/v1/services/{svc}/explain")[1]["lines"]
    assert any(x.startswith("sleep: asleep since ") for x in lines), lines
    m = d.get("/metrics")[1]
    assert f'dockscale_asleep{{service="{svc}"}} 1' in m
    assert f'dockscale_sleeps_total{{service="{svc}"}} 1' in m
    # asleep it stays asleep over passes without a request
    d.wait_passes(3, hold=lambda: dk.running(svc) == [], what="asleep without requests")
    # the next request wakes it and is answered
    s = wake_and_answer(d, svc, nginx.url)
    assert s["sleep"]["wakes_total"] >= 1
    lines = d.get(f"/api/v1/services/{svc}/explain")[1]["lines"]
    assert any(x.startswith("sleep: awake: last request ") for x in lines), lines


def test_uptime_checker_does_not_keep_it_awake(daemon_factory, svc, nginx):
    d = daemon_factory(idle_conf(svc, nginx, idle_ignore_user_agent="Uptime-Kuma",
                                 idle_ignore_path="/health")).start()
    nginx_at_wake(d, nginx)
    wake_and_answer(d, svc, nginx.url)
    t0 = time.monotonic()
    stop = threading.Event()
    codes = []

    def checker():
        # one checker by its User-Agent, one by its path, every half second
        while not stop.is_set():
            codes.append(get(nginx.url + "/", timeout=10, **{"User-Agent": "Uptime-Kuma/1.23.0"})[0])
            codes.append(get(nginx.url + "/health", timeout=10)[0])
            time.sleep(0.5)
    th = threading.Thread(target=checker, daemon=True)
    th.start()
    try:
        s, took = sleeps_after(d, svc, 5.0, t0)
        assert s["sleep"]["ignored_requests_total"] > 4, s["sleep"]
        # asleep, the checker's requests do not wake it (polled over passes), and each
        # is answered by the wake listener
        n = len(codes)
        d.wait_passes(3, seconds=2.0, hold=lambda: dk.running(svc) == [],
                      what="asleep while the checker runs")
        assert len(codes) > n + 2 and set(codes) == {200}, codes
    finally:
        stop.set()
        th.join(15)
    wake_and_answer(d, svc, nginx.url)


def test_open_request_keeps_it_awake(daemon_factory, svc, nginx):
    d = daemon_factory(idle_conf(svc, nginx, idle_after="3s")).start()
    nginx_at_wake(d, nginx)
    wake_and_answer(d, svc, nginx.url)
    # nginx runs the replica, not the wake listener: the request below is the replica's
    wait_for(lambda: wake_addr(d) not in nginx.upstream() and
             d.log().count("nginx runs the new upstream") >= 2, timeout=10,
             what="nginx running the replica")
    out = []
    # an SSE-style stream: a request held open 9 s, longer than idle_after
    th = threading.Thread(target=lambda: out.append(get(nginx.url + "/wait?ms=9000")),
                          daemon=True)
    t0 = time.monotonic()
    th.start()
    while time.monotonic() - t0 < 8.5:
        assert dk.running(svc) != [], f"asleep {time.monotonic() - t0:.1f}s into an open request"
        time.sleep(0.1)
    s = status(d, svc)
    assert "connection(s) open" in (s["sleep"]["kept_awake_by"] or ""), s["sleep"]
    th.join(30)
    assert out and out[0][0] == 200, out
    sleeps_after(d, svc, 3.0, time.monotonic())


def test_haproxy_sleeps_stays_awake_while_a_request_is_open_and_wakes(daemon_factory, svc,
                                                                      tmp_path):
    hap = HAProxy(str(tmp_path), f"be_{svc}")
    try:
        d = daemon_factory(hap_idle_conf(svc, hap, idle_after="4s")).start()
        wait_for(lambda: f"{svc}-wake" in hap.servers(), timeout=10, what="the wake server")
        wake_and_answer(d, svc, hap.url)
        out = []
        th = threading.Thread(target=lambda: out.append(get(hap.url + "/wait?ms=8000")),
                              daemon=True)
        t0 = time.monotonic()
        th.start()
        while time.monotonic() - t0 < 7.5:
            assert dk.running(svc) != [], f"asleep {time.monotonic() - t0:.1f}s into a request"
            time.sleep(0.1)
        # at a replica, or through the wake server HAProxy still listed when it was sent
        st = status(d, svc)["sleep"]
        assert re.search(r"in flight|at its wake listener", st["kept_awake_by"] or ""), st
        th.join(30)
        assert out and out[0][0] == 200, out
        s, took = sleeps_after(d, svc, 4.0, time.monotonic())
        wait_for(lambda: f"{svc}-wake" in hap.servers(), timeout=10,
                 what="the wake server back in the backend")
        wake_and_answer(d, svc, hap.url)
    finally:
        hap.stop()
        hap.cleanup()


def test_cpu_above_idle_cpu_below_keeps_it_awake(daemon_factory, svc, nginx):
    d = daemon_factory(idle_conf(svc, nginx, idle_after="3s", idle_cpu_below=20,
                                 cpus=1)).start()
    nginx_at_wake(d, nginx)
    s = wake_and_answer(d, svc, nginx.url)
    cid = s["replicas"][0]["id"]
    # one core of work inside the replica, no request: CPU is not a request
    code, ex = dk.call("POST", f"/containers/{cid}/exec", {"Cmd": ["/app", "--burn", "9"]})
    assert code == 201, ex
    code, _ = dk.call("POST", f"/exec/{ex['Id']}/start", {"Detach": True})
    assert code == 200, code
    t0 = time.monotonic()
    while time.monotonic() - t0 < 8:
        assert dk.running(svc) != [], f"asleep {time.monotonic() - t0:.1f}s into CPU work"
        time.sleep(0.1)
    assert "CPU" in (status(d, svc)["sleep"]["kept_awake_by"] or ""), status(d, svc)["sleep"]
    wait_for(lambda: asleep(d, svc), timeout=20, what="asleep once the CPU work ended")


def test_depends_on_wakes_the_database_first_and_keeps_it_awake(daemon_factory, svc, nginx):
    db = f"{svc}db"
    body = (idle_conf(svc, nginx, idle_after="4s", depends_on=db) +
            service_conf(db, min_replicas=0, max_replicas=1, balancer="none", idle_after="2s",
                         upstream_file=f"/tmp/dockscale-test-{db}.conf"))
    d = daemon_factory(body).start()
    nginx_at_wake(d, nginx)
    order = []
    stop = threading.Event()
    bad = []

    def watch():
        # the app never runs a replica while the database has none ready; the database is
        # never asleep while the app is awake
        while not stop.is_set():
            a, b = status(d, svc), status(d, db)
            if a["replicas"] and b["ready"] == 0 and not bad:
                bad.append(f"app replica {a['replicas'][0]['state']} with no database ready")
            if (a["desired"] > 0 or a["replicas"]) and b["sleep"]["asleep"] and \
                    b["desired"] == 0 and a["ready"] > 0 and not bad:
                bad.append("database asleep while the app is awake")
            for name, st in ((db, b), (svc, a)):
                if st["ready"] > 0 and name not in order:
                    order.append(name)
            time.sleep(0.05)
    th = threading.Thread(target=watch, daemon=True)
    th.start()
    try:
        code, body = get(nginx.url + "/")
        assert code == 200, body
        wait_for(lambda: len(order) == 2, timeout=5, what="both ready")
        assert order == [db, svc], order
        evs = d.get(f"/api/v1/events?service={db}&type=wake")[1]["events"]
        assert any(f"woken for {svc} (depends_on)" in e["message"] for e in evs), evs
        # a full cycle: the app sleeps first, then the database
        wait_for(lambda: asleep(d, svc), timeout=20, what="the app asleep")
        wait_for(lambda: asleep(d, db), timeout=20, what="the database asleep")
        assert not bad, bad
        # and the stack wakes again in order
        order.clear()
        code, body = get(nginx.url + "/")
        assert code == 200, body
        wait_for(lambda: len(order) == 2, timeout=5, what="both ready")
        assert order == [db, svc], order
    finally:
        stop.set()
        th.join(10)
        d.stop()
        dk.cleanup(db)  # its name is not one the session's cleanup knows
    assert not bad, bad


def test_idle_with_sleep_pause_wakes_the_same_container(daemon_factory, svc, nginx):
    d = daemon_factory(idle_conf(svc, nginx, idle_after="3s", sleep="pause")).start()
    nginx_at_wake(d, nginx)
    s = wake_and_answer(d, svc, nginx.url)
    cid = s["replicas"][0]["id"]
    s, took = sleeps_after(d, svc, 3.0, time.monotonic())
    # asleep paused: the container is kept frozen, holds memory, and is not served
    assert dk.inspect(cid)["State"]["Paused"] is True
    wait_for(lambda: status(d, svc)["asleep"]["paused"] == 1 and
             status(d, svc)["asleep"]["memory_bytes"] > 0, timeout=10,
             what="the paused replica and its memory reported")
    d.wait_passes(2, hold=lambda: wake_addr(d) in nginx.upstream() and
                  dk.inspect(cid)["State"]["Paused"], what="asleep, paused, not served")
    s = wake_and_answer(d, svc, nginx.url)
    assert s["replicas"][0]["id"] == cid  # unpaused, not created anew
