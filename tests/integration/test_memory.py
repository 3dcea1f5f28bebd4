"""docker_memory and several metrics per service on a real memory load (doc/scaling.md,
"The metric")."""
import os
import subprocess

import pytest

import dockerapi as dk
from conftest import ROOT, http, wait_for
from test_replicas import service_conf, status, wait_ready

# The demo app's /mem?mb=N (hold N MiB resident) is built into its own tag from this
# tree's tests/app/app.c, so a `make test-image` of another tree cannot take it away.
MEM_IMAGE = "dockscale-demo:mem"


@pytest.fixture(scope="module")
def mem_image():
    subprocess.run([os.path.join(ROOT, "tests", "app", "build-image"), MEM_IMAGE], check=True,
                   capture_output=True, timeout=300)
    return MEM_IMAGE


def docker_stats_percent(cid):
    """What `docker stats` shows: (usage - inactive file) / limit * 100."""
    code, st = dk.call("GET", f"/containers/{cid}/stats?stream=false&one-shot=true")
    assert code == 200, st
    m = st["memory_stats"]
    inactive = m["stats"].get("total_inactive_file", m["stats"].get("inactive_file", 0))
    used = m["usage"] - inactive if inactive < m["usage"] else m["usage"]
    return used * 100.0 / m["limit"]


MEM_POLICY = dict(metric="docker_cpu, docker_memory", memory="64M", cpus="0.5",
                  min_replicas=1, max_replicas=2, memory_scale_up_threshold=50,
                  memory_scale_down_threshold=20, scale_up_threshold=90,
                  scale_down_threshold=5, scale_up_for="0s", scale_down_for="2s",
                  scale_up_cooldown="1s", scale_down_cooldown="1s")


def test_memory_load_scales_up_and_back(daemon_factory, svc, mem_image):
    d = daemon_factory(service_conf(svc, image=mem_image, **MEM_POLICY)).start()
    s = wait_ready(d, svc, 1)
    addr, cid = s["replicas"][0]["address"], s["replicas"][0]["id"]
    # 40 MiB of 64: about 63 % as `docker stats` counts it, above memory's 50 %; the idle
    # CPU is under its 5 %, so docker_cpu asks for fewer all along: memory's count wins.
    assert http("GET", f"http://{addr}/mem?mb=40", timeout=30)[0] == 200
    wait_for(lambda: status(d, svc)["desired"] == 2, timeout=30, interval=0.3,
             what="scale up on memory")
    dec = status(d, svc)["last_decision"]
    assert dec["direction"] == "up" and dec["metric"] == "docker_memory", dec
    assert dec["reason"].startswith("docker_memory: value ") and "> up 50.0" in dec["reason"]
    # The value it decided on is docker stats' own figure for that replica (within a few
    # percent: the two reads are not at the same instant).
    s = wait_ready(d, svc, 2)
    mine = [r for r in s["replicas"] if r["id"] == cid][0]["memory_percent"]
    assert abs(mine - docker_stats_percent(cid)) < 5, (mine, docker_stats_percent(cid))
    assert 55 < mine < 75
    assert s["metrics"]["docker_memory"] is not None and "docker_cpu" in s["metrics"]
    # Two replicas, one holding 40 MiB: the average (~32 %) is inside [20, 50]: it holds
    # (never scales down while inside the band): polled over the whole window.
    d.wait_passes(4, hold=lambda: status(d, svc)["desired"] == 2, what="desired 2")
    # Memory released: the average falls under 20 % and it scales back to one.
    assert http("GET", f"http://{addr}/mem?mb=0", timeout=30)[0] == 200
    wait_for(lambda: status(d, svc)["desired"] == 1, timeout=40, interval=0.3,
             what="scale down without memory load")
    wait_for(lambda: len(dk.containers(svc)) == 1, timeout=30, what="one container left")
    log = d.log()
    assert "scale up 1 -> 2 (docker_memory; thresholds 20.0/50.0" in log
    assert "scale down 2 -> 1 (docker_" in log


def test_docker_memory_without_limit_is_refused(daemon_factory, svc, tmp_path):
    from conftest import run
    path = tmp_path / "m.conf"
    path.write_text(service_conf(svc, metric="docker_memory", memory=0))
    r = run(["--check-config", "-c", str(path)])
    assert r.returncode == 78
    assert f"{path}:" in r.stdout + r.stderr
    assert "docker_memory needs a memory limit" in r.stdout + r.stderr
