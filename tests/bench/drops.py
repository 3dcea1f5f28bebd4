#!/usr/bin/python3
"""No drops (SPEC §6): wrk through a real nginx at constant load across N scale-up /
scale-down cycles (1 -> 3 -> 1), with `Connection: close` and with keep-alive, for GET /
and for POST /work?ms=20 (post.lua). nginx retries a failed GET on another replica
(proxy_next_upstream error timeout), but not a POST once it was sent upstream, so only
the POST runs show requests lost by stopping a replica that still gets traffic.

dockscale's order: a replica joins the upstream only once healthy; on the way out it
leaves the upstream, nginx reloads, it drains, and only then is it stopped.
Baseline, in the same run: the NAIVE order of a shell script, without dockscaled. Scale
up = create + start a container through the Docker API and add it to the upstream at
once (no health wait), one reload per container; scale down = `docker stop` + remove the
replica FIRST, and only then rewrite the upstream and reload.
Reported: non-2xx answers, socket errors (connect/read/write/timeout), and for GET with
keep-alive the socket errors (resets) per nginx reload.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from common import (HERE, BenchDaemon, command, create_container, dk, emit, get_text,
                    host_port, on_sigterm, remove_bench_containers, service_name, stop_proc,
                    wait_for, wait_healthy, wrk_latency, write_upstream)
from peers import Nginx
from test_nginx import conf, cycles, servers, wrk, wrk_result
from test_replicas import wait_ready

CYCLES = int(os.environ.get("BENCH_DROPS_CYCLES", "3"))
SCRIPT = "drops.py"
WRK_MAX_S = 300  # wrk is stopped with SIGINT (it then prints its totals) when done
POST_PATH = "/work?ms=20"  # 20 ms of CPU a request: POSTs are in flight when a replica stops


def start_load(ngx, keepalive, post):
    """wrk through nginx: GET / as test_nginx.wrk, or POST_PATH with post.lua."""
    if not post:
        return wrk(ngx.url + "/", WRK_MAX_S, keepalive)
    args = ["wrk", "-t2", "-c8", f"-d{WRK_MAX_S}s", "--latency",
            "-s", os.path.join(HERE, "post.lua")]
    if not keepalive:
        args += ["-H", "Connection: close"]
    return subprocess.Popen(args + [ngx.url + POST_PATH], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def reloads(d):
    return int(re.search(r'dockscale_nginx_reloads_total\{result="success"\} (\d+)',
                         d.get("/metrics")[1]).group(1))


def serving(ngx, ids):
    return wait_for(lambda: all(get_text(ngx.url + "/")[1].strip() in ids for _ in range(4)),
                    timeout=10, what="nginx serving the replicas")


def finish(load):
    time.sleep(1.0)  # a last stretch of load on the settled state
    load.send_signal(signal.SIGINT)
    reqs, non2xx, sock, out = wrk_result(load)
    return {"requests": reqs, "non2xx": non2xx, "sock": sock, "out": out,
            "lat": wrk_latency(out)}


def run_dockscale(tmp, keepalive, post):
    svc = service_name("drops")
    ngx = Nginx(tmp, f"up_{svc}")
    d = load = None
    try:
        d = BenchDaemon(tmp, conf(svc, ngx), name=f"d-{svc}").start()
        s = wait_ready(d, svc, 1)
        wait_for(lambda: len(servers(ngx.upstream())) == 1, timeout=10, what="upstream")
        serving(ngx, {s["replicas"][0]["id"][:12]})
        r0 = reloads(d)
        load = start_load(ngx, keepalive, post)
        time.sleep(1.0)
        cycles(d, svc, ngx, CYCLES)  # the integration suite's cycle: 1 -> 3 -> 1, waited
        res = finish(load)
        load = None
        res["reloads"] = reloads(d) - r0
        return res
    finally:
        stop_proc(load, signal.SIGINT)
        if d is not None:
            d.stop()
        ngx.stop()
        dk.cleanup(svc)


def run_naive(tmp, keepalive, post):
    svc = service_name("naive")
    ngx = Nginx(tmp, f"up_{svc}")
    ngx.upstream_name = f"up_{svc}"
    load = None
    n_reloads = 0
    try:
        base = create_container(f"{svc}-1", svc)
        assert dk.start(base) == 204
        members = [(base, f"127.0.0.1:{host_port(wait_healthy(base))}")]
        write_upstream(ngx, [a for _, a in members])
        serving(ngx, {base[:12]})
        load = start_load(ngx, keepalive, post)
        time.sleep(1.0)
        for c in range(CYCLES):
            for i in (2, 3):  # scale up: start it, add it at once, reload
                cid = create_container(f"{svc}-{c}-{i}", svc)
                assert dk.start(cid) == 204
                members.append((cid, f"127.0.0.1:{host_port(dk.inspect(cid))}"))
                write_upstream(ngx, [a for _, a in members])
                n_reloads += 1
            for cid, _ in members[1:]:  # hold at 3 until they are healthy, as dockscale does
                wait_healthy(cid)
            while len(members) > 1:  # scale down: stop + remove first, then upstream + reload
                cid, _ = members.pop()
                code, out = dk.call("POST", f"/containers/{cid}/stop?t=10")
                assert code in (204, 304), out
                dk.remove(cid)
                write_upstream(ngx, [a for _, a in members])
                n_reloads += 1
        res = finish(load)
        load = None
        res["reloads"] = n_reloads
        return res
    finally:
        stop_proc(load, signal.SIGINT)
        ngx.stop()
        dk.cleanup(svc)


def errors(r):
    return r["non2xx"] + sum(r["sock"])


def describe(r):
    nan = float("nan")
    c, rd, w, t = r["sock"]
    return (f"{r['non2xx']} non-2xx, socket errors {c}/{rd}/{w}/{t} (connect/read/write/"
            f"timeout) in {r['requests']} requests, {r['reloads']} reloads, latency p99 "
            f"{r['lat'].get('p99', nan):.1f} ms max {r['lat'].get('max', nan):.0f} ms")


def main():
    on_sigterm()
    tmp = tempfile.mkdtemp(prefix="bench-drops-")
    remove_bench_containers()
    res = {}
    modes = []  # GET rows keep their labels; POST rows say so
    for post in (False, True):
        for keepalive in (False, True):
            mode = "keep-alive" if keepalive else "Connection: close"
            if post:
                mode = f"POST {POST_PATH}, {mode}"
            modes.append(mode)
            res[(mode, "dockscale")] = run_dockscale(tmp, keepalive, post)
            print(f"dockscale, {mode}: {describe(res[(mode, 'dockscale')])}", flush=True)
            res[(mode, "naive")] = run_naive(tmp, keepalive, post)
            print(f"naive, {mode}: {describe(res[(mode, 'naive')])}", flush=True)
    shutil.rmtree(tmp, ignore_errors=True)  # kept (logs) when the benchmark failed
    for mode in modes:
        ds, nv = res[(mode, "dockscale")], res[(mode, "naive")]
        e_ds, e_nv = errors(ds), errors(nv)
        # Errors per request: the two runs do not last exactly as long.
        rate_ds, rate_nv = e_ds / max(ds["requests"], 1), e_nv / max(nv["requests"], 1)
        if e_ds == 0 and e_nv == 0:
            rt = "0 vs 0"
        elif rate_nv == 0:
            rt = "worse (naive 0)"
        else:
            rt = f"{rate_ds / rate_nv:.2f}x error rate"
        emit(f"drops, {mode}, {CYCLES} cycles 1->3->1 under wrk -t2 -c8", describe(ds),
             "naive order: " + describe(nv), rt, command(SCRIPT))
        if mode == "keep-alive":
            per_ds = sum(ds["sock"]) / max(ds["reloads"], 1)
            per_nv = sum(nv["sock"]) / max(nv["reloads"], 1)
            emit("drops, keep-alive: socket errors (resets) per nginx reload",
                 f"{per_ds:.2f} ({sum(ds['sock'])}/{ds['reloads']})",
                 f"naive {per_nv:.2f} ({sum(nv['sock'])}/{nv['reloads']})",
                 f"{per_ds / per_nv:.2f}x" if per_nv else "n/a", command(SCRIPT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
