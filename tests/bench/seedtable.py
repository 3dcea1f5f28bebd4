#!/usr/bin/python3
"""The seed's table, reproduced (doc/benchmarks.md, "The seed's table"): one load profile
through
a real nginx, the same for every configuration, each run in this session:

    fixed 2 replicas | threshold 75 % 2-4 | target 2-4 | predictive 2-4 | predictive 3-5

Load: an open-loop generator of its own (requests are sent at their scheduled times
whatever the answers do, each on a new connection, and latency runs from the scheduled
time, so a stalled service cannot hide its queue: no coordinated omission), GET
/work?ms=W through nginx. Profile (rates in multiples of one replica's capacity C =
cpus / W): warm-up 0.8 C, a ramp to 3.2 C, a plateau, a spike to 4.4 C, the plateau again,
a fall to 0.8 C. Per-replica `cpus` keeps the largest configuration (5 replicas) inside
the host with room for nginx and the generator.

Reported per configuration: average and p99 latency, max sustained QPS (the best 10 s
window of 2xx answers per second), non-2xx (and failed connections), replica-seconds
(the time integral of the service's running replicas: its cost) and seconds over the
latency SLO (1 s buckets whose p99 is above SLO_MS, or that had a failed request).

BENCH_SEED_SHORT=1: every phase a quarter as long (a smoke run of the harness, about
6 minutes; its figures mean little). The table goes to stdout and build/seedtable.md;
summary rows go to run.py's table. Figures need a quiet machine: other load on the host
changes every column.
"""
import asyncio
import json
import math
import os
import re
import sys
import tempfile
import threading
import time

from common import (ROOT, BenchDaemon, command, dk, emit, on_sigterm, remove_bench_containers,
                    service_name, wait_for)
from peers import Nginx
from test_nginx import conf
from test_replicas import wait_ready

SCRIPT = "seedtable.py"
SHORT = os.environ.get("BENCH_SEED_SHORT") == "1"
CPUS = float(os.environ.get("BENCH_SEED_CPUS", "0.25"))  # 5 x 0.25 = 1.25 of 2 cores
WORK_MS = int(os.environ.get("BENCH_SEED_WORK_MS", "10"))
SLO_MS = float(os.environ.get("BENCH_SEED_SLO_MS", "250"))
CAPACITY = CPUS * 1000.0 / WORK_MS  # requests/s one replica serves at 100 % of its cpus
TIMEOUT_S = 10.0
# A decision's log line (scale.c): "svc: scale up 1 -> 2 (docker_cpu; ...): reason", the
# reason itself ending in "scale up 1->2": count the line, not the words.
STEP = re.compile(r": scale (?:up|down) (\d+) -> (\d+) \(")

# (name, seconds, rate at start, rate at end), rates in multiples of CAPACITY
PHASES = [("warm-up", 40, 0.8, 0.8), ("ramp", 60, 0.8, 3.2), ("plateau", 60, 3.2, 3.2),
          ("spike", 15, 4.4, 4.4), ("plateau", 30, 3.2, 3.2), ("fall", 20, 3.2, 0.8),
          ("tail", 30, 0.8, 0.8)]
if SHORT:
    PHASES = [(n, max(5, s // 4), a, b) for n, s, a, b in PHASES]

# Windows and cooldowns common to every autoscaled configuration: only the policy differs.
COMMON = dict(metric="docker_cpu", cpus=CPUS, memory="128M", scale_up_for="0s",
              scale_down_for="30s", scale_up_cooldown="10s", scale_down_cooldown="30s",
              start_timeout="30s", drain="1s", stop_timeout="5s")
CONFIGS = [
    ("fixed 2 replicas", dict(metric="none", cpus=CPUS, memory="128M", min_replicas=2,
                              max_replicas=2)),
    ("threshold 75 % 2-4", dict(COMMON, policy="threshold", scale_up_threshold=75,
                                scale_down_threshold=40, min_replicas=2, max_replicas=4)),
    ("target 2-4", dict(COMMON, policy="target", target=60, min_replicas=2, max_replicas=4)),
    ("predictive 2-4", dict(COMMON, policy="predictive", target=60, min_replicas=2,
                            max_replicas=4)),
    ("predictive 3-5", dict(COMMON, policy="predictive", target=60, min_replicas=3,
                            max_replicas=5)),
]


def schedule(phases=PHASES, capacity=CAPACITY):
    """Send times (s from the start) of every request of the profile: phases of (name,
    seconds, rate at start, rate at end) in multiples of capacity (requests/s)."""
    out, t0 = [], 0.0
    for _, dur, a, b in phases:
        t = 0.0
        while t < dur:
            rate = (a + (b - a) * t / dur) * capacity
            out.append(t0 + t)
            t += 1.0 / rate
        t0 += dur
    return out


async def one(host, port, path, due, start, res, i):
    now = time.monotonic()
    if due > now:
        await asyncio.sleep(due - now)
    ok = False
    code = 0
    try:
        r, w = await asyncio.wait_for(asyncio.open_connection(host, port), TIMEOUT_S)
        w.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n".encode())
        head = await asyncio.wait_for(r.readline(), TIMEOUT_S)
        parts = head.split()
        code = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        await asyncio.wait_for(r.read(), TIMEOUT_S)
        w.close()
        ok = True
    except (OSError, asyncio.TimeoutError, ValueError):
        pass
    # Latency from the scheduled time, not the send: queueing in the generator counts.
    res[i] = (due - start, time.monotonic() - due, code if ok else -1)


async def generate(url_host, url_port, path, times, res):
    start = time.monotonic() + 0.5
    tasks = [asyncio.ensure_future(one(url_host, url_port, path, start + t, start, res, i))
             for i, t in enumerate(times)]
    await asyncio.gather(*tasks)


class Replicas(threading.Thread):
    """Counts the service's running containers every 0.5 s: replica-seconds."""

    def __init__(self, svc):
        super().__init__(daemon=True)
        self.svc, self.stop_ev, self.samples = svc, threading.Event(), []

    def run(self):
        while not self.stop_ev.is_set():
            try:
                self.samples.append((time.monotonic(), len(dk.running(self.svc))))
            except Exception:  # noqa: BLE001 - a missed sample only
                pass
            self.stop_ev.wait(0.5)

    def replica_seconds(self):
        s = self.samples
        return sum((s[i + 1][0] - s[i][0]) * s[i][1] for i in range(len(s) - 1))

    def peak(self):
        return max((n for _, n in self.samples), default=0)


def pct(xs, p):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, math.ceil(p / 100.0 * len(xs)) - 1))]


def summarize(res, rs, slo_ms=SLO_MS):
    lat = [l * 1000 for _, l, c in res if c != -1]
    ok = [(t, l * 1000) for t, l, c in res if 200 <= c < 300]
    non2xx = sum(1 for _, _, c in res if c != -1 and not 200 <= c < 300)
    codes = {}
    for _, _, c in res:
        codes[str(c)] = codes.get(str(c), 0) + 1  # -1: no answer within TIMEOUT_S
    failed = sum(1 for _, _, c in res if c == -1)
    end = max((t for t, _, _ in res), default=0)
    per_s = [0] * (int(end) + 2)
    buckets = [[] for _ in per_s]
    bad = [False] * len(per_s)
    for t, l, c in res:
        k = int(t)
        if 200 <= c < 300:
            per_s[k] += 1
        if c == -1:
            bad[k] = True
        else:
            buckets[k].append(l * 1000)
    best = max((sum(per_s[i:i + 10]) / 10.0 for i in range(max(1, len(per_s) - 9))),
               default=0)
    over_s = [k for k in range(len(per_s))
              if bad[k] or (buckets[k] and pct(buckets[k], 99) > slo_ms)]
    return {"requests": len(res), "avg_ms": sum(lat) / len(lat) if lat else float("nan"),
            "p99_ms": pct(lat, 99), "max_qps": best, "non2xx": non2xx, "failed": failed,
            "replica_s": rs.replica_seconds(), "peak": rs.peak(), "over_slo_s": len(over_s),
            "over_slo_at": over_s, "ok": len(ok), "codes": codes}


def run_config(tmp, label, opts):
    svc = service_name("seed")
    ngx = Nginx(tmp, f"up_{svc}")
    d = rs = None
    try:
        d = BenchDaemon(tmp, conf(svc, ngx, **opts), name=f"d-{svc}", interval="2s").start()
        wait_ready(d, svc, opts["min_replicas"], timeout=90)
        wait_for(lambda: ngx.upstream().count("server 127.0.0.1:") == opts["min_replicas"],
                 timeout=30, what="upstream lists the replicas")
        time.sleep(2)  # nginx's reload lands, the first CPU rate exists
        times = schedule()
        res = [None] * len(times)
        rs = Replicas(svc)
        rs.start()
        print(f"{label}: {len(times)} requests over {sum(p[1] for p in PHASES)} s, "
              f"capacity {CAPACITY:.0f}/s per replica", flush=True)
        asyncio.run(generate("127.0.0.1", ngx.port, f"/work?ms={WORK_MS}", times, res))
        rs.stop_ev.set()
        rs.join(timeout=5)
        out = summarize(res, rs)
        out.pop("over_slo_at")
        out["scale_events"] = sum(1 for a, _ in STEP.findall(d.log()) if int(a) > 0)
        print(f"{label}: {json.dumps(out)}", flush=True)
        return out
    finally:
        if rs is not None:
            rs.stop_ev.set()
        if d is not None:
            d.stop()
        ngx.stop()
        dk.cleanup(svc)


def table(results, slo_ms=SLO_MS):
    head = ["configuration", "avg latency", "p99 latency", "max sustained QPS", "non-2xx",
            "failed connections", "replica-seconds", "peak replicas",
            f"time over SLO ({slo_ms:.0f} ms p99)"]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for label, r in results:
        lines.append(f"| {label} | {r['avg_ms']:.0f} ms | {r['p99_ms']:.0f} ms | "
                     f"{r['max_qps']:.0f} | {r['non2xx']} | {r['failed']} | "
                     f"{r['replica_s']:.0f} | {r['peak']} | {r['over_slo_s']} s |")
    return "\n".join(lines)


def main():
    on_sigterm()
    remove_bench_containers("bench-seed-")
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-seed-") as tmp:
        for label, opts in CONFIGS:
            results.append((label, run_config(tmp, label, opts)))
    profile = ", ".join(f"{n} {s} s {a:g}->{b:g} C" for n, s, a, b in PHASES)
    md = (f"Seed table ({'SHORT smoke run, ' if SHORT else ''}{os.cpu_count()} CPUs; "
          f"cpus {CPUS} per replica, GET /work?ms={WORK_MS} through nginx, C = "
          f"{CAPACITY:.0f} req/s per replica; profile: {profile}; open loop, one connection "
          f"per request):\n\n" + table(results) + "\n")
    print("\n" + md)
    os.makedirs(os.path.join(ROOT, "build"), exist_ok=True)
    with open(os.path.join(ROOT, "build", "seedtable.md"), "w") as f:
        f.write(md)
    base = dict(results)["threshold 75 % 2-4"]
    for label, r in results:
        if label == "threshold 75 % 2-4":
            continue
        emit(f"seed table, {label}: p99 / time over SLO / replica-seconds",
             f"{r['p99_ms']:.0f} ms / {r['over_slo_s']} s / {r['replica_s']:.0f}",
             f"threshold 2-4: {base['p99_ms']:.0f} ms / {base['over_slo_s']} s / "
             f"{base['replica_s']:.0f}",
             f"{r['p99_ms'] / base['p99_ms']:.2f}x p99" if base["p99_ms"] else "n/a",
             command(SCRIPT), note="build/seedtable.md has every column" if SHORT is False
             else "SHORT smoke run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
