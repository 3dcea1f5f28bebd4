"""Three Swarm managers, one dockscaled on each (doc/swarm.md):
tasks spread over the nodes; only the leader's instance acts (the logs and the API of all
three say so); one alert sent to all three steps once; when the leader's engine stops, the
instance on the new leader takes over. About 40 s: in `make check`, and with
test_swarm.py under `make swarm-test`."""
import time

import pytest

import swarmlab
from conftest import wait_for

# A bound on the take-over time, and swarmlab.py's fixed namespace and bridge names:
# alone (conftest.py, "Side by side").
pytestmark = pytest.mark.alone

SERVICE = "web"
TASKS = "/tasks?filters=%7B%22service%22%3A%5B%22web%22%5D%7D"
INTERVAL_S = 1


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    lab = swarmlab.Lab(3, str(tmp_path_factory.mktemp("swarmlab")))
    try:
        lab.start().swarm(managers=3)
        lab.nodes[0].docker("service", "create", "--detach", "--name", SERVICE, "--replicas",
                            "3", "--endpoint-mode", "dnsrr", swarmlab.IMAGE)
        yield lab
    finally:
        lab.close()


def tasks(n):
    st, t = n.api("GET", TASKS)
    assert st == 200, t
    return [x for x in t if x["DesiredState"] == "running" and
            x["Status"]["State"] == "running"]


def replicas(n):
    st, sv = n.api("GET", f"/services/{SERVICE}")
    assert st == 200, sv
    return sv["Spec"]["Mode"]["Replicated"]["Replicas"]


def alert(fp):
    return {"version": "4", "status": "firing", "receiver": "dockscale", "alerts": [
        {"status": "firing", "labels": {"alertname": "WebUp", "dockscale_service": SERVICE},
         "annotations": {}, "startsAt": "2026-11-30T21:00:00Z",
         "endsAt": "0001-01-01T00:00:00Z", "fingerprint": fp}]}


def test_only_the_leaders_instance_acts_and_a_new_leader_takes_over(lab, daemon_factory):
    n1 = lab.nodes[0]
    wait_for(lambda: len(tasks(n1)) == 3, timeout=60, what="3 running tasks")
    nodes_used = {t["NodeID"] for t in tasks(n1)}
    assert len(nodes_used) >= 2, f"tasks not spread: {nodes_used}"
    ds = {}
    for n in lab.nodes:
        ds[n.name] = daemon_factory(
            f"[docker]\nsocket = {n.sock}\n[service {SERVICE}]\nruntime = swarm\n"
            "metric = none\nmin_replicas = 1\nmax_replicas = 6\nscale_up_alerts = WebUp\n"
            "scale_up_cooldown = 0s\n").start()
    leader = lab.leader()
    assert leader is not None
    ds[leader.name].wait_log("is the Swarm leader", timeout=20)
    others = [n for n in lab.nodes if n is not leader]
    for n in others:
        ds[n.name].wait_log(f"not acting for the swarm services: another manager leads; "
                            f"leader: {leader.name} ({leader.addr}:2377)", timeout=20)
    for d in ds.values():
        wait_for(lambda d=d: d.get(f"/api/v1/services/{SERVICE}")[1]["ready"] == 3,
                 timeout=15, what="every instance sees 3 ready")

    # Each instance exports the cAdvisor series of its own node's tasks: together, all.
    def local_tasks(d):
        st, text, _ = d.get("/metrics")
        return {line.split('container_label_com_docker_swarm_task_id="')[1].split('"')[0]
                for line in text.splitlines()
                if line.startswith("container_memory_working_set_bytes{") and
                'container_label_com_docker_swarm_service_name="web"' in line}
    ids = {t["ID"] for t in tasks(n1)}
    per_node = wait_for(lambda: (lambda v: v if set().union(*v) == ids else None)(
        [local_tasks(ds[n.name]) for n in lab.nodes]), timeout=15,
        what="every task's series on exactly one node")
    assert sum(len(v) for v in per_node) == len(ids), per_node

    # One alert, sent to every instance (Alertmanager configured with all three): one step.
    for d in ds.values():
        st, body, _ = d.post("/api/v1/alerts", alert("c0ffee"))
        assert st == 200, body
    wait_for(lambda: replicas(n1) == 4, timeout=15, what="spec replicas 4")
    # Never a second step from the same alert, over the passes that would take it.
    ds[leader.name].wait_passes(4, hold=lambda: replicas(n1) == 4, what="spec replicas 4")
    assert "swarm service web: replicas 3 -> 4" in ds[leader.name].log()
    for n in others:
        log = ds[n.name].log()
        assert "alert held: not the Swarm leader" in log
        assert "swarm service web: replicas" not in log
    # A scale request to a non-leader: 409 naming the leader; the leader's: done.
    st, body, _ = ds[others[0].name].post(f"/api/v1/services/{SERVICE}/scale",
                                          {"replicas": 2})
    assert st == 409 and leader.name in body["error"], body
    assert replicas(n1) == 4

    # The leader's engine stops: a new leader is elected, and its instance takes over.
    t0 = time.monotonic()
    leader.stop()
    new = wait_for(lambda: (lambda x: x if x is not None and x is not leader else None)(
        lab.leader()), timeout=60, interval=0.2, what="a new Swarm leader")
    elected = time.monotonic() - t0
    ds[new.name].wait_log("is the Swarm leader", timeout=10 * INTERVAL_S)
    took = time.monotonic() - t0
    print(f"leader {leader.name} stopped: {new.name} elected after {elected:.1f}s, its "
          f"dockscaled acting after {took:.1f}s")
    assert took - elected <= 2 * INTERVAL_S + 1, (elected, took)
    st, body, _ = ds[new.name].post(f"/api/v1/services/{SERVICE}/scale", {"replicas": 2})
    assert st == 200, body
    wait_for(lambda: replicas(new) == 2 and len(tasks(new)) == 2, timeout=60,
             what="2 running tasks after the take-over")
    third = next(n for n in others if n is not new)
    assert "swarm service web: replicas" not in ds[third.name].log()
