#!/usr/bin/python3
"""The seed table's load on an I/O-bound service (doc/benchmarks.md, "An I/O-bound
service"): the same open-loop generator and load shape as seedtable.py (warm-up, ramp,
plateau, spike, plateau, fall, tail; requests leave at their scheduled times, one
connection each, latency from the scheduled time), against GET /wait?ms=W through a real
nginx whose access log streams to the daemon's socket, for each configuration in turn:

    fixed N | target 60 % docker_cpu | concurrency (target) | latency (threshold)
    | concurrency + latency (target)

/wait holds one of APP_WAIT_SLOTS slots (4) for W ms without CPU and queues beyond
them, so one replica serves C = slots / W requests/s while its CPU stays near 1 %:
docker_cpu cannot see the load, the traffic metrics can. N is the smallest fixed count
whose capacity covers the profile's peak: ceil(peak / C).

Reported per configuration: average and p99 latency, seconds over the SLO (1 s buckets
whose p99 is above SLO_MS, or that had a failed request) and where in the profile they
fell, replica-seconds, peak replicas, non-2xx, failed connections, the highest
docker_cpu the daemon read (where it reads it) and the scale steps taken.

BENCH_IO_SHORT=1 (or BENCH_SEED_SHORT=1): every phase a quarter as long (at least 5 s),
a smoke run of the harness (about 4 minutes); the full run takes about 15.
BENCH_IO_ONLY=0,2 runs some configurations by index (the first listed is the base of
run.py's ratios; 5 is fixed N-1, run only when asked); BENCH_IO_WAIT_MS, BENCH_IO_SLO_MS
and BENCH_IO_CONC (the concurrency target, 3) change the sizing. The table goes to
stdout and build/iobound.md; run.py's table gets one row per configuration against the
fixed count; each daemon's log is kept in build/bench-logs/.
"""
import asyncio
import json
import math
import os
import re
import shutil
import sys
import tempfile
import threading
import time

from common import (ROOT, BenchDaemon, command, dk, emit, on_sigterm, remove_bench_containers,
                    service_name, wait_for)
from peers import Nginx
from seedtable import STEP, Replicas, generate, schedule, summarize
from test_nginx import conf
from test_replicas import status, wait_ready

SCRIPT = "iobound.py"
SHORT = "1" in (os.environ.get("BENCH_IO_SHORT"), os.environ.get("BENCH_SEED_SHORT"))
WAIT_MS = int(os.environ.get("BENCH_IO_WAIT_MS", "100"))
SLOTS = 4  # the demo app's APP_WAIT_SLOTS default: replicas run with it
SLO_MS = float(os.environ.get("BENCH_IO_SLO_MS", "250"))
CAPACITY = SLOTS * 1000.0 / WAIT_MS  # requests/s one replica serves without queueing
CPUS = 0.25  # as seedtable.py: docker_cpu is a share of this
QLEN = "/proc/sys/net/unix/max_dgram_qlen"

# The seed table's shape and rates (multiples of C), each phase shorter so that the five
# configurations fit in about 15 minutes: 165 s of load each.
PHASES = [("warm-up", 20, 0.8, 0.8), ("ramp", 40, 0.8, 3.2), ("plateau", 30, 3.2, 3.2),
          ("spike", 15, 4.4, 4.4), ("plateau", 20, 3.2, 3.2), ("fall", 15, 3.2, 0.8),
          ("tail", 25, 0.8, 0.8)]
if SHORT:
    PHASES = [(n, max(5, s // 4), a, b) for n, s, a, b in PHASES]
PEAK = max(max(a, b) for _, _, a, b in PHASES)
FIXED_N = math.ceil(PEAK - 1e-9)  # C each: the smallest count that serves the peak
MIN_R, MAX_R = 1, FIXED_N + 1

# Every autoscaled configuration: interval 1 s, no up window, 5 s up cooldown, 15 s down
# window and cooldown (the fall and tail are 40 s); only the metric and policy differ.
COMMON = dict(cpus=CPUS, memory="128M", min_replicas=MIN_R, max_replicas=MAX_R,
              scale_up_for="0s", scale_down_for="15s", scale_up_cooldown="5s",
              scale_down_cooldown="15s", start_timeout="30s", drain="1s", stop_timeout="5s")
# Requests in flight per replica: 75 % of its slots. The target policy holds while the
# value is within 10 % of the target, so a replica may run at 3.3 before a step.
CONC = float(os.environ.get("BENCH_IO_CONC", "3"))
CONFIGS = [
    (f"fixed {FIXED_N} replicas", dict(COMMON, metric="none", min_replicas=FIXED_N,
                                       max_replicas=FIXED_N)),
    ("docker_cpu, target 60 %", dict(COMMON, metric="docker_cpu", policy="target",
                                     target=60)),
    (f"concurrency, target {CONC:g}", dict(COMMON, metric="concurrency", policy="target",
                                         concurrency_target=CONC)),
    (f"latency p99, threshold {SLO_MS:.0f} ms", dict(
        COMMON, metric="latency", policy="threshold", latency_target=f"{SLO_MS:.0f}ms",
        latency_percentile=99)),
    (f"concurrency {CONC:g} + latency p99 {SLO_MS:.0f} ms, target", dict(
        COMMON, metric="concurrency, latency", policy="target", concurrency_target=CONC,
        latency_target=f"{SLO_MS:.0f}ms", latency_percentile=99)),
]
# Not in the default run: one replica fewer than N, to see that N is the smallest.
EXTRA = [(f"fixed {FIXED_N - 1} replicas", dict(COMMON, metric="none",
                                               min_replicas=FIXED_N - 1,
                                               max_replicas=FIXED_N - 1))]
if os.environ.get("BENCH_IO_ONLY"):  # e.g. "0,2": some configurations (the first is the base)
    CONFIGS = [(CONFIGS + EXTRA)[int(i)] for i in os.environ["BENCH_IO_ONLY"].split(",")]


class Figures(threading.Thread):
    """The service's status once a second: the highest docker_cpu the daemon read and
    its traffic figures (how many reads had them)."""

    def __init__(self, d, svc):
        super().__init__(daemon=True)
        self.d, self.svc, self.stop_ev = d, svc, threading.Event()
        self.cpu_max, self.reads, self.have = None, 0, 0

    def run(self):
        while not self.stop_ev.is_set():
            try:
                s = status(self.d, self.svc)
                cpu = (s.get("metrics") or {}).get("docker_cpu")
                if cpu is not None:
                    self.cpu_max = max(cpu, self.cpu_max or 0.0)
                self.reads += 1
                self.have += bool((s.get("traffic") or {}).get("have"))
            except Exception:  # noqa: BLE001 - a missed read only
                pass
            self.stop_ev.wait(1.0)


def phase_of(t):
    t0 = 0.0
    for name, dur, _, _ in PHASES:
        if t < t0 + dur:
            return name
        t0 += dur
    return PHASES[-1][0]


def where(over_at):
    """'ramp 2, spike 5': seconds over the SLO per phase, in the profile's order."""
    counts = {}
    for k in over_at:
        name = phase_of(k + 0.5)
        counts[name] = counts.get(name, 0) + 1
    order = []
    for name, _, _, _ in PHASES:
        if name in counts and name not in order:
            order.append(name)
    return ", ".join(f"{n} {counts[n]}" for n in order) or "-"


def raise_qlen():
    """nginx drops a line the socket's queue cannot take: 10 in a container, 512 where
    systemd sets it (doc/balancers.md, "nginx access log"). Read at the socket's bind."""
    with open(QLEN) as f:
        if int(f.read()) < 512:
            with open(QLEN, "w") as w:
                w.write("512\n")


def run_config(tmp, label, opts):
    svc = service_name("io")
    ngx = Nginx(tmp, f"up_{svc}", access_log=os.path.join(tmp, f"{svc[-6:]}.sock"))
    d = rs = fig = None
    try:
        d = BenchDaemon(tmp, conf(svc, ngx, **opts), name=f"d-{svc}", interval="1s").start()
        wait_ready(d, svc, opts["min_replicas"], timeout=90)
        wait_for(lambda: ngx.upstream().count("server 127.0.0.1:") == opts["min_replicas"],
                 timeout=30, what="upstream lists the replicas")
        time.sleep(2)  # nginx's reload lands
        times = schedule(PHASES, CAPACITY)
        res = [None] * len(times)
        rs = Replicas(svc)
        fig = Figures(d, svc)
        rs.start()
        fig.start()
        print(f"{label}: {len(times)} requests over {sum(p[1] for p in PHASES)} s, "
              f"capacity {CAPACITY:.0f}/s per replica", flush=True)
        asyncio.run(generate("127.0.0.1", ngx.port, f"/wait?ms={WAIT_MS}", times, res))
        rs.stop_ev.set()
        fig.stop_ev.set()
        rs.join(timeout=5)
        fig.join(timeout=5)
        out = summarize(res, rs, SLO_MS)
        out["where"] = where(out.pop("over_slo_at"))
        steps = [(int(a), int(b)) for a, b in STEP.findall(d.log()) if int(a) > 0]
        out["steps"] = " ".join(f"{a}->{b}" for a, b in steps)
        out["ups"] = sum(1 for a, b in steps if b > a)
        out["downs"] = sum(1 for a, b in steps if b < a)
        out["cpu_max"] = fig.cpu_max
        out["traffic_reads"] = f"{fig.have}/{fig.reads}"
        m = d.get("/metrics")[1]
        out["log_lines"] = {k: v for k, v in (
            (r, _metric(m, f'dockscale_access_log_lines_total{{result="{r}"}}'))
            for r in ("valid", "malformed"))}
        print(f"{label}: {json.dumps(out)}", flush=True)
        return out
    finally:
        for t in (rs, fig):
            if t is not None:
                t.stop_ev.set()
        if d is not None:
            d.stop()
            keep_log(d, label)
        ngx.stop()
        dk.cleanup(svc)


def keep_log(d, label):
    """The daemon's log as build/bench-logs/iobound-LABEL.log (the run's tmp goes away)."""
    out = os.path.join(ROOT, "build", "bench-logs")
    os.makedirs(out, exist_ok=True)
    shutil.copyfile(d.logpath, os.path.join(out, "iobound-" + re.sub(r"[^a-z0-9]+", "-",
                                                                      label.lower()) + ".log"))


def _metric(text, name):
    for line in text.splitlines():
        if line.startswith(name + " "):
            return int(float(line.split()[-1]))
    return None


def table(results):
    head = ["configuration", "avg latency", "p99 latency", f"time over SLO ({SLO_MS:.0f} ms "
            "p99)", "where", "replica-seconds", "peak replicas", "scale steps up/down",
            "non-2xx", "failed connections", "max docker_cpu read"]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * 3 + "---|" + "---:|" * 6]
    for label, r in results:
        cpu = "-" if r["cpu_max"] is None else f"{r['cpu_max']:.1f} %"
        lines.append(f"| {label} | {r['avg_ms']:.0f} ms | {r['p99_ms']:.0f} ms | "
                     f"{r['over_slo_s']} s | {r['where']} | {r['replica_s']:.0f} | "
                     f"{r['peak']} | {r['ups']}/{r['downs']} | {r['non2xx']} | "
                     f"{r['failed']} | {cpu} |")
    return "\n".join(lines)


def main():
    on_sigterm()
    raise_qlen()
    remove_bench_containers("bench-io-")
    results = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-io-") as tmp:
        for label, opts in CONFIGS:
            results.append((label, run_config(tmp, label, opts)))
    took = time.monotonic() - started
    profile = ", ".join(f"{n} {s} s {a:g}->{b:g} C" for n, s, a, b in PHASES)
    md = (f"I/O-bound table ({'SHORT smoke run, ' if SHORT else ''}{os.cpu_count()} CPUs, "
          f"{took / 60:.1f} min; GET /wait?ms={WAIT_MS} through nginx with the access log "
          f"on, {SLOTS} slots per replica, C = {CAPACITY:.0f} req/s per replica, replicas "
          f"{MIN_R}-{MAX_R} when autoscaled; profile: {profile}; open loop, one connection "
          f"per request; SLO p99 <= {SLO_MS:.0f} ms per second):\n\n" + table(results)
          + "\n")
    print("\n" + md)
    os.makedirs(os.path.join(ROOT, "build"), exist_ok=True)
    with open(os.path.join(ROOT, "build", "iobound.md"), "w") as f:
        f.write(md)
    base_label, base = results[0]
    for label, r in results[1:]:
        emit(f"I/O-bound /wait, {label}: time over SLO / p99 / replica-seconds",
             f"{r['over_slo_s']} s / {r['p99_ms']:.0f} ms / {r['replica_s']:.0f}",
             f"{base_label}: {base['over_slo_s']} s / {base['p99_ms']:.0f} ms / "
             f"{base['replica_s']:.0f}",
             f"{r['replica_s'] / base['replica_s']:.2f}x replica-seconds"
             if base["replica_s"] else "n/a",
             command(SCRIPT), note="build/iobound.md has every column" if not SHORT
             else "SHORT smoke run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
