#!/usr/bin/python3
"""Footprint (SPEC §6): peak RSS and idle CPU of dockscaled with 10 services x 10
replicas, next to dockerd's CPU over the same window (baseline, same run).

Each service: the demo app, cpus 0, memory 0, min = max = 10,
metric docker_cpu (so every replica's stats are sampled every interval), interval 5s,
its upstream file in a temp dir, nginx test/reload commands `true`. Once all 100 replicas
are ready, CPU is read from /proc/PID/stat (utime + stime) over a 60 s window; peak RSS
is VmHWM at the end. Every container is removed afterwards (by label).

The image is dockscale-demo:latest with its HEALTHCHECK at Docker's default 30 s interval
(built here as dockscale-demo:bench-hc30s, removed afterwards): with the demo image's 1 s
check, 100 replicas mean 100 `docker exec`s a second, which a 2-core machine cannot keep
up with (checks time out, replicas turn unhealthy and are replaced, and the "idle" window
is all churn). BENCH_FOOTPRINT_IMAGE=dockscale-demo:latest runs it with the 1 s check.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

from common import (BenchDaemon, command, dk, emit, fmt_ratio, on_sigterm, pids_named,
                    proc_cpu_seconds, proc_status, remove_bench_containers, service_name,
                    wait_for)
from test_replicas import service_conf, status

SCRIPT = "footprint.py"
SERVICES = int(os.environ.get("BENCH_FOOTPRINT_SERVICES", "10"))
REPLICAS = int(os.environ.get("BENCH_FOOTPRINT_REPLICAS", "10"))
WINDOW_S = float(os.environ.get("BENCH_FOOTPRINT_WINDOW", "60"))
BENCH_IMAGE = "dockscale-demo:bench-hc30s"
IMAGE = os.environ.get("BENCH_FOOTPRINT_IMAGE", BENCH_IMAGE)


def build_image():
    dockerfile = ("FROM dockscale-demo:latest\nHEALTHCHECK --interval=30s --timeout=2s "
                  "--start-period=10s --retries=3 CMD [\"/app\",\"--health\"]\n")
    subprocess.run(["docker", "build", "-q", "-t", BENCH_IMAGE, "-"], input=dockerfile,
                   text=True, check=True, capture_output=True,
                   env=dict(os.environ, DOCKER_BUILDKIT="0"))


def remove_all(names):
    """Force-remove every container of these services, a few at a time."""
    ids = [c["Id"] for n in names for c in dk.containers(n)]
    errs = []

    def worker(chunk):
        for cid in chunk:
            try:
                dk.remove(cid)
            except Exception as e:  # noqa: BLE001 - report, keep removing
                errs.append(e)
    threads = [threading.Thread(target=worker, args=(ids[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for n in names:  # whatever a failed call left behind
        dk.cleanup(n)


def main():
    on_sigterm()
    tmp = tempfile.mkdtemp(prefix="bench-footprint-")
    remove_bench_containers()
    tag = service_name("fp")
    names = [f"{tag}-{i}" for i in range(SERVICES)]
    if IMAGE == BENCH_IMAGE:
        build_image()
    body = "".join(service_conf(n, image=IMAGE, min_replicas=REPLICAS, max_replicas=REPLICAS,
                                metric="docker_cpu", start_timeout="120s", drain="0s",
                                stop_timeout="2s",
                                upstream_file=os.path.join(tmp, f"{n}.conf"),
                                upstream_name=f"up_{i}")
                   for i, n in enumerate(names))
    d = None
    try:
        d = BenchDaemon(tmp, body, interval="5s").start()
        t_start = time.monotonic()

        progress = {"at": 0.0}

        def all_ready():
            svcs = [s for s in d.get("/api/v1/services")[1]["services"] if s["name"] in names]
            ready = sum(s["ready"] for s in svcs)
            if time.monotonic() - progress["at"] >= 10:
                progress["at"] = time.monotonic()
                print(f"  {time.monotonic() - t_start:.0f} s: {ready} ready, "
                      f"{sum(s['current'] for s in svcs)} present, "
                      f"{sum(s['failed_starts_total'] for s in svcs)} failed starts",
                      flush=True)
            return ready == SERVICES * REPLICAS and ready
        try:
            wait_for(all_ready, timeout=240, interval=1.0,
                     what=f"{SERVICES * REPLICAS} ready replicas")
        except AssertionError:
            print(d.log()[-4000:])
            raise
        t_ready = time.monotonic() - t_start
        running = sum(len(dk.running(n)) for n in names)
        assert running == SERVICES * REPLICAS, running
        print(f"{running} replicas ready {t_ready:.1f} s after start", flush=True)

        pid = d.proc.pid
        dockerd = pids_named("dockerd")
        assert dockerd, "no dockerd process found"
        shims = pids_named("containerd-shim-runc-v2") + pids_named("containerd-shim")
        containerd = pids_named("containerd")

        def cpu(pids):
            total = 0.0
            for p in pids:
                try:
                    total += proc_cpu_seconds(p)
                except OSError:
                    pass
            return total
        a0, b0, c0, s0, t0 = cpu([pid]), cpu(dockerd), cpu(containerd), cpu(shims), time.monotonic()
        time.sleep(WINDOW_S)
        a1, b1, c1, s1, t1 = cpu([pid]), cpu(dockerd), cpu(containerd), cpu(shims), time.monotonic()
        wall = t1 - t0
        ds_pct, dd_pct = 100 * (a1 - a0) / wall, 100 * (b1 - b0) / wall
        ctd_pct, shim_pct = 100 * (c1 - c0) / wall, 100 * (s1 - s0) / wall
        hwm, rss = proc_status(pid, "VmHWM"), proc_status(pid, "VmRSS")
        dd_rss = sum(proc_status(p, "VmRSS") for p in dockerd)
        # Still all there and all ready at the end of the window.
        for n in names:
            s = status(d, n)
            assert s["ready"] == REPLICAS, (n, s["ready"])
        print(f"over {wall:.1f} s: dockscaled {ds_pct:.2f}% CPU, dockerd {dd_pct:.2f}%, "
              f"containerd {ctd_pct:.2f}%, {len(shims)} shims {shim_pct:.2f}%; dockscaled "
              f"VmHWM {hwm} KiB VmRSS {rss} KiB, dockerd VmRSS {dd_rss} KiB", flush=True)
    finally:
        if d is not None:
            d.stop()
        remove_all(names)
        if IMAGE == BENCH_IMAGE:
            dk.call("DELETE", f"/images/{BENCH_IMAGE}")
        shutil.rmtree(tmp, ignore_errors=True)
    left = sum(len(dk.containers(n)) for n in names)
    assert left == 0, f"{left} containers left behind"

    n = SERVICES * REPLICAS
    emit(f"footprint: idle CPU, {SERVICES} services x {REPLICAS} replicas, "
         f"{WINDOW_S:.0f} s", f"{ds_pct:.2f}% of a core", f"{dd_pct:.2f}% dockerd",
         fmt_ratio(ds_pct / dd_pct if dd_pct else float("nan")), command(SCRIPT),
         f"{IMAGE}, interval 5s, docker_cpu; containerd {ctd_pct:.1f}%, shims {shim_pct:.1f}%; "
         f"{n} ready after {t_ready:.0f} s")
    emit(f"footprint: peak RSS (VmHWM), {n} replicas", f"{hwm / 1024:.1f} MiB",
         f"{dd_rss / 1024:.1f} MiB dockerd VmRSS", fmt_ratio(hwm / dd_rss), command(SCRIPT),
         f"dockscaled VmRSS at the end {rss / 1024:.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
