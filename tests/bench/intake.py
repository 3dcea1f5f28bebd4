#!/usr/bin/python3
"""Webhook intake (SPEC §6): requests/s and p99 latency of POST /api/v1/alerts, and the
daemon's RSS before and after 1,000,000 webhooks.

The daemon (pinned to CPU 0, as `taskset -c 0` would) runs one service already at
max_replicas, so every firing alert is parsed, authorised (bearer token, as the shipped
Alertmanager receiver sends it), matched and "held": no Docker create/remove. wrk runs
pinned to CPU 1 with tests/bench/webhook.lua posting a real Alertmanager (version 4)
payload: 2 threads, 32 connections, 15 s, --latency. Baseline in the same run: the same
wrk against an nginx (its master and workers pinned to CPU 0 too) answering a static
`return 200` location on the same machine.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

from common import (HERE, BenchDaemon, command, dk, emit, fmt_ratio, on_sigterm, pids_named,
                    proc_cpu_seconds, proc_status, remove_bench_containers,
                    service_name, stop_proc, wait_for, wrk_latency)
from conftest import free_port
from peers import Nginx
from test_nginx import wrk_result
from test_replicas import service_conf, wait_ready

SCRIPT = "intake.py"
SECONDS = int(os.environ.get("BENCH_INTAKE_SECONDS", "15"))
TOTAL = int(os.environ.get("BENCH_INTAKE_TOTAL", "1000000"))
TOTAL_BUDGET_S = float(os.environ.get("BENCH_INTAKE_BUDGET", "150"))  # for reaching TOTAL
TOKEN = "bench-intake-token-0123456789abcdef"
LUA = os.path.join(HERE, "webhook.lua")


def alertmanager_payload(svc):
    """What Alertmanager 0.25 posts for the shipped DockscaleServiceBusy rule."""
    labels = {"alertname": "DockscaleServiceBusy", "dockscale_action": "scale_up",
              "dockscale_service": svc}
    return {
        "receiver": "dockscale", "status": "firing",
        "alerts": [{
            "status": "firing", "labels": labels,
            "annotations": {"summary": f"{svc} replicas use 87% CPU"},
            "startsAt": "2026-11-26T10:00:03.204Z", "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://127.0.0.1:9090/graph?g0.expr=100+%2A+sum+by+"
                            "%28dockscale_service%29&g0.tab=1",
            "fingerprint": "c8a1f3e27b9d4e10"}],
        "groupLabels": {"alertname": "DockscaleServiceBusy", "dockscale_service": svc},
        "commonLabels": labels,
        "commonAnnotations": {"summary": f"{svc} replicas use 87% CPU"},
        "externalURL": "http://127.0.0.1:9093", "version": "4",
        "groupKey": '{}:{alertname="DockscaleServiceBusy", dockscale_service="%s"}' % svc,
        "truncatedAlerts": 0}


def pinned(cpu, fn):
    """Run fn with this process's affinity set to {cpu}: what it forks inherits it."""
    old = os.sched_getaffinity(0)
    if cpu not in old:
        return fn()
    os.sched_setaffinity(0, {cpu})
    try:
        return fn()
    finally:
        os.sched_setaffinity(0, old)


def run_wrk(url, seconds, env, pin):
    args = ["wrk", "-t2", "-c32", f"-d{seconds}s", "--latency", "-s", LUA, url]
    if pin and shutil.which("taskset"):
        args = ["taskset", "-c", "1"] + args
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         env=env)
    try:
        reqs, non2xx, sock, out = wrk_result(p)
    finally:
        stop_proc(p)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return {"requests": reqs, "non2xx": non2xx, "sock": sock, "rps": rps,
            "lat": wrk_latency(out), "out": out}


def engine_cpu(pids):
    """CPU seconds of each pid still there (the shared engine may be restarted)."""
    out = {}
    for p in pids:
        try:
            out[p] = proc_cpu_seconds(p)
        except OSError:
            pass
    return out


def stats_samples(d):
    """Replica samples taken so far, both sources (None: a daemon without the series)."""
    code, body, _ = d.get("/metrics")
    found = re.findall(r'^dockscale_stats_samples_total\{source="\w+"\} (\d+)$', body, re.M) \
        if code == 200 else []
    return sum(int(n) for n in found) if found else None


def main():
    on_sigterm()
    pin = len(os.sched_getaffinity(0)) >= 2 and {0, 1} <= os.sched_getaffinity(0)
    tmp = tempfile.mkdtemp(prefix="bench-intake-")
    remove_bench_containers()
    svc = service_name("intake")
    tok = os.path.join(tmp, "token")
    with open(tok, "w") as f:
        f.write(TOKEN + "\n")
    body_path = os.path.join(tmp, "webhook.json")
    with open(body_path, "w") as f:
        json.dump(alertmanager_payload(svc), f)
    env = dict(os.environ, WEBHOOK_BODY=body_path, WEBHOOK_TOKEN=TOKEN)
    d = ngx = None
    try:
        conf = service_conf(svc, min_replicas=1, max_replicas=1, metric="none",
                            upstream_file=os.path.join(tmp, f"{svc}.conf"))
        d = BenchDaemon(tmp, conf, daemon_extra=f"token_file = {tok}\n")
        pinned(0, lambda: d.start(wait=False))
        wait_for(d.healthy, timeout=10, what="dockscaled /healthz")
        wait_ready(d, svc, 1)
        pid = d.proc.pid
        aff = sorted(os.sched_getaffinity(pid))
        # One webhook by hand: it must be answered 200 and held (at max).
        code, out, _ = d.post("/api/v1/alerts", body=alertmanager_payload(svc),
                              headers={"Authorization": f"Bearer {TOKEN}"})
        assert code == 200 and out["held"] == 1, out
        rss0 = proc_status(pid, "VmRSS")

        ngx = pinned(0, lambda: Nginx(tmp, f"up_{svc}"))
        static_port = free_port()
        with open(os.path.join(ngx.dir, "conf.d", "static.conf"), "w") as f:
            f.write(f"server {{\n    listen 127.0.0.1:{static_port};\n"
                    f"    location / {{ return 200 '{{\"status\":\"ok\"}}\\n'; }}\n}}\n")
        subprocess.run(ngx.argv("-s", "reload"), check=True, capture_output=True)
        static_url = f"http://127.0.0.1:{static_port}/api/v1/alerts"

        def nginx_up():
            import socket
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", static_port)) == 0
        wait_for(nginx_up, timeout=10, what="nginx static server")

        url = d.url + "/api/v1/alerts"
        samples0 = stats_samples(d)
        dockerd = pids_named("dockerd")
        dd0 = engine_cpu(dockerd)
        c0, t0 = proc_cpu_seconds(pid), time.monotonic()
        ds = run_wrk(url, SECONDS, env, pin)
        c1, t1 = proc_cpu_seconds(pid), time.monotonic()
        dd1 = engine_cpu(dockerd)
        dd = sum(dd1[p] - dd0[p] for p in dd1 if p in dd0)
        ds_cpu, dd_cpu = 100 * (c1 - c0) / (t1 - t0), 100 * dd / (t1 - t0)
        samples = stats_samples(d) - samples0 if samples0 is not None else "?"
        print(f"dockscale: {ds['requests']} requests, {ds['rps']:.0f}/s, p99 "
              f"{ds['lat'].get('p99')} ms, non-2xx {ds['non2xx']}, socket {ds['sock']}; "
              f"daemon CPU {ds_cpu:.0f}%, dockerd CPU {dd_cpu:.0f}% meanwhile", flush=True)
        base = run_wrk(static_url, SECONDS, env, pin)
        print(f"nginx static: {base['requests']} requests, {base['rps']:.0f}/s, p99 "
              f"{base['lat'].get('p99')} ms, non-2xx {base['non2xx']}", flush=True)

        # On to TOTAL webhooks, in several wrk runs sized from the rate just seen.
        sent, non2xx, sockerr = ds["requests"], ds["non2xx"], sum(ds["sock"])
        start = time.monotonic()
        while sent < TOTAL and time.monotonic() - start < TOTAL_BUDGET_S:
            left = TOTAL_BUDGET_S - (time.monotonic() - start)
            secs = max(2, min(60, int((TOTAL - sent) / max(ds["rps"], 1) * 1.05) + 1, int(left)))
            r = run_wrk(url, secs, env, pin)
            sent += r["requests"]
            non2xx += r["non2xx"]
            sockerr += sum(r["sock"])
        rss1, hwm = proc_status(pid, "VmRSS"), proc_status(pid, "VmHWM")
        assert d.proc.poll() is None, "dockscaled died under load"
        print(f"dockscale after {sent} webhooks: VmRSS {rss0} -> {rss1} KiB, VmHWM {hwm} KiB, "
              f"non-2xx {non2xx}, socket errors {sockerr}", flush=True)
    finally:
        if d is not None:
            d.stop()
        if ngx is not None:
            ngx.stop()
        dk.cleanup(svc)
        shutil.rmtree(tmp, ignore_errors=True)

    where = (f"daemon on CPU {','.join(map(str, aff))}, wrk on CPU 1" if pin
             else "not pinned (fewer than 2 CPUs)")
    where += (f"; daemon {ds_cpu:.0f}% CPU, dockerd {dd_cpu:.0f}% meanwhile (alert refreshes "
              f"coalesced: {samples} replica samples during the flood); load average "
              f"{os.getloadavg()[0]:.1f}")
    emit("webhook intake: requests/s (wrk -t2 -c32 -d15s, held alerts)",
         f"{ds['rps']:.0f}/s", f"{base['rps']:.0f}/s nginx `return 200`",
         fmt_ratio(ds["rps"] / base["rps"]), command(SCRIPT), where)
    p99, bp99 = ds["lat"].get("p99", float("nan")), base["lat"].get("p99", float("nan"))
    emit("webhook intake: p99 latency", f"{p99:.2f} ms", f"{bp99:.2f} ms nginx `return 200`",
         fmt_ratio(p99 / bp99), command(SCRIPT))
    emit(f"webhook intake: RSS before -> after {sent:,} webhooks",
         f"{rss0 / 1024:.1f} -> {rss1 / 1024:.1f} MiB (peak {hwm / 1024:.1f})",
         "before", fmt_ratio(rss1 / rss0), command(SCRIPT),
         f"{non2xx} non-2xx, {sockerr} socket errors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
