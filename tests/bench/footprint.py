#!/usr/bin/python3
"""Footprint (SPEC §6): peak RSS and idle CPU of dockscaled with 10 services x 10
replicas, next to dockerd's CPU over the same window (baseline, same run), at interval 5 s
and 1 s (BENCH_FOOTPRINT_INTERVALS), and the engine's CPU (dockerd + containerd) in an
identical window with the daemon stopped: what the daemon adds to the engine. Each
interval runs a fresh daemon (its own VmHWM) that adopts the same replicas.
BENCH_FOOTPRINT_SOURCE=api|cgroup sets [docker] stats_source (unset: the default; an
older daemon without the key). BENCH_FOOTPRINT_WINDOW is each window's length.

Each service: the demo app, cpus 0, memory 0, min = max = 10,
metric docker_cpu (so every replica's stats are sampled every interval),
its upstream file in a temp dir, nginx test/reload commands `true`. Once all 100 replicas
are ready, CPU is read from /proc/PID/stat (utime + stime) over each window; peak RSS
is VmHWM at its end. Every container is removed afterwards (by label).

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
                    proc_cpu_seconds, proc_status, ratio, remove_bench_containers,
                    service_name, wait_for)
from test_replicas import service_conf, status

SCRIPT = "footprint.py"
SERVICES = int(os.environ.get("BENCH_FOOTPRINT_SERVICES", "10"))
REPLICAS = int(os.environ.get("BENCH_FOOTPRINT_REPLICAS", "10"))
WINDOW_S = float(os.environ.get("BENCH_FOOTPRINT_WINDOW", "60"))
INTERVALS = os.environ.get("BENCH_FOOTPRINT_INTERVALS", "5s,1s").split(",")
BENCH_IMAGE = "dockscale-demo:bench-hc30s"
IMAGE = os.environ.get("BENCH_FOOTPRINT_IMAGE", BENCH_IMAGE)


def build_image(tag=BENCH_IMAGE):
    """The demo image with a 30 s HEALTHCHECK as `tag` (scale.py builds its own tag)."""
    dockerfile = ("FROM dockscale-demo:latest\nHEALTHCHECK --interval=30s --timeout=2s "
                  "--start-period=10s --retries=3 CMD [\"/app\",\"--health\"]\n")
    subprocess.run(["docker", "build", "-q", "-t", tag, "-"], input=dockerfile,
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


def cpu(pids):
    """CPU seconds of each pid that still exists."""
    out = {}
    for p in pids:
        try:
            out[p] = proc_cpu_seconds(p)
        except OSError:
            pass
    return out


def rss(pids):
    total = 0
    for p in pids:
        try:
            total += proc_status(p, "VmRSS")
        except OSError:
            pass
    return total


def window(pid):
    """CPU in percent of a core over WINDOW_S: dockscaled (pid; None when stopped),
    dockerd, containerd, the shims; dockscaled's VmHWM and VmRSS at the end."""
    dockerd = pids_named("dockerd")
    assert dockerd, "no dockerd process found"
    groups = {"dockscaled": [pid] if pid else [], "dockerd": dockerd,
              "containerd": pids_named("containerd"),
              "shims": pids_named("containerd-shim-runc-v2") + pids_named("containerd-shim")}
    c0, t0 = {k: cpu(v) for k, v in groups.items()}, time.monotonic()
    time.sleep(WINDOW_S)
    c1, t1 = {k: cpu(v) for k, v in groups.items()}, time.monotonic()
    # Only processes there at both ends (the shared engine may be restarted meanwhile).
    out = {k: 100 * sum(c1[k][p] - c0[k][p] for p in c1[k] if p in c0[k]) / (t1 - t0)
           for k in groups}
    out["hwm"] = proc_status(pid, "VmHWM") if pid else 0
    out["rss"] = proc_status(pid, "VmRSS") if pid else 0
    out["dd_rss"] = rss(pids_named("dockerd"))
    print(f"window {WINDOW_S:.0f} s: " + ", ".join(f"{k} {v:.2f}" for k, v in out.items()),
          flush=True)
    return out


def wait_all_ready(d, names):
    t_start = time.monotonic()
    progress = {"at": 0.0}

    def all_ready():
        svcs = [s for s in d.get("/api/v1/services")[1]["services"] if s["name"] in names]
        ready = sum(s["ready"] for s in svcs)
        if time.monotonic() - progress["at"] >= 10:
            progress["at"] = time.monotonic()
            print(f"  {time.monotonic() - t_start:.0f} s: {ready} ready, "
                  f"{sum(s['current'] for s in svcs)} present, "
                  f"{sum(s['failed_starts_total'] for s in svcs)} failed starts", flush=True)
        return ready == SERVICES * REPLICAS and ready
    try:
        wait_for(all_ready, timeout=300, interval=1.0,
                 what=f"{SERVICES * REPLICAS} ready replicas")
    except AssertionError:
        print(d.log()[-4000:])
        raise
    return time.monotonic() - t_start


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
    src = os.environ.get("BENCH_FOOTPRINT_SOURCE", "")  # "" = the daemon's default
    extra = f"[docker]\nstats_source = {src}\n" if src else ""
    d = None
    res = {}
    try:
        d = BenchDaemon(tmp, body, interval=INTERVALS[0], daemon_extra=extra).start()
        t_ready = wait_all_ready(d, names)
        running = sum(len(dk.running(n)) for n in names)
        assert running == SERVICES * REPLICAS, running
        print(f"{running} replicas ready {t_ready:.1f} s after start", flush=True)
        for k, iv in enumerate(INTERVALS):
            if k > 0:  # a fresh daemon (its own VmHWM) adopts the same replicas
                d.stop()
                d = BenchDaemon(tmp, body, name=f"d{k}", interval=iv,
                                daemon_extra=extra).start()
                wait_all_ready(d, names)
            res[iv] = window(d.proc.pid)
            for n in names:  # still all there and all ready at the end of the window
                assert status(d, n)["ready"] == REPLICAS, n
            if k == 0:
                # The same window with the daemon stopped: what the engine spends anyway.
                d.stop()
                res["stopped"] = window(None)
                d = BenchDaemon(tmp, body, name="d-again", interval=iv,
                                daemon_extra=extra).start()
                wait_all_ready(d, names)
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
    base = res["stopped"]
    load = os.getloadavg()
    where = (f"{IMAGE}, docker_cpu, stats_source {src or 'default'}; {n} ready after "
             f"{t_ready:.0f} s; load average {load[0]:.1f} at the end")
    for iv in INTERVALS:
        r = res[iv]
        engine, engine0 = r["dockerd"] + r["containerd"], base["dockerd"] + base["containerd"]
        emit(f"footprint: idle CPU, {SERVICES} x {REPLICAS} replicas, interval {iv}, "
             f"{WINDOW_S:.0f} s", f"{r['dockscaled']:.2f}% of a core",
             f"{r['dockerd']:.2f}% dockerd", fmt_ratio(ratio(r["dockscaled"], r["dockerd"])),
             command(SCRIPT), f"{where}; containerd {r['containerd']:.2f}%, shims "
             f"{r['shims']:.1f}%")
        emit(f"footprint: engine CPU (dockerd + containerd) with the daemon at {iv} vs "
             f"stopped", f"{engine:.2f}% of a core", f"{engine0:.2f}% stopped",
             f"{engine - engine0:+.2f} points", command(SCRIPT),
             f"same run, same {WINDOW_S:.0f} s windows")
        emit(f"footprint: peak RSS (VmHWM), {n} replicas, interval {iv}",
             f"{r['hwm'] / 1024:.1f} MiB", f"{r['dd_rss'] / 1024:.1f} MiB dockerd VmRSS",
             fmt_ratio(r["hwm"] / r["dd_rss"]), command(SCRIPT),
             f"dockscaled VmRSS at the end {r['rss'] / 1024:.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
