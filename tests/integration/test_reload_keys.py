"""SIGHUP and the keys a running daemon cannot or can take over (doc/configuration.md, "Choices
the spec left open")."""
import os
import signal

from conftest import wait_for
from test_replicas import service_conf, status, wait_ready


def reloads(d, result):
    metrics = d.get("/metrics")[1]
    for line in metrics.splitlines():
        if line.startswith(f'dockscale_config_reloads_total{{result="{result}"}}'):
            return int(float(line.split()[-1]))
    return 0


def test_lock_file_change_is_refused_and_nothing_of_the_file_applies(daemon_factory, svc):
    d = daemon_factory(service_conf(svc, min_replicas=0, max_replicas=3)).start()
    assert status(d, svc)["max_replicas"] == 3
    old_lock = d.lock
    # lock_file and max_replicas change together: neither is applied.
    d.lock = os.path.join(d.tmp, "other.lock")
    d.write_config(service_conf(svc, min_replicas=0, max_replicas=4))
    d.signal(signal.SIGHUP)
    wait_for(lambda: reloads(d, "failure") == 1, what="a refused reload")
    log = d.log()
    assert f"reload: [daemon] lock_file ({old_lock} -> {d.lock}) changed; that needs a " \
        "restart; keeping the running configuration" in log, log
    assert status(d, svc)["max_replicas"] == 3
    assert reloads(d, "success") == 0
    # The same file with the old lock_file is applied.
    d.lock = old_lock
    d.write_config(service_conf(svc, min_replicas=0, max_replicas=4))
    d.signal(signal.SIGHUP)
    wait_for(lambda: reloads(d, "success") == 1, what="the reload applied")
    assert status(d, svc)["max_replicas"] == 4
    assert d.stop() == 0


def test_dry_run_change_is_refused(daemon_factory, svc):
    d = daemon_factory(service_conf(svc, min_replicas=0, max_replicas=3)).start()
    d.daemon_extra = "dry_run = true\n"
    d.write_config(service_conf(svc, min_replicas=0, max_replicas=4))
    d.signal(signal.SIGHUP)
    wait_for(lambda: reloads(d, "failure") == 1, what="a refused reload")
    assert "reload: [daemon] dry_run (false -> true) changed; that needs a restart" in d.log()
    assert status(d, svc)["max_replicas"] == 3
    assert d.stop() == 0


def test_docker_socket_change_is_applied(daemon_factory, svc):
    """Started on a socket nothing listens on, the daemon reaches the Engine once a
    reload names the real one: its replica is created and becomes ready."""
    dead = "/tmp/dockscale-test-nosuch-" + svc + ".sock"
    d = daemon_factory(service_conf(svc, min_replicas=1),
                       daemon_extra="[docker]\nsocket = " + dead + "\n").start()
    d.wait_log(f"(socket {dead})")
    assert status(d, svc)["ready"] == 0
    d.daemon_extra = "[docker]\nsocket = /var/run/docker.sock\n"
    d.write_config(service_conf(svc, min_replicas=1))
    d.signal(signal.SIGHUP)
    d.wait_log(f"reload: [docker] socket {dead} -> /var/run/docker.sock")
    wait_ready(d, svc, 1)
    assert reloads(d, "success") == 1
    assert d.stop() == 0
