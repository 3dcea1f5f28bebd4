#!/usr/bin/python3
"""Readiness at the floor (doc/readiness.md): alert -> first 200 through nginx, from
zero and from one replica, for (a) the demo image without a HEALTHCHECK, (b) with
HEALTHCHECK --interval=30s and (c) with --interval=1s (readiness = auto), beside the raw
floor measured in the same run: Docker API create + start -> first 200 from the container
directly (polled every 2 ms). Goal: every case <= 1.1 x raw and <= 500 ms.

Then the cost of fast probing: 10 services x 10 replicas of (a) start at once (min_replicas
= 10); the daemon's CPU from the first create to 100 ready, against dockerd's in the
same window; and the worst case, 100 replicas that never pass their probe (404), probing
on the schedule (BENCH_READINESS_COST=0 skips both).
"""
import os
import re
import shutil
import sys
import tempfile
import time

from common import (NOHC, BenchDaemon, first_200, ms, raw_run, command, dk, emit, fmt_ratio,
                    get_text, median, on_sigterm, pids_named, proc_cpu_seconds,
                    ratio, remove_bench_containers, service_name, wait_for)
from peers import Nginx
from test_readiness import HC1, HC30, ensure_images
from test_replicas import service_conf, status
from test_webhook import alert, payload

N = int(os.environ.get("BENCH_READINESS_N", "5"))
COST = os.environ.get("BENCH_READINESS_COST", "1") != "0"
SCRIPT = "readiness.py"
IMAGES = [("a", "no HEALTHCHECK", NOHC), ("b", "HEALTHCHECK --interval=30s", HC30),
          ("c", "HEALTHCHECK --interval=1s", HC1)]


def settle(d, svc, ngx, n):
    """n ready replicas, nothing else in Docker, nginx serving exactly them."""
    def ok():
        s = status(d, svc)
        if not (s["ready"] == n and len(s["replicas"]) == n and
                len(dk.containers(svc)) == n):
            return False
        if n == 0:
            return get_text(ngx.url + "/")[0] != 200 and s
        want = s["replicas"][0]["id"][:12]
        return all(get_text(ngx.url + "/")[1].strip() == want for _ in range(4)) and s
    return wait_for(ok, timeout=60, interval=0.1, what=f"{svc} at {n} replica(s)")


def dockscale_run(d, svc, ngx, start, fp):
    """Alert -> the new replica's first 200 through nginx; back to `start` after."""
    code, out, _ = d.post(f"/api/v1/services/{svc}/scale", body={"replicas": start})
    assert code == 200, out
    s = settle(d, svc, ngx, start)
    old = {r["id"][:12] for r in s["replicas"]}
    prev = s["last_scale_up_ms"]["to_healthy"]
    t0 = time.perf_counter()
    code, out, _ = d.post("/api/v1/alerts", body=payload([alert(svc, "scale_up", fp=fp)]))
    assert code == 200 and out["stepped"] == 1, out
    t1, new = first_200(ngx.url + "/", old)
    r = wait_for(lambda: [x for x in status(d, svc)["replicas"] if x["id"][:12] == new
                          and x["ready_by"]], timeout=10, what="the new replica's ready_by")[0]
    up = wait_for(lambda: (u := status(d, svc)["last_scale_up_ms"])["to_healthy"] != prev
                  and u, timeout=10, what="last_scale_up_ms of this scale-up")
    return ms(t0, t1), r["ready_by"], r["ready_after_ms"], up["to_healthy"]


def reaction(tmp):
    nginxes, daemons = {}, {}
    svcs = {key: service_name(f"ready{key}") for key, _, _ in IMAGES}
    raw_svc = service_name("rawready")
    raw = {key: [] for key in svcs}
    runs = {(key, start): [] for key in svcs for start in (0, 1)}
    try:
        # One daemon per nginx: [nginx] (its reload command) is daemon-wide.
        for key, _, image in IMAGES:
            svc = svcs[key]
            nginxes[key] = Nginx(tmp, f"up_{svc}")
            b = service_conf(svc, image=image, min_replicas=0, max_replicas=2, metric="none",
                             drain="0s", stop_timeout="2s", start_timeout="60s",
                             scale_up_cooldown="0s", scale_down_cooldown="0s",
                             upstream_file=nginxes[key].upstream_file,
                             upstream_name=f"up_{svc}") + nginxes[key].nginx_section()
            daemons[key] = BenchDaemon(tmp, b, name=f"d{key}").start()
        for i in range(N):  # interleaved, so drift in the machine's load hits all
            for key, what, image in IMAGES:
                raw[key].append(raw_run(raw_svc, i, image))
                for start in (0, 1):
                    runs[(key, start)].append(dockscale_run(
                        daemons[key], svcs[key], nginxes[key], start, f"r{key}{start}{i}"))
                print(f"run {i + 1}/{N} ({key}) raw {raw[key][-1]:.0f} ms, from zero "
                      f"{runs[(key, 0)][-1]}, from one {runs[(key, 1)][-1]}", flush=True)
    finally:
        for dd in daemons.values():
            dd.stop()
        for n in nginxes.values():
            n.stop()
        for svc in list(svcs.values()) + [raw_svc]:
            dk.cleanup(svc)
    for key, what, image in IMAGES:
        rm = median(raw[key])
        for start in (0, 1):
            rs = runs[(key, start)]
            m = median([r[0] for r in rs])
            by = sorted({r[1] for r in rs})
            emit(f"readiness: alert -> first 200 via nginx from {'zero' if start == 0 else 'one'}"
                 f", ({key}) {what}, median of {N}", f"{m:.0f} ms (max {max(r[0] for r in rs):.0f}; "
                 f"ready by {'/'.join(by)})", f"{rm:.0f} ms raw create+start -> first 200 direct",
                 fmt_ratio(ratio(m, rm)), command(SCRIPT))
            h = median([r[3] for r in rs])
            emit(f"readiness: alert -> replica ready (daemon, to_healthy) from "
                 f"{'zero' if start == 0 else 'one'}, ({key}), median of {N}",
                 f"{h:.0f} ms (start -> ready median {median([r[2] for r in rs]):.0f} ms)",
                 f"{rm:.0f} ms raw create+start -> first 200 direct",
                 fmt_ratio(ratio(h, rm)), command(SCRIPT))


def probes_in(log):
    return sum(int(n) for n in re.findall(r"ready by \w+, (\d+) probe\(s\)", log))


def cost(tmp):
    """100 replicas (10 services x 10) starting at once: the daemon's CPU, with dockerd's
    in the same window as the baseline."""
    svcs = [service_name(f"cost{i}") for i in range(10)]
    body = "".join(service_conf(s, image=NOHC, min_replicas=10, max_replicas=10,
                                metric="none", drain="0s", stop_timeout="2s",
                                start_timeout="120s",
                                upstream_file=os.path.join(tmp, f"{s}.conf"))
                   for s in svcs)
    d = BenchDaemon(tmp, body, name="dcost")
    dockerd = pids_named("dockerd")
    try:
        cpu_d0 = [proc_cpu_seconds(p) for p in dockerd]
        t0 = time.perf_counter()
        d.start()
        c0 = proc_cpu_seconds(d.proc.pid)

        def all_ready():
            return sum(status(d, s)["ready"] for s in svcs) == 100
        wait_for(all_ready, timeout=240, interval=0.5, what="100 replicas ready")
        took = time.perf_counter() - t0
        cpu = proc_cpu_seconds(d.proc.pid) - c0
        cpu_dk = sum(proc_cpu_seconds(p) for p in dockerd) - sum(cpu_d0)
        after = [r["ready_after_ms"] for s in svcs for r in status(d, s)["replicas"]]
        probes = probes_in(d.log())
    finally:
        d.stop()
        for s in svcs:
            dk.cleanup(s)
    print(f"cost: 100 replicas ready in {took:.1f} s; daemon CPU {cpu:.2f} s "
          f"({100 * cpu / took:.1f} % of a core), {probes} probes while starting, "
          f"start -> ready median {median(after):.0f} ms; dockerd CPU {cpu_dk:.2f} s",
          flush=True)
    emit("readiness: 100 replicas (10 services x 10) starting at once, daemon CPU "
         "(fast probing)", f"{cpu:.2f} s CPU over {took:.1f} s ({100 * cpu / took:.1f} % "
         f"of a core), {probes} probes, start -> ready median {median(after):.0f} ms",
         f"{cpu_dk:.2f} s dockerd CPU, same window", fmt_ratio(ratio(cpu, cpu_dk)),
         command(SCRIPT))


def cost_never_ready(tmp, window_s=10.0):
    """The worst case: 100 replicas (10 x 10) whose health_path never passes (404), so
    every one keeps probing on the schedule; the daemon's CPU and the probe rate over a
    window once all 100 are starting."""
    svcs = [service_name(f"nready{i}") for i in range(10)]
    body = "".join(service_conf(s, image=NOHC, min_replicas=10, max_replicas=10,
                                metric="none", drain="0s", stop_timeout="2s",
                                start_timeout="120s", health_path="/nope",
                                upstream_file=os.path.join(tmp, f"{s}.conf"))
                   for s in svcs)
    d = BenchDaemon(tmp, body, name="dnever")
    dockerd = pids_named("dockerd")

    def sample():
        reps = [r for s in svcs for r in status(d, s)["replicas"]]
        return (sum(r["state"] == "starting" for r in reps), sum(r["probes"] for r in reps))
    try:
        d.start()
        c0 = proc_cpu_seconds(d.proc.pid)
        t0 = time.perf_counter()
        wait_for(lambda: sample()[0] == 100, timeout=240, interval=0.5,
                 what="100 replicas starting")
        ramp = time.perf_counter() - t0
        c1, p1 = proc_cpu_seconds(d.proc.pid), sample()[1]
        k1 = sum(proc_cpu_seconds(p) for p in dockerd)
        t1 = time.perf_counter()
        while time.perf_counter() - t1 < window_s:  # the measured window itself
            time.sleep(0.5)
        win = time.perf_counter() - t1
        c2, (n2, p2) = proc_cpu_seconds(d.proc.pid), sample()
        k2 = sum(proc_cpu_seconds(p) for p in dockerd)
    finally:
        d.stop()
        for s in svcs:
            dk.cleanup(s)
    assert n2 == 100, f"{n2} starting at the end of the window"
    rate = (p2 - p1) / win
    print(f"never ready: ramp to 100 starting {ramp:.1f} s, {p1} probes, daemon CPU "
          f"{c1 - c0:.2f} s; then {win:.1f} s: {p2 - p1} probes ({rate:.0f}/s), daemon CPU "
          f"{c2 - c1:.2f} s ({100 * (c2 - c1) / win:.1f} % of a core), dockerd "
          f"{k2 - k1:.2f} s", flush=True)
    emit("readiness: 100 replicas starting that never pass (404): probes and daemon CPU",
         f"ramp {ramp:.0f} s: {p1} probes, {c1 - c0:.2f} s CPU; next {win:.0f} s: "
         f"{rate:.0f} probes/s, {100 * (c2 - c1) / win:.1f} % of a core "
         f"({1e6 * (c2 - c1) / max(p2 - p1, 1):.0f} us CPU per probe, upper bound)",
         f"{100 * (k2 - k1) / win:.1f} % of a core dockerd, same window",
         fmt_ratio(ratio(c2 - c1, k2 - k1)), command(SCRIPT))


def main():
    on_sigterm()
    ensure_images()
    remove_bench_containers()
    tmp = tempfile.mkdtemp(prefix="bench-readiness-")
    reaction(tmp)
    if COST:
        cost(tmp)
        cost_never_ready(tmp)
    shutil.rmtree(tmp, ignore_errors=True)  # kept (logs) when the benchmark failed
    return 0


if __name__ == "__main__":
    sys.exit(main())
