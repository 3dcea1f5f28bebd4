"""A docker-compose service as the source of a service's definition (doc/compose.md, "A
docker-compose service as the source"), with the real docker-compose 1.29."""
import json
import os
import subprocess
import time
import urllib.parse
import uuid

import pytest

import dockerapi as dk
from conftest import BINARY, wait_for

COMPOSE = "/usr/bin/docker-compose"
PREFIX = "com.docker.compose."

COMPOSE_FILE = """version: "2.4"
services:
  web:
    image: dockscale-demo:latest
    environment:
      GREETING: "{greeting}"
      SHOP_MODE: compose
    volumes:
      - data:/data
    labels:
      com.example.team: shop
      com.example.tier: web
    logging:
      driver: json-file
      options:
        max-size: "1m"
        max-file: "2"
    healthcheck:
      test: ["CMD", "/app", "--health"]
      interval: 1s
      timeout: 2s
      retries: 3
    ports:
      - "127.0.0.1::8080"
    restart: unless-stopped
volumes:
  data: {{}}
"""


class Project:
    """One compose project in its own directory, named uniquely per test."""

    def __init__(self, tmp):
        self.name = "compose" + uuid.uuid4().hex[:8]
        self.dir = os.path.join(tmp, self.name)
        os.makedirs(self.dir)

    def compose(self, *args, check=True):
        p = subprocess.run([COMPOSE, "-p", self.name, *args], cwd=self.dir,
                           capture_output=True, text=True, timeout=120)
        if check:
            assert p.returncode == 0, p.stdout + p.stderr
        return p

    def write(self, greeting):
        with open(os.path.join(self.dir, "docker-compose.yml"), "w") as f:
            f.write(COMPOSE_FILE.format(greeting=greeting))

    def up(self, greeting, check=True):
        self.write(greeting)
        return self.compose("up", "-d", check=check)

    def containers(self):
        q = urllib.parse.urlencode({"all": "1", "filters": json.dumps(
            {"label": [f"{PREFIX}project={self.name}", f"{PREFIX}service=web"]})})
        status, body = dk.call("GET", "/containers/json?" + q)
        assert status == 200, body
        return body

    def running_id(self):
        ids = [c["Id"] for c in self.containers() if c["State"] == "running"]
        return ids[0] if len(ids) == 1 else None


@pytest.fixture
def project(tmp_path, svc, daemon_factory):
    p = Project(str(tmp_path))
    yield p
    # The replicas are on compose's network and volume: they go first.
    daemon_factory.kill_all()
    dk.cleanup(svc)
    p.compose("down", "-v", "--remove-orphans", check=False)


def conf(svc, project, tmp, min_replicas, extra=""):
    return (f"[service {svc}]\ncompose_project = {project.name}\ncompose_service = web\n"
            f"min_replicas = {min_replicas}\nmax_replicas = 5\nmetric = none\n"
            f"scale_up_cooldown = 0s\nupstream_file = {tmp}/{svc}.conf\n{extra}")


def status(d, svc):
    code, body, _ = d.get(f"/api/v1/services/{svc}")
    assert code == 200, body
    return body


def ready_ids(d, svc, n):
    def ok():
        s = status(d, svc)
        reps = [r for r in s["replicas"] if r["state"] == "ready"]
        return sorted(r["id"] for r in reps) if len(reps) == n and s["current"] == n else None
    return ok


def replica_ids(svc):
    return sorted(c["Id"] for c in dk.containers(svc))


def user_labels(labels):
    return {k: v for k, v in labels.items()
            if not k.startswith(PREFIX) and not k.startswith("io.dockscale.")}


def mounts(ins):
    return sorted((m["Type"], m.get("Name", m.get("Source")), m["Destination"], m["RW"])
                  for m in ins["Mounts"])


def env_of(ins):
    return dict(e.split("=", 1) for e in ins["Config"]["Env"])


def compose_events(cid, since, until):
    """kill/stop/die/destroy events of compose's own container in [since, until]."""
    q = urllib.parse.urlencode({"since": f"{since:.3f}", "until": f"{until:.3f}",
                                "filters": json.dumps({"container": [cid], "event": [
                                    "kill", "stop", "die", "destroy"]})})
    c = dk._Conn(30)
    c.request("GET", "/v1.41/events?" + q)
    raw = c.getresponse().read().decode()
    c.close()
    return [json.loads(line) for line in raw.splitlines() if line.strip()]


def hold_still(d, svc, project, seconds, replicas, compose_id, passes=0):
    """Over the whole window (and `passes` reconcile passes, which would act): no replica
    stopped, removed or recreated, and compose's container untouched (fails at the first
    sign of either)."""
    def still():
        assert replica_ids(svc) == replicas, "a dockscale replica changed"
        assert all(c["State"] == "running" for c in dk.containers(svc))
        assert project.running_id() == compose_id, "compose's container changed"
        return True
    if passes:
        d.wait_passes(passes, hold=still, seconds=seconds)
        return
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        still()
        time.sleep(0.2)


def test_replicas_carry_compose_definition_and_survive_compose_up(
        daemon_factory, svc, project, tmp_path):
    project.up("one")
    compose_id = wait_for(project.running_id, timeout=30, what="compose's container")
    d = daemon_factory(conf(svc, project, tmp_path, 3)).start()
    t_daemon = time.time()
    ids = wait_for(ready_ids(d, svc, 3), timeout=60, what="3 ready replicas")

    # Every replica: compose's env, mounts, user labels, logging and healthcheck; none
    # of compose's labels, host ports or restart policy.
    src = dk.inspect(compose_id)
    assert env_of(src)["GREETING"] == "one"
    assert any(m["Type"] == "volume" and m["Name"] == f"{project.name}_data"
               for m in src["Mounts"])
    for rid in ids:
        ins = dk.inspect(rid)
        assert ins["Config"]["Env"] == src["Config"]["Env"]
        assert mounts(ins) == mounts(src)
        assert user_labels(ins["Config"]["Labels"]) == user_labels(src["Config"]["Labels"])
        assert user_labels(ins["Config"]["Labels"])["com.example.team"] == "shop"
        assert not [k for k in ins["Config"]["Labels"] if k.startswith(PREFIX)]
        assert ins["Config"]["Labels"][dk.LABEL] == svc
        assert ins["HostConfig"]["LogConfig"] == src["HostConfig"]["LogConfig"]
        assert ins["HostConfig"]["LogConfig"]["Config"]["max-size"] == "1m"
        assert ins["Config"]["Healthcheck"] == src["Config"]["Healthcheck"]
        assert ins["Config"]["Healthcheck"]["Interval"] == 1_000_000_000
        assert ins["Config"]["Image"] == src["Config"]["Image"]
        assert ins["Config"]["Entrypoint"] == src["Config"]["Entrypoint"]
        assert not ins["HostConfig"]["PortBindings"]
        assert ins["HostConfig"]["RestartPolicy"]["Name"] in ("no", "")
        assert ins["Config"]["Hostname"] != src["Config"]["Hostname"]
        net = ins["NetworkSettings"]["Networks"][f"{project.name}_default"]
        assert "web" in net["Aliases"]
    s = status(d, svc)
    assert s["definition"]["source"] == "compose"
    assert s["definition"]["state"] == "found"
    assert s["definition"]["container_id"] == compose_id
    assert s["definition"]["generation"] == 1
    # compose's container does not serve through the upstream: the replicas alone do.
    def upstream():
        with open(tmp_path / f"{svc}.conf") as f:
            text = f.read()
        return text if text.count("server ") == 3 else None
    src_ip = src["NetworkSettings"]["Networks"][f"{project.name}_default"]["IPAddress"]
    assert f"server {src_ip}:" not in wait_for(upstream, timeout=10, what="3 in the upstream")

    # The same `docker-compose up -d` again: nothing of dockscale's changes, and
    # compose's container neither (polled while compose runs and after).
    proc = subprocess.Popen([COMPOSE, "-p", project.name, "up", "-d"], cwd=project.dir,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    while proc.poll() is None:
        hold_still(d, svc, project, 0.2, ids, compose_id)
    assert proc.returncode == 0, proc.stdout.read()
    hold_still(d, svc, project, 0, ids, compose_id, passes=3)
    assert compose_events(compose_id, t_daemon, time.time()) == []

    # A changed compose file deployed with `docker-compose up -d` is the new definition,
    # and the running replicas roll to it (doc/rollouts.md).
    project.up("two")
    new_id = wait_for(project.running_id, timeout=30, what="compose's new container")
    assert new_id != compose_id

    def taken():
        dfn = status(d, svc)["definition"]
        return dfn["container_id"] == new_id and dfn["generation"] == 2
    wait_for(taken, timeout=20, what="the new definition")
    t_new = time.time()

    def rolled():
        s = status(d, svc)
        now = sorted(replica_ids(svc))
        return (s["rollout"]["state"] == "idle" and s["ready"] == 3 and len(now) == 3
                and not set(now) & set(ids) and now)
    new_ids = wait_for(rolled, timeout=90, what="the replicas rolled to the new file")
    for rid in new_ids:
        assert env_of(dk.inspect(rid))["GREETING"] == "two"
    code, body, _ = d.post(f"/api/v1/services/{svc}/scale", {"replicas": 4})
    assert code == 200, body
    four = wait_for(ready_ids(d, svc, 4), timeout=60, what="4 ready replicas")
    (fresh,) = set(four) - set(new_ids)
    assert env_of(dk.inspect(fresh))["GREETING"] == "two"
    assert env_of(dk.inspect(fresh))["SHOP_MODE"] == "compose"
    # The daemon never stopped nor removed compose's container.
    hold_still(d, svc, project, 0, sorted(four), new_id, passes=2)
    assert compose_events(new_id, t_new, time.time()) == []
    assert "stopping replica " + project.name not in d.log()


def test_compose_down_leaves_replicas_and_waits_for_the_source(
        daemon_factory, svc, project, tmp_path):
    project.up("one")
    wait_for(project.running_id, timeout=30, what="compose's container")
    d = daemon_factory(conf(svc, project, tmp_path, 2)).start()
    ids = wait_for(ready_ids(d, svc, 2), timeout=60, what="2 ready replicas")

    # `down` removes compose's container; the replicas hold its network, so compose
    # cannot remove that (it says so and exits 1): they keep running and serving.
    project.compose("down", check=False)
    assert project.containers() == []

    def waiting():
        dfn = status(d, svc)["definition"]
        return dfn["state"] == "waiting" and \
            f"waiting for compose container {project.name}/web" in dfn["reason"]
    wait_for(waiting, timeout=20, what="the definition waiting for compose")
    code, body, _ = d.post(f"/api/v1/services/{svc}/scale", {"replicas": 3})
    assert code == 200, body
    # No replica can be created without a source, over the passes that would create it.
    d.wait_passes(3, hold=lambda: replica_ids(svc) == ids and
                  all(c["State"] == "running" for c in dk.containers(svc)),
                  what="the two replicas and no third")
    s = status(d, svc)
    assert s["desired"] == 3 and s["ready"] == 2
    with open(tmp_path / f"{svc}.conf") as f:
        assert f.read().count("server ") == 2

    # A daemon started while there is no compose container adopts the replicas and
    # keeps them in the upstream (reached on the network they joined).
    assert d.stop() == 0
    upstream_before = set(
        l for l in open(tmp_path / f"{svc}.conf").read().splitlines() if "server " in l)
    d2 = daemon_factory(conf(svc, project, tmp_path, 2)).start()
    assert wait_for(ready_ids(d2, svc, 2), timeout=30, what="2 adopted replicas") == ids
    wait_for(lambda: status(d2, svc)["definition"]["state"] == "waiting", timeout=20,
             what="the definition waiting again")

    def same_upstream():
        lines = set(l for l in open(tmp_path / f"{svc}.conf").read().splitlines()
                    if "server " in l)
        return lines == upstream_before and len(lines) == 2
    wait_for(same_upstream, timeout=20, what="the adopted replicas in the upstream")
    assert all(r["address"] for r in status(d2, svc)["replicas"])
    d = d2
    code, body, _ = d.post(f"/api/v1/services/{svc}/scale", {"replicas": 3})
    assert code == 200, body

    # The source is back: the creation it held goes ahead.
    project.up("one")
    three = wait_for(ready_ids(d, svc, 3), timeout=60, what="3 ready replicas")
    assert set(ids) < set(three)


def test_once_needs_the_compose_container(daemon_factory, svc, project, tmp_path):
    d = daemon_factory(conf(svc, project, tmp_path, 1))

    def once():
        return subprocess.run([BINARY, "-c", d.path, "--once"], capture_output=True,
                              text=True, timeout=90)
    p = once()
    assert p.returncode == 1, p.stderr
    assert f"waiting for compose container {project.name}/web; pass failed" in p.stderr
    assert dk.containers(svc) == []
    project.up("one")
    wait_for(project.running_id, timeout=30, what="compose's container")
    p = once()
    assert p.returncode == 0, p.stderr
    assert len(dk.running(svc)) == 1
