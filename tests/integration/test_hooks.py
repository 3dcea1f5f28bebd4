"""Lifecycle hooks on a real Docker Engine: post_start gates the join, pre_stop runs
between the drain's start and the stop (doc/replicas.md, "Lifecycle hooks")."""
import datetime
import json
import os
import re
import signal
import subprocess
import time
import urllib.parse

import pytest

import dockerapi as dk
from conftest import http, wait_for
from test_replicas import service_conf, status

def members(name):
    """The server lines of the service's upstream file: what nginx would route to."""
    try:
        with open(f"/tmp/dockscale-test-{name}.conf") as f:
            # an empty upstream holds one placeholder marked down
            return re.findall(r"^\s*server\s+(\d+\.\d+\.\d+\.\d+:\d+)\s*;", f.read(),
                              re.M)
    except FileNotFoundError:
        return []


def hooks_total(d, name, hook, result):
    text = d.get("/metrics")[1]
    m = re.search(rf'^dockscale_hooks_total{{service="{name}",hook="{hook}",'
                  rf'result="{result}"}} (\d+)$', text, re.M)
    assert m, f"no dockscale_hooks_total for {hook}/{result}"
    return int(m.group(1))


def events(d, name):
    return d.get(f"/api/v1/events?service={name}&type=replica&limit=1000")[1]["events"]


def event_time(d, name, text):
    """When the daemon recorded its first event containing text, in unix seconds."""
    for e in events(d, name):
        if text in e["message"]:
            return datetime.datetime.strptime(e["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
                tzinfo=datetime.timezone.utc).timestamp()
    return None


def docker_events(cid, since):
    """The engine's own events of container cid since `since` (unix seconds) until now."""
    q = urllib.parse.urlencode({"since": f"{since:.0f}", "until": f"{time.time():.3f}",
                                "filters": json.dumps({"container": [cid]})})
    code, body = dk.call("GET", "/events?" + q, timeout=30)
    assert code == 200, body
    text = body if isinstance(body, str) else json.dumps(body)
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def scale(d, name, n):
    code, body, _ = d.post(f"/api/v1/services/{name}/scale", body={"replicas": n})
    assert code == 200, body


def wait_ready(d, name, n, timeout=40):
    def ok():
        s = status(d, name)
        return s["ready"] == n and len(s["replicas"]) == n and s
    return wait_for(ok, timeout=timeout, interval=0.2, what=f"{n} ready replicas of {name}")


def test_failing_post_start_never_joins_and_is_a_failed_start(daemon_factory, svc):
    # --health on a port nothing listens on exits 1 at once.
    d = daemon_factory(service_conf(svc, post_start="/app --health 1")).start()

    def never_joined():
        s = status(d, svc)
        # pytest.fail, not assert: wait_for retries on an Exception
        if s["ready"] != 0 or members(svc) != [] or any(r["state"] == "ready"
                                                         for r in s["replicas"]):
            pytest.fail(f"a replica joined: {members(svc)} {s['replicas']}")
        return s["failed_starts_total"] >= 2

    # Polled over the whole window: two whole failed starts, none of them ever served.
    wait_for(never_joined, timeout=30, interval=0.05, what="two failed starts")
    assert hooks_total(d, svc, "post_start", "failed") >= 2
    assert event_time(d, svc, "post_start failed after") is not None
    assert "failed to start (post_start failed)" in d.log()
    d.wait_passes(2, hold=lambda: members(svc) == [] and status(d, svc)["ready"] == 0,
                  what="no member")


def test_post_start_gates_readiness_then_serves(daemon_factory, svc):
    # A hook of 2 s: readiness (the probe) passes long before it ends.
    d = daemon_factory(service_conf(svc, post_start="/app --sleep 2")).start()
    seen = wait_for(lambda: [r for r in status(d, svc)["replicas"]
                             if r["hook"] == "post_start"], timeout=20,
                    what='a replica with "hook": "post_start"')
    assert seen[0]["state"] == "starting"
    # Until it ends, the replica is not in the upstream, whatever its probe says.
    wait_for(lambda: (members(svc) == [] or hooks_total(d, svc, "post_start", "ok") == 1 or
                      pytest.fail("joined before post_start ended")) and
             hooks_total(d, svc, "post_start", "ok") == 1, timeout=20, interval=0.05,
             what="post_start ok")
    s = wait_ready(d, svc, 1)
    r = s["replicas"][0]
    assert r["hook"] is None and r["ready_after_ms"] >= 2000, r
    code, body, _ = http("GET", f"http://{r['address']}/")
    assert code == 200 and body.strip() == r["id"][:12]
    wait_for(lambda: members(svc) == [r["address"]], timeout=10, what="member")
    assert "post_start succeeded" in d.log()


def test_pre_stop_runs_after_the_drain_starts_and_before_the_stop(daemon_factory, svc,
                                                                   tmp_path):
    mark = tmp_path / "m"
    mark.mkdir()
    os.chmod(mark, 0o777)
    d = daemon_factory(service_conf(svc, volume=f"{mark}:/m", pre_stop="/app --touch "
                                    "/m/pre_stop", drain="1s")).start()
    wait_ready(d, svc, 1)
    t0 = time.time() - 1
    scale(d, svc, 2)
    s = wait_ready(d, svc, 2)
    ids = {r["name"]: r["id"] for r in s["replicas"]}
    scale(d, svc, 1)
    wait_for(lambda: len(dk.containers(svc)) == 1, timeout=30, what="one replica left")
    gone = [n for n, i in ids.items() if i not in [c["Id"] for c in dk.containers(svc)]]
    assert len(gone) == 1
    drained = event_time(d, svc, f"draining replica {gone[0]}")
    marker = int((mark / "pre_stop").read_text()) / 1000.0
    evs = docker_events(ids[gone[0]], t0)
    kills = [e["timeNano"] / 1e9 for e in evs if e.get("Action") == "kill"]
    assert drained is not None and kills, evs
    # The daemon's event time has ms precision: the marker is at or after it.
    assert drained - 0.001 <= marker <= kills[0], (drained, marker, kills)
    # The stop waited for the drain (1 s) too: they ran side by side.
    assert kills[0] - drained >= 0.9, (drained, kills)
    assert hooks_total(d, svc, "pre_stop", "ok") == 1


def test_hanging_pre_stop_stops_at_its_timeout(daemon_factory, svc):
    d = daemon_factory(service_conf(svc, pre_stop="/app --sleep 60",
                                    pre_stop_timeout="3s")).start()
    wait_ready(d, svc, 1)
    t0 = time.time() - 1
    scale(d, svc, 2)
    s = wait_ready(d, svc, 2)
    ids = {r["name"]: r["id"] for r in s["replicas"]}
    scale(d, svc, 1)
    hooked = wait_for(lambda: [r for r in status(d, svc)["replicas"]
                               if r["hook"] == "pre_stop"], timeout=20,
                      what='a replica with "hook": "pre_stop"')
    assert hooked[0]["state"] == "draining"
    victim = hooked[0]["id"]
    wait_for(lambda: victim not in [c["Id"] for c in dk.containers(svc)], timeout=30,
             what="the hung replica removed")
    name = [n for n, i in ids.items() if i == victim][0]
    drained = event_time(d, svc, f"draining replica {name}")
    kills = [e["timeNano"] / 1e9 for e in docker_events(victim, t0)
             if e.get("Action") == "kill"]
    assert drained is not None and kills
    assert abs(kills[0] - drained - 3.0) <= 1.0, (drained, kills)
    assert hooks_total(d, svc, "pre_stop", "timeout") == 1
    assert "pre_stop timed out after" in d.log()


def test_pre_stop_http_posts_to_the_replica(daemon_factory, svc):
    d = daemon_factory(service_conf(svc, pre_stop_http="/")).start()
    wait_ready(d, svc, 1)
    scale(d, svc, 2)
    s = wait_ready(d, svc, 2)
    scale(d, svc, 1)
    wait_for(lambda: hooks_total(d, svc, "pre_stop", "ok") == 1, timeout=30,
             what="pre_stop_http ok")
    wait_for(lambda: len(dk.containers(svc)) == 1, timeout=30, what="one replica left")
    log = d.log()
    assert "running pre_stop_http" in log
    # The app answers POST / with its container id: its answer is in the log.
    gone = [r for r in s["replicas"] if r["id"] not in [c["Id"] for c in dk.containers(svc)]]
    assert f"pre_stop_http| {gone[0]['id'][:12]}" in log


def test_failing_post_start_fails_a_rollout(daemon_factory, svc):
    # The rollout's failure rule applies as for any failed start: its new replica fails
    # post_start, the rollout rolls back and the old replicas serve throughout.
    d = daemon_factory(service_conf(svc, min_replicas=2, rollout_min_healthy="1s")).start()
    wait_ready(d, svc, 2)
    old = sorted(c["Id"] for c in dk.containers(svc))
    # A new definition (env) and a post_start that fails: only new replicas run it.
    d.write_config(service_conf(svc, min_replicas=2, rollout_min_healthy="1s",
                                env="HOOKS=2", post_start="/app --health 1"))
    d.signal(signal.SIGHUP)

    def back():
        s = status(d, svc)
        ready_old = [r for r in s["replicas"] if r["id"] in old and r["state"] == "ready"]
        if len(ready_old) != 2 or any(r["state"] == "ready" and r["id"] not in old
                                      for r in s["replicas"]):
            pytest.fail(f"an old replica left or a new one joined: {s['replicas']}")
        return (s["rollout"]["state"] == "rolled_back" and
                sorted(c["Id"] for c in dk.containers(svc)) == old and s)
    s = wait_for(back, timeout=40, interval=0.1, what="the rollout rolled back")
    assert s["rollout"]["reason"], s["rollout"]
    assert hooks_total(d, svc, "post_start", "failed") >= 1
    assert hooks_total(d, svc, "post_start", "ok") == 0
    assert "failed to start (post_start failed)" in d.log()
