#!/usr/bin/python3
"""HAProxy balancer and waking from zero (doc/balancers.md, "Choosing a balancer";
doc/waking.md, "Waking from
zero"), each with its baseline measured in the same run.

1. wrk keep-alive GET through HAProxy across CYCLES scale cycles 1 -> 3 -> 1 (servers added
   and drained through the runtime API, no reload): non-2xx and socket errors; beside it
   the same load through nginx (one reload per membership change): resets per reload.
   Then Connection: close and POST /work?ms=20 through HAProxy. HAProxy's pid and
   Uptime_sec before and after show it was never reloaded or restarted.
2. Wake: a service at zero behind HAProxy; the time from the first request to its answer,
   vs Docker create + start + healthy of the same image (no daemon); and 50 concurrent
   requests at zero, all of which must be answered 2xx.
"""
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time

import requests

from common import (BenchDaemon, command, create_container, dk, emit, fmt_ratio,
                    median, on_sigterm, remove_bench_containers, service_name, stop_proc,
                    wait_for, wait_healthy)
from conftest import free_port
from peers import HAProxy
from test_haproxy import conf as hap_conf, enabled, ours
from test_nginx import wrk_result
from test_replicas import service_conf, wait_ready
import drops
from rollout import describe as errs, start_load

CYCLES = int(os.environ.get("BENCH_HAPROXY_CYCLES", "5"))
WAKES = int(os.environ.get("BENCH_WAKES", "3"))
SCRIPT = "haproxy.py"
# Its own name family: its start-up cleanup removes only what an interrupted run of this
# benchmark left (another benchmark run beside it on a shared engine keeps its containers).
PREFIX = "haproxy-"


def finish(load):
    time.sleep(1.0)
    load.send_signal(signal.SIGINT)
    reqs, non2xx, sock, _ = wrk_result(load)
    return reqs, non2xx, sock


def hap_info(hap):
    info = hap.cmd("show info")
    return (int(re.search(r"^Pid: (\d+)", info, re.M).group(1)),
            int(re.search(r"^Uptime_sec: (\d+)", info, re.M).group(1)))


def hap_cycles(d, svc, hap, n):
    for _ in range(n):
        assert d.post(f"/api/v1/services/{svc}/scale", body={"replicas": 3})[0] == 200
        s = wait_ready(d, svc, 3)
        want = sorted(r["name"] for r in s["replicas"])
        wait_for(lambda: enabled(hap, svc) == want, timeout=15, what="3 servers")
        assert d.post(f"/api/v1/services/{svc}/scale", body={"replicas": 1})[0] == 200
        wait_for(lambda: len(dk.containers(svc)) == 1, timeout=60, what="back to one")
        wait_for(lambda: len(ours(hap, svc)) == 1, timeout=15, what="one server")


def run_haproxy(tmp, keepalive, post, n):
    svc = service_name(PREFIX + "cycles")
    hap = HAProxy(tmp, f"be_{svc}")
    d = load = None
    try:
        d = BenchDaemon(tmp, hap_conf(svc, hap, drain="10s"), name=f"d-{svc}").start()
        wait_ready(d, svc, 1)
        wait_for(lambda: len(enabled(hap, svc)) == 1, timeout=10, what="first server")
        pid0, up0 = hap_info(hap)
        load = start_load(hap.url + ("/work?ms=20" if post else "/"), keepalive, post)
        time.sleep(1.0)
        hap_cycles(d, svc, hap, n)
        reqs, non2xx, sock = finish(load)
        load = None
        pid1, up1 = hap_info(hap)
        m = d.get("/metrics")[1]
        drain = re.search(r"dockscale_balancer_drain_seconds_last\{[^}]*\} (\S+)", m)
        for line in hap.failed_requests()[:20]:
            print("haproxy log:", line.rstrip(), flush=True)
        return {"requests": reqs, "non2xx": non2xx, "sock": sock, "same_pid": pid0 == pid1,
                "uptime": (up0, up1), "drain_s": float(drain.group(1)) if drain else None}
    finally:
        stop_proc(load, signal.SIGINT)
        if d is not None:
            d.stop()
        hap.stop()
        hap.cleanup()
        dk.cleanup(svc)


def run_nginx(tmp, n):
    """The same keep-alive load through nginx (drops.py's run, n cycles)."""
    drops.CYCLES = n
    return drops.run_dockscale(tmp, True, False)


def burst(url, n):
    codes = [None] * n

    def one(i):
        try:
            codes[i] = requests.get(url, timeout=120).status_code
        except requests.RequestException as e:
            codes[i] = repr(e)

    ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    t0 = time.monotonic()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return codes, time.monotonic() - t0


def run_wake(tmp):
    """(first-request-to-answer seconds per wake, codes of a 50-request burst at zero)."""
    svc = service_name(PREFIX + "wake")
    hap = HAProxy(tmp, f"be_{svc}")
    wake = f"127.0.0.1:{free_port()}"
    d = None
    try:
        d = BenchDaemon(tmp, service_conf(svc, min_replicas=0, max_replicas=2,
                                          wake_listen=wake, balancer="haproxy",
                                          haproxy_backend=hap.backend, drain="2s")
                        + hap.section(), name=f"d-{svc}").start()
        lat = []
        for i in range(WAKES + 1):
            wait_for(lambda: sorted(hap.servers()) == [f"{svc}-wake"], timeout=60,
                     what="asleep: only the wake server")
            wait_for(lambda: dk.containers(svc) == [], timeout=60, what="no container")
            if i < WAKES:
                t0 = time.monotonic()
                r = requests.get(hap.url + "/", timeout=120)
                lat.append(time.monotonic() - t0)
                assert r.status_code == 200, r.text
                codes = None
            else:
                codes, _ = burst(hap.url + "/", 50)
            wait_for(lambda: dk.running(svc), timeout=30, what="a replica")
            assert d.post(f"/api/v1/services/{svc}/scale", body={"replicas": 0})[0] == 200
        return lat, codes
    finally:
        if d is not None:
            d.stop()
        hap.stop()
        hap.cleanup()
        dk.cleanup(svc)


def docker_start_healthy():
    """The baseline of a wake: create + start + healthy of the same image, no daemon."""
    svc = service_name(PREFIX + "base")
    try:
        t0 = time.monotonic()
        cid = create_container(f"{svc}-1", svc)
        assert dk.start(cid) == 204
        wait_healthy(cid, timeout=60)
        return time.monotonic() - t0
    finally:
        dk.cleanup(svc)


def main():
    on_sigterm()
    tmp = tempfile.mkdtemp(prefix="bench-haproxy-")
    remove_bench_containers("bench-" + PREFIX)
    ka = run_haproxy(tmp, True, False, CYCLES)
    print(f"haproxy keep-alive: {ka}", flush=True)
    ng = run_nginx(tmp, CYCLES)
    print(f"nginx keep-alive: {ng}", flush=True)
    cl = run_haproxy(tmp, False, False, 2)
    print(f"haproxy Connection: close: {cl}", flush=True)
    po = run_haproxy(tmp, True, True, 2)
    print(f"haproxy POST keep-alive: {po}", flush=True)
    lat, codes = run_wake(tmp)
    base = [docker_start_healthy() for _ in range(WAKES)]
    print(f"wake {lat}, docker create+start+healthy {base}, burst {codes}", flush=True)
    shutil.rmtree(tmp, ignore_errors=True)
    per_reload = sum(ng["sock"]) / max(ng["reloads"], 1)
    emit(f"haproxy, keep-alive GET, {CYCLES} cycles 1->3->1 under wrk -t2 -c8", errs(ka),
         f"nginx, same load: {errs(ng)}, {ng['reloads']} reloads, {per_reload:.2f} "
         "resets/reload", "0 vs " + str(ng["non2xx"] + sum(ng["sock"]))
         if ka["non2xx"] + sum(ka["sock"]) == 0 else "errors", command(SCRIPT))
    emit("haproxy, Connection: close GET, 2 cycles", errs(cl), "-", "-", command(SCRIPT))
    emit("haproxy, keep-alive POST /work?ms=20, 2 cycles", errs(po), "-", "-",
         command(SCRIPT))
    emit("haproxy never reloaded (same pid, uptime grew)",
         f"{all(r['same_pid'] for r in (ka, cl, po))}, uptime {ka['uptime'][0]}->"
         f"{ka['uptime'][1]} s", "-", "-", command(SCRIPT),
         f"last drain {ka['drain_s']} s")
    ml, mb = median(lat), median(base)
    emit("wake from zero: first request -> its answer (median)",
         f"{ml:.2f} s ({', '.join(f'{x:.2f}' for x in lat)})",
         f"docker create+start+healthy {mb:.2f} s", fmt_ratio(ml / mb), command(SCRIPT))
    ok = sum(1 for c in codes if c == 200)
    emit("wake from zero: 50 concurrent requests at zero", f"{ok}/50 answered 200", "-",
         "-", command(SCRIPT))
    return 0 if ok == 50 and ka["non2xx"] + sum(ka["sock"]) == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
