#!/usr/bin/python3
"""`make chaos`: fault injection against the real peers (doc/chaos.md).

Phases: kill -9 at random points of scale cycles (kill9.py), a no-drop soak under wrk
(soak.py), peer faults with recovery times (faults.py), kill -9 mid-scale with
`balancer = haproxy` under keep-alive load (haproxy_kill.py), kill -9 at random points of
a rolling update under load (rollout_kill.py), and the wake listener attacked (wake.py: a
connection flood, slow bodies, unread answers, a silent replica, hang-ups in every state,
wake_timeout), and a service sleeping paused killed around (sleep.py: kill -9 asleep and
mid-wake, its paused container removed by hand). Prints one table, writes it to build/chaos.md, and exits 1 when any
property failed; the temp dir with every daemon, nginx and Prometheus log is kept then,
and its path printed.

Knobs (environment): CHAOS_QUICK=1 (a smoke run: 6 runs, 10 cycles, 5 s faults, 6 haproxy
runs, 4 rollout runs, a smaller wake flood, 3 sleep runs), CHAOS_RUNS (kill -9 runs, 50),
CHAOS_SOAK_CYCLES (1 -> 3 -> 1 cycles, 100), CHAOS_FAULT_SECONDS (how long each fault
lasts, 10), CHAOS_HAPROXY_RUNS (kill -9 runs behind HAProxy, 20), CHAOS_ROLLOUT_RUNS (kill
-9 runs mid-rollout, 16), CHAOS_SLEEP_RUNS (sleep runs, 12), CHAOS_SEED (the random kill
points), CHAOS_PHASES (kill,soak,faults,haproxy,rollout,wake,sleep), CHAOS_FAULTS (a subset of faults by name words).
"""
import datetime
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

from common import QUICK, ROOT, env_int, on_sigterm
from conftest import BINARY
import faults
import haproxy_kill
import kill9
import rollout_kill
import sleep
import soak
import wake


def git_rev():
    try:
        rev = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--", "src"],
                               capture_output=True, text=True).stdout.strip()
        return rev + ("+uncommitted src" if dirty else "")
    except OSError:
        return "?"


def table(rows):
    lines = ["| phase | property | figure | result |", "|---|---|---|---|"]
    for phase, prop, fig, ok in rows:
        res = "info" if ok is None else ("pass" if ok else "**FAIL**")
        lines.append(f"| {phase} | {prop} | {fig} | {res} |")
    return "\n".join(lines)


def main():
    on_sigterm()
    seed = int(os.environ.get("CHAOS_SEED") or random.SystemRandom().randrange(1 << 31))
    rng = random.Random(seed)
    runs = env_int("CHAOS_RUNS", 50, 6)
    cycles = env_int("CHAOS_SOAK_CYCLES", 100, 10)
    fault_s = env_int("CHAOS_FAULT_SECONDS", 10, 5)
    hap_runs = env_int("CHAOS_HAPROXY_RUNS", 20, 6)
    rollout_runs = env_int("CHAOS_ROLLOUT_RUNS", 16, 4)
    sleep_runs = env_int("CHAOS_SLEEP_RUNS", 12, 3)
    phases = os.environ.get("CHAOS_PHASES", "kill,soak,faults,haproxy,rollout,wake,sleep").split(",")
    tmp = tempfile.mkdtemp(prefix="chaos-")
    print(f"chaos: seed {seed}, {runs} kill runs, {cycles} soak cycles, faults of {fault_s} s,"
          f" {hap_runs} haproxy runs, {rollout_runs} rollout kill runs, phases"
          f" {','.join(phases)}; logs in {tmp}", flush=True)
    t0 = time.monotonic()
    rows, logs = [], []
    steps = {"kill": ("kill -9", lambda: kill9.run(tmp, rng, runs)),
             "soak": ("soak", lambda: soak.run(tmp, cycles)),
             "faults": ("faults", lambda: faults.run(tmp, fault_s)),
             "haproxy": ("haproxy", lambda: haproxy_kill.run(tmp, rng, hap_runs)),
             "rollout": ("rollout", lambda: rollout_kill.run(tmp, rng, rollout_runs)),
             "wake": ("wake", lambda: wake.run(tmp)),
             "sleep": ("sleep", lambda: sleep.run(tmp, rng, sleep_runs))}
    for p in phases:
        name, fn = steps[p]
        try:
            r, log = fn()
            rows += r
            logs.append(log)
        except Exception as e:
            traceback.print_exc()
            rows.append((name, "phase ran to its end", f"error: {e}".replace("\n", " ")[:300],
                         False))
    minutes = (time.monotonic() - t0) / 60
    failed = [r for r in rows if r[3] is False]
    head = (f"`make chaos`{' (CHAOS_QUICK=1)' if QUICK else ''} at "
            f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, commit "
            f"{git_rev()}, binary {BINARY}, seed {seed}, {minutes:.1f} min: "
            f"{len(failed)} of {len(rows)} properties failed.")
    text = head + "\n\n" + table(rows) + "\n"
    print("\n" + text, flush=True)
    os.makedirs(os.path.join(ROOT, "build"), exist_ok=True)
    with open(os.path.join(ROOT, "build", "chaos.md"), "w") as f:
        f.write(text)
    if failed:
        print(f"chaos: logs kept in {tmp} ({', '.join(os.path.basename(x) for x in logs)})",
              flush=True)
        return 1
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
