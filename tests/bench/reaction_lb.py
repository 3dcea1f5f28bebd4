#!/usr/bin/python3
"""Reaction through each balancer (doc/balancers.md, "Reaction"): alert -> the new
replica's first 200 through HAProxy and through nginx, each against the raw floor measured
in the same run, interleaved: Docker API create + start -> first 200 from the container
directly (polled every 2 ms). The demo image without a HEALTHCHECK (readiness by the
daemon's probe), scale 1 -> 2 (the new replica's id in the answer tells it apart).

Then the reloads a scale change costs: two nginx services of the same nginx scaled in the
same moment (one alert with both), the reloads counted by
dockscale_nginx_reloads_total; and the HAProxy socket commands per change
(dockscale_balancer_commands_total).
"""
import os
import re
import shutil
import sys
import tempfile
import time

from common import (NOHC, BenchDaemon, first_200, ms, raw_run, command, dk, emit, fmt_ratio,
                    get_text, median, on_sigterm, ratio, remove_bench_containers,
                    service_name, wait_for)
from peers import HAProxy, Nginx
from test_replicas import service_conf, status
from test_webhook import alert, payload

N = int(os.environ.get("BENCH_RLB_N", "5"))
SCRIPT = "reaction_lb.py"
PREFIX = "bench-scalelb"


def settle(d, svc, url, n):
    """n ready replicas, nothing else in Docker, the balancer serving exactly them."""
    def ok():
        s = status(d, svc)
        if not (s["ready"] == n and len(s["replicas"]) == n and
                len(dk.containers(svc)) == n and s["balancer"]["in_sync"] is not False):
            return False
        want = {r["id"][:12] for r in s["replicas"]}
        if url is None:
            return s
        return all(get_text(url + "/")[1].strip() in want for _ in range(6)) and s
    return wait_for(ok, timeout=60, interval=0.1, what=f"{svc} at {n} replica(s)")


def metric(d, name, label=""):
    m = d.get("/metrics")[1]
    return sum(float(v) for v in re.findall(
        rf"^{name}(?:\{{[^}}]*{re.escape(label)}[^}}]*\}})? (\S+)$", m, re.M))


def dockscale_run(d, svc, url, fp):
    """Alert -> the new replica's first 200 through the balancer; back to one after."""
    code, out, _ = d.post(f"/api/v1/services/{svc}/scale", body={"replicas": 1})
    assert code == 200, out
    s = settle(d, svc, url, 1)
    old = {r["id"][:12] for r in s["replicas"]}
    t0 = time.perf_counter()
    code, out, _ = d.post("/api/v1/alerts", body=payload([alert(svc, "scale_up", fp=fp)]))
    assert code == 200 and out["stepped"] == 1, out
    t1, _ = first_200(url + "/", old)
    return ms(t0, t1)


def reloads_per_change(d, svcs, ngx_url_of):
    """Both nginx services 1 -> 2 by one alert each in one webhook: nginx reloads (the
    command runs) for the pair, and HAProxy commands per change are read separately."""
    for s in svcs:
        d.post(f"/api/v1/services/{s}/scale", body={"replicas": 1})
    for s in svcs:
        settle(d, s, ngx_url_of(s), 1)
    time.sleep(0.5)
    r0 = metric(d, "dockscale_nginx_reloads_total", 'result="success"')
    code, out, _ = d.post("/api/v1/alerts", body=payload(
        [alert(s, "scale_up", fp=f"pair{s}") for s in svcs]))
    assert code == 200 and out["stepped"] == len(svcs), out
    for s in svcs:
        settle(d, s, ngx_url_of(s), 2)
    return metric(d, "dockscale_nginx_reloads_total", 'result="success"') - r0


def main():
    on_sigterm()
    tmp = tempfile.mkdtemp(prefix="bench-scalelb-")
    remove_bench_containers(PREFIX)
    ngx_svc, ngx2_svc = service_name("scalelb-ngx"), service_name("scalelb-ngy")
    hap_svc, raw_svc = service_name("scalelb-hap"), service_name("scalelb-raw")
    ngx = hap = d = None
    raw, via_ngx, via_hap = [], [], []
    pair = hap_cmds = None
    try:
        # one nginx for both nginx services (the second proxies on its own port)
        ngx = Nginx(tmp, f"up_{ngx_svc}")
        ngx2_file = os.path.join(os.path.dirname(ngx.upstream_file), f"up_{ngx2_svc}.conf")
        with open(ngx2_file, "w") as f:
            f.write(f"upstream up_{ngx2_svc} {{\n    server 127.0.0.1:1 down;\n}}\n")
        hap = HAProxy(tmp, f"be_{hap_svc}")
        opts = dict(image=NOHC, min_replicas=1, max_replicas=2, metric="none", drain="0s",
                    stop_timeout="2s", start_timeout="60s", scale_up_cooldown="0s",
                    scale_down_cooldown="0s")
        body = (service_conf(ngx_svc, upstream_file=ngx.upstream_file,
                             upstream_name=f"up_{ngx_svc}", **opts)
                + service_conf(ngx2_svc, upstream_file=ngx2_file,
                               upstream_name=f"up_{ngx2_svc}", **opts)
                + service_conf(hap_svc, balancer="haproxy", haproxy_backend=hap.backend,
                               **opts)
                + ngx.nginx_section() + hap.section())
        d = BenchDaemon(tmp, body, name="d").start()
        for i in range(N):  # interleaved, so drift in the machine's load hits all three
            raw.append(raw_run(raw_svc, i))
            via_hap.append(dockscale_run(d, hap_svc, hap.url, f"h{i}"))
            via_ngx.append(dockscale_run(d, ngx_svc, ngx.url, f"n{i}"))
            print(f"run {i + 1}/{N}: raw {raw[-1]:.0f} ms, haproxy {via_hap[-1]:.0f} ms, "
                  f"nginx {via_ngx[-1]:.0f} ms", flush=True)
        # HAProxy commands of one change (1 -> 2) and of the every-pass convergence
        d.post(f"/api/v1/services/{hap_svc}/scale", body={"replicas": 1})
        settle(d, hap_svc, hap.url, 1)
        c0 = metric(d, "dockscale_balancer_commands_total", f'service="{hap_svc}"')
        d.post(f"/api/v1/services/{hap_svc}/scale", body={"replicas": 2})
        settle(d, hap_svc, hap.url, 2)
        hap_cmds = metric(d, "dockscale_balancer_commands_total",
                          f'service="{hap_svc}"') - c0
        # both nginx services answer through the one nginx only for the first: the pair's
        # reloads are what is counted, the second is checked through its file
        pair = reloads_per_change(d, [ngx_svc, ngx2_svc],
                                  lambda s: ngx.url if s == ngx_svc else None)
    finally:
        if d is not None:
            d.stop()
        if ngx is not None:
            ngx.stop()
        if hap is not None:
            hap.stop()
            hap.cleanup()
        for s in (ngx_svc, ngx2_svc, hap_svc, raw_svc):
            dk.cleanup(s)
    shutil.rmtree(tmp, ignore_errors=True)

    rm, hm, nm = median(raw), median(via_hap), median(via_ngx)
    print(f"median of {N}: raw {rm:.0f} ms, haproxy {hm:.0f} ms ({hm / rm:.2f}x), "
          f"nginx {nm:.0f} ms ({nm / rm:.2f}x); reloads for two services scaled at once: "
          f"{pair}; haproxy commands for one scale-up: {hap_cmds}", flush=True)
    emit(f"reaction: alert -> first 200 via HAProxy, 1 -> 2 (median of {N})",
         f"{hm:.0f} ms (max {max(via_hap):.0f})",
         f"{rm:.0f} ms raw create+start -> first 200 direct", fmt_ratio(ratio(hm, rm)),
         command(SCRIPT))
    emit(f"reaction: alert -> first 200 via nginx, 1 -> 2 (median of {N})",
         f"{nm:.0f} ms (max {max(via_ngx):.0f})",
         f"{rm:.0f} ms raw create+start -> first 200 direct", fmt_ratio(ratio(nm, rm)),
         command(SCRIPT))
    emit("nginx reloads for two services scaled in the same moment", f"{pair:.0f}",
         "2 (one per service)", fmt_ratio(ratio(pair, 2)), command(SCRIPT))
    emit("HAProxy socket commands for one scale-up (1 -> 2)", f"{hap_cmds:.0f}", "-", "-",
         command(SCRIPT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
