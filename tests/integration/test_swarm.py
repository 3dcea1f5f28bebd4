"""runtime = swarm on one private Swarm manager (doc/swarm.md):
a webhook, a manual scale and a Prometheus load scale a Swarm service up and back; an image
update made while scaling survives; someone else's concurrent spec updates are never lost
("update out of sequence" re-read and retried). The engine is the test's own dockerd in its
own network namespace (swarmlab.py); the host's dockerd is never made a swarm member."""
import http.server
import socket
import threading
import time

import pytest

import swarmlab
from conftest import wait_for
from peers import start_prometheus

# Timing bounds on the leadership check, and swarmlab.py's fixed namespace and bridge
# names: alone (conftest.py, "Side by side").
pytestmark = pytest.mark.alone

SERVICE = "web"
TASKS = "/tasks?filters=%7B%22service%22%3A%5B%22web%22%5D%7D"


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    lab = swarmlab.Lab(1, str(tmp_path_factory.mktemp("swarmlab")))
    try:
        lab.start().swarm()
        n = lab.nodes[0]
        n.docker("tag", swarmlab.IMAGE, "dockscale-demo:swarm2")
        n.docker("service", "create", "--detach", "--name", SERVICE, "--replicas", "1",
                 "--endpoint-mode", "dnsrr", swarmlab.IMAGE)
        yield n
    finally:
        lab.close()


def spec(n):
    st, sv = n.api("GET", f"/services/{SERVICE}")
    assert st == 200, sv
    return sv["Spec"]


def replicas(n):
    return spec(n)["Mode"]["Replicated"]["Replicas"]


def running(n):
    """Tasks Swarm wants running that run (healthy: the demo image has a health check,
    and Swarm reports such a task running only once it is healthy)."""
    st, tasks = n.api("GET", TASKS)
    assert st == 200, tasks
    return sum(1 for t in tasks if t["DesiredState"] == "running" and
               t["Status"]["State"] == "running")


def wait_tasks(n, count, timeout=40, d=None):
    """count tasks running, and (with d) dockscaled has seen them: its next step is not
    held by a task it still takes for starting."""
    wait_for(lambda: replicas(n) == count and running(n) == count, timeout=timeout,
             interval=0.2, what=f"{count} running tasks")
    if d is not None:
        wait_for(lambda: d.get(f"/api/v1/services/{SERVICE}")[1]["ready"] == count,
                 timeout=10, what=f"dockscaled sees {count} ready")


class LoadServer:
    """A /metrics target Prometheus scrapes: swarm_test_load, set by the test."""

    def __init__(self):
        self.value = 50.0
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = f"swarm_test_load {outer.value}\n".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


def conf(n, prom_url):
    return (f"[docker]\nsocket = {n.sock}\n[prometheus]\nurl = {prom_url}\ntimeout = 2s\n"
            f"[service {SERVICE}]\nruntime = swarm\nmetric = prometheus\n"
            "query = max(swarm_test_load)\nmin_replicas = 1\nmax_replicas = 5\n"
            "scale_up_threshold = 70\nscale_down_threshold = 30\nscale_up_for = 0s\n"
            "scale_down_for = 0s\nscale_up_cooldown = 0s\nscale_down_cooldown = 0s\n"
            "scale_up_alerts = WebUp\n")


def alert(name, fp):
    return {"version": "4", "status": "firing", "receiver": "dockscale", "alerts": [
        {"status": "firing", "labels": {"alertname": name, "dockscale_service": SERVICE},
         "annotations": {}, "startsAt": "2026-11-30T21:00:00Z",
         "endsAt": "0001-01-01T00:00:00Z", "fingerprint": fp}]}


def test_webhook_manual_and_prometheus_scale_a_swarm_service(node, daemon_factory, tmp_path):
    load = LoadServer()
    prom = start_prometheus(str(tmp_path), load.port)
    try:
        d = daemon_factory(conf(node, prom.url)).start()
        d.wait_log("is the Swarm leader", timeout=20)
        wait_tasks(node, 1, d=d)
        # A webhook: one step up.
        st, body, _ = d.post("/api/v1/alerts", alert("WebUp", "f00d"))
        assert st == 200 and body["stepped"] == 1, body["alerts"][0]["reason"]
        wait_tasks(node, 2)
        # A manual scale, and someone's image update while Swarm is scaling: both stay.
        st, body, _ = d.post(f"/api/v1/services/{SERVICE}/scale", {"replicas": 4})
        assert st == 200, body
        node.docker("service", "update", "--detach", "--image", "dockscale-demo:swarm2",
                    SERVICE)
        wait_tasks(node, 4, timeout=60)
        assert spec(node)["TaskTemplate"]["ContainerSpec"]["Image"].startswith(
            "dockscale-demo:swarm2")
        # Its /metrics: the cAdvisor series of each task container on this node.
        def task_series():
            st, text, _ = d.get("/metrics")
            return {line.split('container_label_com_docker_swarm_task_name="')[1].split('"')[0]
                    for line in text.splitlines() if line.startswith(
                        "container_cpu_usage_seconds_total{") and
                    'container_label_com_docker_swarm_service_name="web"' in line}
        st, tasks = node.api("GET", TASKS)
        want = {f"web.{t['Slot']}.{t['ID']}" for t in tasks
                if t["DesiredState"] == "running" and t["Status"]["State"] == "running"}
        wait_for(lambda: task_series() == want, timeout=10, what=f"series of {want}")
        # The load through Prometheus: up to max_replicas, then back to min_replicas.
        load.value = 90
        wait_tasks(node, 5, timeout=40)
        load.value = 10
        wait_tasks(node, 1, timeout=60)
        s = spec(node)
        assert s["TaskTemplate"]["ContainerSpec"]["Image"].startswith("dockscale-demo:swarm2")
        log = d.log()
        assert "swarm service web: replicas 1 -> 2" in log
        assert "(prometheus;" in log
        status = wait_for(lambda: (lambda s: s if (s["current"], s["ready"]) == (1, 1) else
                                   None)(d.get(f"/api/v1/services/{SERVICE}")[1]),
                          timeout=10, what="dockscaled's status: 1 current, 1 ready")
        sw = status["swarm"]
        assert sw["leader"] is True and sw["updates"] >= 6 and sw["spec_replicas"] == 1, sw
    finally:
        prom.stop()
        load.close()


def test_concurrent_spec_updates_are_never_lost(node, daemon_factory):
    """Someone else updates the spec in a loop (a new label each time) while dockscaled
    scales: every one of their updates is in the final spec, and every scale lands."""
    d = daemon_factory(f"[docker]\nsocket = {node.sock}\n[service {SERVICE}]\n"
                       "runtime = swarm\nmetric = none\nmin_replicas = 1\n"
                       "max_replicas = 3\n").start()
    d.wait_log("is the Swarm leader", timeout=20)
    image = spec(node)["TaskTemplate"]["ContainerSpec"]["Image"]
    churn = swarmlab.SpecChurn(node, SERVICE)
    churn.start()
    want = 1
    try:
        wait_for(lambda: len(churn.done) >= 3, timeout=20, what="the spec churn running")
        for k in range(16):
            want = 2 + k % 2
            st, body, _ = d.post(f"/api/v1/services/{SERVICE}/scale", {"replicas": want})
            assert st == 200, body
            wait_for(lambda: replicas(node) == want, timeout=20, interval=0.02,
                     what=f"spec replicas {want}")
    finally:
        churn.stop()
    s = spec(node)
    labels = s.get("Labels") or {}
    lost = [x for x in churn.done if x not in labels]
    assert churn.done and not lost, f"lost {len(lost)} of {len(churn.done)}: {lost[:5]}"
    assert s["Mode"]["Replicated"]["Replicas"] == want
    assert s["TaskTemplate"]["ContainerSpec"]["Image"] == image
    assert not churn.errors, churn.errors[:3]
    st, status, _ = d.get(f"/api/v1/services/{SERVICE}")
    sw = status["swarm"]
    print(f"churn updates {len(churn.done)} (their conflicts {churn.conflicts}); dockscaled "
          f"updates {sw['updates']}, conflicts retried {sw['conflicts_retried']}, "
          f"failures {sw['update_failures']}")
    # The retry path ran: with an update every few ms beside ours, ours met theirs. (An
    # update that met theirs SWARM_UPDATE_TRIES times in a row counts as a failure and is
    # started again on the next kick: every scale above landed either way.)
    assert sw["conflicts_retried"] >= 1, sw


def test_dry_run_changes_nothing(node, daemon_factory):
    have = replicas(node)
    d = daemon_factory(f"[docker]\nsocket = {node.sock}\n[service {SERVICE}]\n"
                       "runtime = swarm\nmetric = none\nmin_replicas = 1\nmax_replicas = 5\n",
                       args=["--dry-run"]).start()
    d.wait_log("is the Swarm leader", timeout=20)
    wait_for(lambda: d.get(f"/api/v1/services/{SERVICE}")[1]["swarm"]["found"], timeout=10,
             what="the service read")
    st, body, _ = d.post(f"/api/v1/services/{SERVICE}/scale", {"replicas": have + 1})
    assert st == 200, body
    d.wait_log(f"dry-run: would set swarm service web to {have + 1} replicas", timeout=10)
    # Nothing reaches the Engine, over the passes that would send it.
    d.wait_passes(3, hold=lambda: replicas(node) == have, what="the spec's replicas")
    assert "swarm service web: replicas" not in d.log()


def test_no_409_before_the_first_leadership_check(node, daemon_factory):
    """Finding 12: the leader's instance answered a scale request sent as soon as /healthz
    answered with 409 "not the Swarm leader": its first check had not finished. Until
    it has, a scale request gets 503 (Retry-After) and /healthz is not 200 either; from
    the first 200 of /healthz on, the scale is the leader's (200). Requests are fired
    from the moment the daemon listens, so the check is surely still in flight."""
    have = replicas(node)
    d = daemon_factory(f"[docker]\nsocket = {node.sock}\n[service {SERVICE}]\n"
                       "runtime = swarm\nmetric = none\nmin_replicas = 1\n"
                       "max_replicas = 5\n").start(wait=False)
    path = f"/api/v1/services/{SERVICE}/scale"
    seen = []
    t0 = time.monotonic()
    deadline = t0 + 20
    while True:
        assert time.monotonic() < deadline, f"/healthz never answered 200: {seen[-5:]}"
        assert d.proc.poll() is None, d.log()
        try:
            hz = d.get("/healthz", timeout=2)
        except OSError:  # not listening yet
            time.sleep(0.002)
            t0 = time.monotonic()
            continue
        st, body, hdrs = d.post(path, {"replicas": have})
        seen.append((hz[0], st))
        assert st != 409, (seen, body)  # fails the moment one is wrong
        if st == 503:
            assert "not known yet" in body["error"] and hdrs["Retry-After"].isdigit(), body
        else:
            assert st == 200, (st, body)
        if hz[0] != 200:
            assert hz[0] == 503 and hz[2]["Retry-After"].isdigit(), hz
            assert "Swarm leadership" in hz[1]["error"], hz
            continue
        break
    # /healthz said ready: a scale request sent now is acted on by the leader.
    st, body, _ = d.post(path, {"replicas": have})
    assert st == 200 and body["swarm"]["leader"] is True, (st, body)
    log = d.log()
    assert "is the Swarm leader" in log and "not acting" not in log, log
    print(f"listening to ready: {(time.monotonic() - t0) * 1000:.0f} ms; (healthz, scale) "
          f"answers: {sorted((x, seen.count(x)) for x in set(seen))}")


SWARM_ONLY = ("[service {svc}]\nruntime = swarm\nmetric = none\nmin_replicas = 1\n"
              "max_replicas = 5\n")


def test_readiness_does_not_wait_on_an_engine_that_is_down(daemon_factory, tmp_path):
    """A first check that fails (no Engine behind the socket) counts as done: ready at
    once, and the answer says why this instance does not act."""
    d = daemon_factory(f"[docker]\nsocket = {tmp_path}/none.sock\n" +
                       SWARM_ONLY.format(svc="sdown")).start(wait=False)
    t0 = time.monotonic()
    wait_for(d.healthy, timeout=5, interval=0.02, what="/healthz 200 with the Engine down")
    took = time.monotonic() - t0
    st, body, _ = d.post("/api/v1/services/sdown/scale", {"replicas": 2})
    assert st == 409 and "does not answer" in body["error"], (st, body)
    assert took < 5, took


def test_readiness_waits_for_a_hung_engine_at_most_10s(daemon_factory, tmp_path):
    """An Engine that accepts and never answers: /healthz is 503 while the first check
    waits, 200 after the 10 s bound (doc/swarm.md), and a
    scale request still gets 503, never a guess, until the check answers."""
    path = str(tmp_path / "hung.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(64)  # accepted by the kernel, never read: every call waits its timeout
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify.sock"))
    notify.setblocking(False)
    msgs = []

    def drain():
        while True:
            try:
                msgs.append(notify.recv(4096).decode())
            except BlockingIOError:
                return any("READY=1" in m for m in msgs)
    try:
        d = daemon_factory(f"[docker]\nsocket = {path}\ntimeout = 60s\n" +
                           SWARM_ONLY.format(svc="shung"),
                           env={"NOTIFY_SOCKET": str(tmp_path / "notify.sock")}
                           ).start(wait=False)
        wait_for(lambda: d.get("/healthz", timeout=1)[0] == 503, timeout=5, interval=0.02,
                 what="/healthz 503 while the first check waits")
        t0 = time.monotonic()
        while d.get("/healthz", timeout=1)[0] != 200:  # 503 all along, then 200
            assert not drain(), f"READY=1 while /healthz is 503: {msgs}"
            assert time.monotonic() - t0 < 13, "not ready 13 s after the first 503"
            time.sleep(0.1)
        took = time.monotonic() - t0
        assert 8.5 < took < 13, took
        wait_for(drain, timeout=2, what="READY=1 once ready")
        assert any("STATUS=waiting for the first Swarm leadership check" in m for m in msgs)
        st, body, hdrs = d.post("/api/v1/services/shung/scale", {"replicas": 2})
        assert st == 503 and "not known yet" in body["error"], (st, body)
        assert hdrs["Retry-After"].isdigit()
        assert "has not answered in 10 s: ready anyway" in d.log()
    finally:
        srv.close()
        notify.close()
