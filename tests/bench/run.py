#!/usr/bin/python3
"""Run every benchmark (SPEC §6) and print one markdown table, also written to
build/bench.md: metric | dockscale | baseline | ratio | command.

Each benchmark measures its own baseline in the same run; ratio = dockscale / baseline.
`make bench` builds build/dockscaled and the demo images first, then runs this.
A benchmark that overruns its time budget is sent SIGTERM (it then cleans up: daemon,
nginx, wrk, containers) and reported as failed; afterwards no container labelled for a
benchmark (io.dockscale.service=bench-*) and no process started under a bench temp dir
may be left.
"""
import datetime
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time

from common import HERE, PY, ROOT, dk, remove_bench_containers

# (script, time budget in seconds): about 10 minutes in all on a 2-core machine, plus
# about 20 for the seed table and 15 for its I/O-bound profile (BENCH_SEED_SHORT=1: about
# 6 and 4), 3 for the cost of reading traffic (BENCH_COST_SHORT=1: 2), and about 8 for the
# scale curves' small grid (1x10, 10x10 and the reaction; the full grid is by hand:
# doc/benchmarks.md, "Scale curves").
BENCHES = [("decide_cpu.py", 90), ("reaction.py", 240), ("reaction_lb.py", 240),
           ("drops.py", 300),
           ("intake.py", 300), ("footprint.py", 420),
           ("rollout.py", 360), ("readiness.py", 420), ("pause_wake.py", 240),
           ("notify_delay.py", 180),
           ("haproxy.py", 420), ("scale.py", 720),
           ("swarm.py", 240), ("traffic_cost.py", 480), ("seedtable.py", 1800),
           ("iobound.py", 1500)]


def run_one(script, budget, rows_path):
    t0 = time.monotonic()
    p = subprocess.Popen([PY, os.path.join(HERE, script)], cwd=ROOT,
                         env=dict(os.environ, BENCH_ROWS=rows_path))
    try:
        rc = p.wait(timeout=budget)
    except subprocess.TimeoutExpired:
        print(f"run.py: {script} overran {budget} s; stopping it", flush=True)
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=90)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        rc = "timeout"
    return rc, time.monotonic() - t0


def strays():
    """Processes still running from a benchmark's temp dir (nginx -p, dockscaled -c)."""
    tmp = tempfile.gettempdir()
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if f"{tmp}/bench-" in cmd:
            out.append((int(pid), cmd.strip()))
    return out


def cell(s):
    return str(s).replace("|", "\\|").replace("\n", " ")


def git_rev():
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                             capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src", "include"],
                               cwd=ROOT, capture_output=True, text=True).stdout.strip()
        return rev + (" + uncommitted changes in src/include" if dirty else "")
    except OSError:
        return "?"


def docker_version():
    try:
        return dk.call("GET", "/version", timeout=5)[1].get("Version", "?")
    except Exception:  # noqa: BLE001 - only for the header
        return "?"


def main():
    only = sys.argv[1:]
    fd, rows_path = tempfile.mkstemp(prefix="bench-rows-", suffix=".jsonl")
    os.close(fd)
    status = {}
    started = time.monotonic()
    remove_bench_containers()
    try:
        for script, budget in BENCHES:
            if only and script not in only and script[:-3] not in only:
                continue
            print(f"\n=== {script} (budget {budget} s)", flush=True)
            rc, took = run_one(script, budget, rows_path)
            status[script] = (rc, took)
            print(f"=== {script}: {'ok' if rc == 0 else f'FAILED ({rc})'} in {took:.0f} s",
                  flush=True)
        with open(rows_path) as f:
            rows = [json.loads(line) for line in f if line.strip()]
    finally:
        os.unlink(rows_path)
        left = remove_bench_containers()
        stray = strays()
        for pid, _ in stray:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    total = time.monotonic() - started

    head = ["metric", "dockscale", "baseline", "ratio", "command"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    notes = []
    for r in rows:
        metric = r["metric"]
        if r.get("note"):
            notes.append(r["note"])
            metric += f" [{len(notes)}]"
        lines.append("| " + " | ".join(cell(x) for x in (
            metric, r["dockscale"], r["baseline"], r["ratio"], f"`{r['command']}`")) + " |")
    failed = {s: v for s, v in status.items() if v[0] != 0}
    md = [f"Benchmarks of dockscaled ({git_rev()}), {datetime.date.today().isoformat()}, "
          f"{os.cpu_count()} CPUs, Linux {platform.release()}, Docker {docker_version()}; "
          f"`make bench` took {total / 60:.1f} min. Every baseline was measured in the "
          "same run; ratio = dockscale / baseline.", ""] + lines
    if notes:
        md += [""] + [f"[{i}] {n}" for i, n in enumerate(notes, 1)]
    for s, (rc, took) in failed.items():
        md += ["", f"**{s} failed** ({rc}) after {took:.0f} s: its rows are missing."]
    if left or stray:
        md += ["", f"**Cleanup:** removed {left} leftover bench container(s), killed "
               f"{len(stray)} stray process(es): {[c for _, c in stray]}"]
    text = "\n".join(md) + "\n"
    print("\n" + text)
    os.makedirs(os.path.join(ROOT, "build"), exist_ok=True)
    with open(os.path.join(ROOT, "build", "bench.md"), "w") as f:
        f.write(text)
    print(f"written to {os.path.join(ROOT, 'build', 'bench.md')}")
    return 1 if failed or left or stray else 0


if __name__ == "__main__":
    sys.exit(main())
