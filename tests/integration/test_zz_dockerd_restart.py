"""Docker Engine restart (SPEC §4.14): the daemon stays up, serves, and converges again.
Named to run last: it stops the engine every other test needs."""
import os
import signal
import subprocess
import time

import pytest

import dockerapi as dk
from conftest import ROOT, wait_for
from test_replicas import service_conf, status, wait_ready

PIDFILE = "/var/run/docker.pid"

# It stops the engine every other test needs: alone (conftest.py, "Side by side").
pytestmark = pytest.mark.alone


def dockerd_pid():
    try:
        with open(PIDFILE) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


@pytest.mark.skipif(dockerd_pid() is None, reason="no dockerd pid file to restart it by")
def test_dockerd_restart_is_survived(daemon_factory, svc):
    d = daemon_factory(service_conf(svc, min_replicas=2)).start()
    wait_ready(d, svc, 2)
    os.kill(dockerd_pid(), signal.SIGTERM)
    try:
        wait_for(lambda: not dk.ping(), timeout=60, what="dockerd gone")
        # Down: the daemon keeps serving its API and says the engine is down.
        wait_for(lambda: "dockscale_docker_up 0" in d.get("/metrics")[1], timeout=20,
                 what="docker_up 0")
        t0 = time.monotonic()
        while time.monotonic() - t0 < 3:
            assert d.get("/healthz", timeout=2)[0] == 200
            assert d.get(f"/api/v1/services/{svc}", timeout=2)[0] == 200
            time.sleep(0.2)
        assert d.proc.poll() is None
    finally:
        subprocess.run([os.path.join(ROOT, "tests", "dockerd-up")], check=True, timeout=120)
    wait_for(lambda: "dockscale_docker_up 1" in d.get("/metrics")[1], timeout=30,
             what="docker_up 1")
    wait_ready(d, svc, 2, timeout=60)
    assert len(dk.containers(svc)) == 2
    assert "Docker Engine answers" in d.log()
    assert status(d, svc)["ready"] == 2
