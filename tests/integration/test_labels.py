"""Services declared by Docker labels (doc/labels.md): containers of a compose project
labelled dockscale.enable=true are the sources of services whose keys are their
dockscale.* labels, applied live as a reload would, with the real docker-compose 1.29."""
import json
import os
import subprocess
import urllib.parse
import uuid

import pytest

import dockerapi as dk
from conftest import wait_for

COMPOSE = "/usr/bin/docker-compose"

SERVICE = """  {cs}:
    image: dockscale-demo:latest
    labels:
      dockscale.enable: "true"
      dockscale.service: {name}
      dockscale.min_replicas: "{min}"
      dockscale.max_replicas: "{max}"
      dockscale.metric: none
      dockscale.scale_up_cooldown: 0s
      dockscale.upstream_file: {tmp}/{name}.conf
"""


class Project:
    """One compose project (its name holds "labels-helper") with two labelled services,
    web and api, declaring the services a and b."""

    def __init__(self, tmp, a, b):
        self.name = "labels-helper" + uuid.uuid4().hex[:8]
        self.dir = os.path.join(tmp, self.name)
        self.tmp = tmp
        self.a, self.b = a, b
        os.makedirs(self.dir)

    def compose(self, *args, check=True):
        # The shared engine can be slow to answer under load: compose's own 60 s is short.
        env = dict(os.environ, COMPOSE_HTTP_TIMEOUT="240")
        p = subprocess.run([COMPOSE, "-p", self.name, *args], cwd=self.dir, env=env,
                           capture_output=True, text=True, timeout=300)
        if check:
            assert p.returncode == 0, p.stdout + p.stderr
        return p

    def up(self, a_max="4", b_max="4", a_min="2", b_min="2"):
        text = 'version: "2.4"\nservices:\n' + \
            SERVICE.format(cs="web", name=self.a, min=a_min, max=a_max, tmp=self.tmp) + \
            SERVICE.format(cs="api", name=self.b, min=b_min, max=b_max, tmp=self.tmp)
        with open(os.path.join(self.dir, "docker-compose.yml"), "w") as f:
            f.write(text)
        self.compose("up", "-d")

    def container(self, cs):
        q = urllib.parse.urlencode({"filters": json.dumps({"label": [
            f"com.docker.compose.project={self.name}", f"com.docker.compose.service={cs}"]})})
        status, ctrs = dk.call("GET", "/containers/json?" + q)
        assert status == 200, ctrs
        return ctrs[0] if len(ctrs) == 1 else None


@pytest.fixture
def project(tmp_path, svc, daemon_factory):
    b = "t" + uuid.uuid4().hex[:8]
    dk.cleanup(b)
    p = Project(str(tmp_path), svc, b)
    yield p
    # The replicas are on compose's network: they go first.
    daemon_factory.kill_all()
    dk.cleanup(svc)
    dk.cleanup(b)
    p.compose("down", "-v", "--remove-orphans", check=False)


def start(daemon_factory):
    return daemon_factory("", daemon_extra="labels = on\n").start()


def status(d, name):
    code, body, _ = d.get(f"/api/v1/services/{name}")
    return body if code == 200 else None


def labels(d):
    code, body, _ = d.get("/api/v1/services")
    assert code == 200, body
    return body["labels"]


def ready_ids(d, name, n):
    def ok():
        s = status(d, name)
        reps = [r for r in s["replicas"] if r["state"] == "ready"] if s else []
        return sorted(r["id"] for r in reps) if len(reps) == n and s["current"] == n else None
    return ok


def upstream_has(tmp, name, n):
    def ok():
        try:
            with open(os.path.join(tmp, f"{name}.conf")) as f:
                return f.read().count("server ") == n
        except FileNotFoundError:
            return False
    return ok


def test_two_label_services_scale_and_relabel_applies_live(daemon_factory, project, tmp_path):
    project.up()
    d = start(daemon_factory)
    a, b = project.a, project.b
    ids_a = wait_for(ready_ids(d, a, 2), timeout=60, what=f"2 ready replicas of {a}")
    ids_b = wait_for(ready_ids(d, b, 2), timeout=60, what=f"2 ready replicas of {b}")
    for name in (a, b):
        wait_for(upstream_has(str(tmp_path), name, 2), timeout=20, what=f"{name} served")
        s = status(d, name)
        assert s["max_replicas"] == 4
        assert s["definition"]["source"] == "compose"
        assert s["definition"]["project"] == project.name
    lab = labels(d)
    # Only this project's containers: the daemon takes every labelled container of the
    # engine (doc/labels.md), and another test's may still be on it.
    assert lab["enabled"] and [e for e in lab["errors"] if project.name in e] == []
    assert sorted((x["service"], x["state"]) for x in lab["sources"]
                  if x["container"].startswith(project.name)) == \
        sorted([(a, "managed"), (b, "managed")])
    # The replicas carry none of the labels that declare a service: never sources.
    for rid in ids_a + ids_b:
        assert not [k for k in dk.inspect(rid)["Config"]["Labels"] if k.startswith("dockscale.")]

    # Scaled by the daemon within the labels' bounds; above max_replicas refused.
    code, body, _ = d.post(f"/api/v1/services/{a}/scale", {"replicas": 3})
    assert code == 200, body
    wait_for(ready_ids(d, a, 3), timeout=60, what=f"3 ready replicas of {a}")
    wait_for(upstream_has(str(tmp_path), a, 3), timeout=20, what=f"{a} served by 3")
    code, body, _ = d.post(f"/api/v1/services/{a}/scale", {"replicas": 6})
    assert code != 200, body

    # A label changed by `docker-compose up -d` (compose recreates web's container):
    # applied live, without a restart; the services keep their replicas.
    pid = d.proc.pid
    before = {a: wait_for(ready_ids(d, a, 3), timeout=60, what=f"3 ready of {a}"),
              b: wait_for(ready_ids(d, b, 2), timeout=60, what=f"2 ready of {b}")}
    log_at = len(d.log())
    project.up(a_max="6")
    wait_for(lambda: status(d, a)["max_replicas"] == 6, timeout=30,
             what="max_replicas 6 from the new label")
    assert d.proc.poll() is None and d.proc.pid == pid
    since = d.log()[log_at:]
    assert "labels: " in since and "reload: " in since, since
    assert "removed from the configuration" not in since, since
    # Both services kept their replicas through the reload (one that Docker's own health
    # check failed under load is replaced, and says so).
    for name, n in ((a, 3), (b, 2)):
        now = wait_for(ready_ids(d, name, n), timeout=60, what=f"{n} ready of {name}")
        assert now == before[name] or f"{name}: replica" in since and "replacing it" in since, \
            since
    code, body, _ = d.post(f"/api/v1/services/{a}/scale", {"replicas": 5})
    assert code == 200, body
    wait_for(ready_ids(d, a, 5), timeout=90, what=f"5 ready replicas of {a}")
    wait_for(lambda: labels(d)["sources"] and all(
        x["state"] == "managed" for x in labels(d)["sources"]) and
        len(labels(d)["sources"]) == 2, timeout=20, what="both sources managed")


def test_bad_label_leaves_that_service_alone(daemon_factory, project, tmp_path):
    project.up(b_max="lots", a_min="1", b_min="1")
    api = wait_for(lambda: project.container("api"), timeout=30, what="compose's api")
    d = start(daemon_factory)
    a, b = project.a, project.b
    want = (f"container {api['Names'][0].lstrip('/')} ({api['Id'][:12]}) label "
            "dockscale.max_replicas=lots: max_replicas: 'lots' is not an integer")

    def no_b():
        assert dk.containers(b) == [], f"a replica of {b} was created"
        return True

    def reported():
        no_b()
        return any(want in e for e in labels(d)["errors"])
    wait_for(reported, timeout=30, what="the bad label in the status")
    d.wait_log(want)
    src = [x for x in labels(d)["sources"] if x["service"] == b]
    assert len(src) == 1 and src[0]["state"] == "error"
    assert src[0]["container_id"] == api["Id"]
    assert status(d, b) is None  # not managed
    # An event (a service the daemon does not manage: not a filter the API takes).
    code, body, _ = d.get("/api/v1/events?type=reload&limit=1000")
    assert code == 200, body
    assert any(want in e["message"] and e["service"] == b for e in body["events"]), body

    # The other service goes on scaling, and none of the bad one's replicas is created,
    # polled over the whole window (doc/testing.md).
    wait_for(lambda: no_b() and ready_ids(d, a, 1)(), timeout=60, what=f"1 replica of {a}")
    code, body, _ = d.post(f"/api/v1/services/{a}/scale", {"replicas": 3})
    assert code == 200, body
    wait_for(lambda: no_b() and ready_ids(d, a, 3)(), timeout=60, what=f"3 replicas of {a}")
    d.wait_passes(3, hold=no_b, what=f"no replica of {b}")

    # The label fixed with `docker-compose up -d`: the service is managed, live.
    project.up(b_max="3", a_min="1", b_min="1")
    wait_for(ready_ids(d, b, 1), timeout=60, what=f"1 replica of {b} once fixed")
    assert labels(d)["errors"] == []
    assert ready_ids(d, a, 3)() is not None
