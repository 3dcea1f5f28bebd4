"""kill -9 in the middle of a scale-down, then a restart (doc/replicas.md, "Restart safety").

The scale-down's victim is renamed `<service>-<n>.retiring-<id>` when its drain starts;
a restarted daemon finishes such a container as a removal: it never counts toward the
desired count, never counts as a failed start, and is never replaced.
"""
import json
import os
import signal
import threading
import time
import urllib.parse

import dockerapi as dk
from conftest import wait_for
from test_replicas import service_conf, status, wait_ready

WINDOW = 15.0  # seconds after the restart during which nothing may go wrong
WINDOW_PASSES = 5  # and reconcile passes, however long they take


def scale(d, name, n):
    code, body, _ = d.post(f"/api/v1/services/{name}/scale", body={"replicas": n})
    assert code == 200, body


def kill_events(cid, since):
    """The "kill" events Docker emitted for cid since `since` (unix seconds)."""
    q = urllib.parse.urlencode({"since": str(since), "until": f"{time.time():.3f}",
                                "filters": json.dumps({"container": [cid],
                                                       "event": ["kill"]})})
    code, body = dk.call("GET", "/events?" + q, timeout=10)
    assert code == 200, body
    if isinstance(body, dict):
        return [body]
    if isinstance(body, str):  # several JSON lines
        return [json.loads(line) for line in body.splitlines() if line.strip()]
    return body or []


def restart(daemon_factory, d, conf):
    d.proc.kill()  # kill -9: no cleanup of any kind
    d.proc.wait()
    d2 = daemon_factory(conf)
    d2.lock = d.lock
    d2.write_config(conf)
    return d2.start()


def hold_window(d2, name, allowed_ids, desired):
    """Poll for WINDOW seconds and at least WINDOW_PASSES passes: fail the moment a
    container outside allowed_ids exists, a start is counted as failed, or desired moves."""
    def holds():
        ids = {c["Id"] for c in dk.containers(name)}
        assert ids <= allowed_ids, f"new replica created after the restart: {ids - allowed_ids}"
        s = status(d2, name)
        assert s["failed_starts_total"] == 0, s
        assert s["start_failures"] == 0, s
        assert s["desired"] == desired, s
        return True
    d2.wait_passes(WINDOW_PASSES, hold=holds, seconds=WINDOW)


def freeze_init(cid):
    """SIGSTOP the replica's PID 1 (docker-init): the SIGTERM of Docker's stop stays
    pending, so the stop phase lasts the whole stop_timeout, while the app (its child)
    keeps answering health checks."""
    pid = dk.inspect(cid)["State"]["Pid"]
    assert pid > 1
    os.kill(pid, signal.SIGSTOP)


def three_replicas(d, name):
    """Scale to 3 and wait for them; the victim of a scale to 2 is <name>-3 (newest)."""
    scale(d, name, 3)
    s = wait_ready(d, name, 3)
    by_name = {r["name"]: r["id"] for r in s["replicas"]}
    return s, by_name[f"{name}-3"], {by_name[f"{name}-1"], by_name[f"{name}-2"]}


def test_kill9_during_stop_phase_does_not_reverse_scale_down(daemon_factory, svc):
    conf = service_conf(svc, min_replicas=1, max_replicas=4, drain="0s", stop_timeout="8s")
    d = daemon_factory(conf).start()
    _, victim, survivors = three_replicas(d, svc)
    freeze_init(victim)
    t0 = int(time.time()) - 1
    scale(d, svc, 2)
    wait_for(lambda: kill_events(victim, t0), timeout=20, interval=0.1,
             what="Docker's stop of the victim (a kill event)")
    assert dk.inspect(victim)["State"]["Running"] is True  # still in its stop phase
    d2 = restart(daemon_factory, d, conf)
    hold_window(d2, svc, survivors | {victim}, 2)
    wait_for(lambda: {c["Id"] for c in dk.containers(svc)} == survivors, timeout=30,
             what="the victim removed, the survivors kept")
    s = wait_ready(d2, svc, 2)
    assert s["failed_starts_total"] == 0 and s["desired"] == 2
    assert "failed to start" not in d2.log()
    assert "was on its way out before a restart" in d2.log()


def test_kill9_during_drain_does_not_reverse_scale_down(daemon_factory, svc):
    conf = service_conf(svc, min_replicas=1, max_replicas=4, drain="6s", stop_timeout="2s")
    d = daemon_factory(conf).start()
    s, victim, survivors = three_replicas(d, svc)
    scale(d, svc, 2)
    addr = next(r["address"] for r in s["replicas"] if r["id"] == victim)
    upstream = f"/tmp/dockscale-test-{svc}.conf"
    d.wait_log(f"draining replica {svc}-3", timeout=20)
    wait_for(lambda: addr not in open(upstream).read(), timeout=10, interval=0.05,
             what="the victim out of the upstream (its drain wait running)")
    # The mark goes on as the drain starts; give Docker a moment to show it, without
    # requiring it (a daemon without the mark must fail below, on the restart itself).
    try:
        wait_for(lambda: any(".retiring" in n for c in dk.containers(svc)
                             if c["Id"] == victim for n in c["Names"]),
                 timeout=2, interval=0.05, what="the victim renamed as retiring")
    except AssertionError:
        pass
    assert dk.inspect(victim)["State"]["Running"] is True  # still draining
    d2 = restart(daemon_factory, d, conf)
    hold_window(d2, svc, survivors | {victim}, 2)
    wait_for(lambda: {c["Id"] for c in dk.containers(svc)} == survivors, timeout=30,
             what="the victim removed, the survivors kept")
    wait_ready(d2, svc, 2)


def test_index_of_a_retiring_replica_is_free_again(daemon_factory, svc):
    # A long stop phase keeps <svc>-2.retiring-* around; a scale back up meanwhile uses
    # the name <svc>-2 again (the lowest free one) and never exceeds max_replicas.
    conf = service_conf(svc, min_replicas=1, max_replicas=3, drain="0s", stop_timeout="8s")
    d = daemon_factory(conf).start()
    scale(d, svc, 2)
    s = wait_ready(d, svc, 2)
    victim = {r["name"]: r["id"] for r in s["replicas"]}[f"{svc}-2"]
    freeze_init(victim)
    t0 = int(time.time()) - 1
    scale(d, svc, 1)
    wait_for(lambda: kill_events(victim, t0), timeout=20, interval=0.1,
             what="Docker's stop of the victim")
    scale(d, svc, 2)
    seen_max = [0]
    done = threading.Event()

    def watch():
        while not done.is_set():
            seen_max[0] = max(seen_max[0], len(dk.containers(svc)))
            time.sleep(0.05)
    t = threading.Thread(target=watch, daemon=True)
    t.start()
    try:
        wait_for(lambda: f"{svc}-2" in dk.names(dk.running(svc)) and
                 victim not in [c["Id"] for c in dk.running(svc) if
                                c["Names"][0].lstrip("/") == f"{svc}-2"],
                 timeout=30, interval=0.1, what=f"a new {svc}-2")
    finally:
        done.set()
        t.join()
    assert seen_max[0] <= 3
    wait_for(lambda: victim not in [c["Id"] for c in dk.containers(svc)], timeout=30,
             what="the victim removed")
    wait_ready(d, svc, 2)
