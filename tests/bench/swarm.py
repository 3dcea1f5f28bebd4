#!/usr/bin/python3
"""Swarm services (doc/swarm.md), on a private one-manager
Swarm (tests/integration/swarmlab.py: a dockerd of its own in a network namespace).

1. Alert -> Swarm tasks running: an Alertmanager-style webhook to dockscaled (runtime =
   swarm) until the service's new task runs (Status.State running, which for the demo
   image's health check means healthy), vs `docker service scale --detach S=N+1` of a
   second, identical service until its new task runs; the same rounds, interleaved, in
   the same run. Median of ROUNDS each; ratio = dockscale / baseline.
2. Version conflicts: someone else updates the service spec in a tight loop (a new label
   per update, swarmlab.SpecChurn) while dockscaled scales it ROUNDS_CONFLICT times: the
   labels accepted by the Engine that are missing from the final spec are lost updates
   (goal 0); dockscaled's retries come from its status API. Baseline: the same scale
   steps with `docker service scale` under the same churn: how many of its calls fail.
"""
import os
import subprocess
import sys
import tempfile
import time

from common import BenchDaemon, command, emit, fmt_ratio, median, on_sigterm, ratio
from conftest import wait_for

import swarmlab  # noqa: E402 (tests/integration, via common)

SCRIPT = "swarm.py"
ROUNDS = int(os.environ.get("BENCH_SWARM_ROUNDS", "10"))
ROUNDS_CONFLICT = int(os.environ.get("BENCH_SWARM_CONFLICT_ROUNDS", "20"))


def tasks_filter(name):
    return f"/tasks?filters=%7B%22service%22%3A%5B%22{name}%22%5D%7D"


def running(n, name):
    st, tasks = n.api("GET", tasks_filter(name))
    assert st == 200, tasks
    return sum(1 for t in tasks if t["DesiredState"] == "running" and
               t["Status"]["State"] == "running")


def replicas(n, name):
    st, sv = n.api("GET", f"/services/{name}")
    assert st == 200, sv
    return sv["Spec"]["Mode"]["Replicated"]["Replicas"]


def wait_running(n, name, count, timeout=60):
    wait_for(lambda: replicas(n, name) == count and running(n, name) == count,
             timeout=timeout, interval=0.01, what=f"{name}: {count} running")


def alert(fp):
    return {"version": "4", "status": "firing", "receiver": "dockscale", "alerts": [
        {"status": "firing", "labels": {"alertname": "WebUp", "dockscale_service": "web"},
         "annotations": {}, "startsAt": "2026-11-30T21:00:00Z",
         "endsAt": "0001-01-01T00:00:00Z", "fingerprint": fp}]}


def main():
    on_sigterm()
    tmp = tempfile.mkdtemp(prefix="bench-swarm-")
    lab = swarmlab.Lab(1, tmp)
    d = None
    try:
        lab.start().swarm()
        n = lab.nodes[0]
        for name in ("web", "base"):
            n.docker("service", "create", "--detach", "--name", name, "--replicas", "1",
                     "--endpoint-mode", "dnsrr", swarmlab.IMAGE)
        d = BenchDaemon(tmp, f"[docker]\nsocket = {n.sock}\n[service web]\nruntime = swarm\n"
                        "metric = none\nmin_replicas = 1\nmax_replicas = 3\n"
                        "scale_up_alerts = WebUp\nscale_up_cooldown = 0s\n"
                        "scale_down_cooldown = 0s\n").start()
        wait_for(lambda: "is the Swarm leader" in d.log(), timeout=20, what="leadership")
        wait_running(n, "web", 1)
        wait_running(n, "base", 1)
        ours, base = [], []
        for k in range(ROUNDS):
            # dockscaled: the webhook, then the new task running.
            wait_for(lambda: d.get("/api/v1/services/web")[1]["ready"] == 1, timeout=20,
                     what="dockscaled sees 1 ready")
            t0 = time.monotonic()
            st, body, _ = d.post("/api/v1/alerts", alert(f"bench{k:04x}"))
            assert st == 200 and body["stepped"] == 1, body
            wait_running(n, "web", 2)
            ours.append(time.monotonic() - t0)
            # baseline: the CLI, then the new task running.
            t0 = time.monotonic()
            n.docker("service", "scale", "--detach", "base=2")
            wait_running(n, "base", 2)
            base.append(time.monotonic() - t0)
            st, body, _ = d.post("/api/v1/services/web/scale", {"replicas": 1})
            assert st == 200, body
            n.docker("service", "scale", "--detach", "base=1")
            wait_running(n, "web", 1)
            wait_running(n, "base", 1)
        mo, mb = median(ours), median(base)
        emit("swarm: alert -> new task running (median of %d)" % ROUNDS,
             f"{mo * 1000:.0f} ms", f"{mb * 1000:.0f} ms (docker service scale)",
             fmt_ratio(ratio(mo, mb)), command(SCRIPT),
             "one private manager; running = healthy for the demo image's health check")

        # Version conflicts under someone else's update loop.
        churn = swarmlab.SpecChurn(n, "web")
        churn.start()
        want = 1
        try:
            wait_for(lambda: len(churn.done) >= 3, timeout=20, what="the churn running")
            for k in range(ROUNDS_CONFLICT):
                want = 2 + k % 2
                st, body, _ = d.post("/api/v1/services/web/scale", {"replicas": want})
                assert st == 200, body
                wait_for(lambda: replicas(n, "web") == want, timeout=30, interval=0.01,
                         what=f"web spec {want}")
        finally:
            churn.stop()
        st, sv = n.api("GET", "/services/web")
        labels = sv["Spec"].get("Labels") or {}
        lost = [x for x in churn.done if x not in labels]
        theirs = len(churn.done)
        sw = d.get("/api/v1/services/web")[1]["swarm"]
        # The CLI under the same churn, on the baseline service.
        churn = swarmlab.SpecChurn(n, "base")
        churn.start()
        cli_failed = 0
        try:
            wait_for(lambda: len(churn.done) >= 3, timeout=20, what="the churn running")
            for k in range(ROUNDS_CONFLICT):
                r = n.docker("service", "scale", "--detach", f"base={2 + k % 2}",
                             check=False)
                cli_failed += r.returncode != 0
        finally:
            churn.stop()
        st, sv = n.api("GET", "/services/base")
        base_lost = [x for x in churn.done if x not in (sv["Spec"].get("Labels") or {})]
        emit("swarm: concurrent spec updates lost while scaling",
             f"{len(lost)} lost of {theirs} ({sw['conflicts_retried']} conflicts "
             f"retried, {ROUNDS_CONFLICT} scales all landed)",
             f"{len(base_lost)} lost; {cli_failed} of {ROUNDS_CONFLICT} "
             "`docker service scale` calls failed", "n/a", command(SCRIPT),
             "someone else's label update in a tight loop (SpecChurn)")
        return 0 if not lost else 1
    finally:
        if d is not None:
            d.stop()
        lab.close()


if __name__ == "__main__":
    sys.exit(main())
