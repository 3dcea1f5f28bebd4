"""The daemon's lifecycle: HTTP basics, systemd notify, SIGHUP reload, SIGTERM, lock."""
import os
import signal
import socket
import subprocess
import time

import pytest

from conftest import BINARY, http, wait_for


def test_healthz_and_metrics(daemon_factory):
    d = daemon_factory().start()
    status, body, _ = d.get("/healthz")
    assert status == 200 and body == {"status": "ok"}
    status, text, hdrs = d.get("/metrics")
    assert status == 200
    assert hdrs["Content-Type"].startswith("text/plain")
    assert 'dockscale_build_info{version="' in text
    assert "\ndockscale_up 1\n" in text
    assert 'dockscale_config_reloads_total{result="success"} 0' in text
    assert d.stop() == 0


def test_unknown_path_and_wrong_method_are_json_errors(daemon_factory):
    d = daemon_factory().start()
    status, body, _ = d.get("/nope")
    assert status == 404 and "error" in body
    status, body, hdrs = d.post("/healthz", body={})
    assert status == 405 and "error" in body
    assert "GET" in hdrs["Allow"]
    status, body, _ = http("DELETE", d.url + "/metrics")
    assert status == 405 and "error" in body


def test_oversized_body_is_413(daemon_factory):
    d = daemon_factory().start()
    # Answered on the headers, before the body (doc/api.md, "API limits").
    status, body, _ = d.post("/healthz", headers={"Content-Length": str(2 * 1024 * 1024)})
    assert status == 413 and "error" in body
    assert d.get("/healthz")[0] == 200  # still serving


def test_notify_ready_and_stopping(daemon_factory, tmp_path):
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(10)
    try:
        d = daemon_factory(env={"NOTIFY_SOCKET": path}).start(wait=False)
        msgs = []
        while not any("READY=1" in m for m in msgs):
            msgs.append(sock.recv(4096).decode())
        assert d.get("/healthz")[0] == 200
        d.signal(signal.SIGHUP)
        while not any("RELOADING=1" in m for m in msgs):
            msgs.append(sock.recv(4096).decode())
        reload_msg = next(m for m in msgs if "RELOADING=1" in m)
        assert "MONOTONIC_USEC=" in reload_msg
        # READY=1 again once the reload is done
        while sum("READY=1" in m for m in msgs) < 2:
            msgs.append(sock.recv(4096).decode())
        d.signal(signal.SIGTERM)
        while not any("STOPPING=1" in m for m in msgs):
            msgs.append(sock.recv(4096).decode())
        assert d.proc.wait(timeout=10) == 0
    finally:
        sock.close()


def test_watchdog_pings(daemon_factory, tmp_path):
    path = str(tmp_path / "wd.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(10)
    try:
        d = daemon_factory(env={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "400000"}).start()
        got = []
        while sum("WATCHDOG=1" in m for m in got) < 2:
            got.append(sock.recv(4096).decode())
        d.stop()
    finally:
        sock.close()


def test_sighup_bad_config_keeps_running_then_good_config_applies(daemon_factory, tmp_path):
    d = daemon_factory("[service a]\nimage = demo:1\nmetric = none\nmin_replicas = 0\n"
                       f"upstream_file = {tmp_path}/ds-a.conf\n").start()
    # A broken file: every problem logged with FILE:LINE, the old config kept.
    with open(d.path, "a") as f:
        f.write("bogus_key = 1\nscale_up_threshold = abc\n")
    d.signal(signal.SIGHUP)
    d.wait_log("keeping the running configuration")
    log = d.log()
    assert f"{d.path}:" in log and "bogus_key" in log and "scale_up_threshold" in log
    assert d.get("/healthz")[0] == 200
    metrics = d.get("/metrics")[1]
    assert 'dockscale_config_reloads_total{result="failure"} 1' in metrics
    assert "dockscale_services 1" in metrics
    # A good file with two services is swapped in.
    d.write_config("[service a]\nimage = demo:1\nmetric = none\nmin_replicas = 0\n"
                   f"upstream_file = {tmp_path}/ds-a.conf\n"
                   "[service b]\nimage = demo:1\nmetric = none\nmin_replicas = 0\n"
                   f"upstream_file = {tmp_path}/ds-b.conf\n")
    d.signal(signal.SIGHUP)
    wait_for(lambda: 'dockscale_config_reloads_total{result="success"} 1' in d.get("/metrics")[1],
             what="successful reload")
    assert "dockscale_services 2" in d.get("/metrics")[1]
    assert d.stop() == 0


def test_sighup_moves_listen_address(daemon_factory):
    from conftest import free_port
    d = daemon_factory().start()
    new = free_port()
    d.write_config("", listen_port=new)
    d.signal(signal.SIGHUP)
    wait_for(lambda: http("GET", f"http://127.0.0.1:{new}/healthz", timeout=1)[0] == 200,
             what="API on the new port")
    with pytest.raises(Exception):
        http("GET", d.url + "/healthz", timeout=1)
    d.proc.send_signal(signal.SIGTERM)
    assert d.proc.wait(timeout=10) == 0


def test_sigterm_and_sigint_exit_zero(daemon_factory):
    for sig in (signal.SIGTERM, signal.SIGINT):
        d = daemon_factory().start()
        d.signal(sig)
        assert d.proc.wait(timeout=10) == 0


def test_second_instance_exits_naming_the_holder(daemon_factory):
    first = daemon_factory().start()
    second = daemon_factory()
    second.lock = first.lock
    second.write_config("")
    second.start(wait=False)
    assert second.proc.wait(timeout=10) == 1
    assert f"pid {first.proc.pid}" in second.log()
    # --dry-run takes no lock, so it can shadow the running daemon.
    shadow = daemon_factory(args=["--dry-run"])
    shadow.lock = first.lock
    shadow.write_config("")
    shadow.start()
    assert shadow.stop() == 0
    assert first.stop() == 0


def test_once_exits_after_one_pass(daemon_factory):
    d = daemon_factory(args=["--once"]).start(wait=False)
    assert d.proc.wait(timeout=20) == 0


def test_journal_prefixes_when_stderr_is_the_journal_stream(tmp_path):
    conf = tmp_path / "j.conf"
    conf.write_text(f"[daemon]\nlisten = 127.0.0.1:0\nlock_file = {tmp_path}/j.lock\n")
    logf = open(tmp_path / "j.log", "wb")
    st = os.fstat(logf.fileno())
    env = dict(os.environ, JOURNAL_STREAM=f"{st.st_dev}:{st.st_ino}")
    p = subprocess.Popen([BINARY, "-c", str(conf), "--once"], stderr=logf, env=env)
    assert p.wait(timeout=20) == 0
    logf.close()
    lines = (tmp_path / "j.log").read_text().splitlines()
    assert lines and all(l[0] == "<" and l[2] == ">" for l in lines), lines
    assert any(l.startswith("<4>") for l in lines)  # the no-service warning
    # A stale JOURNAL_STREAM (not our stderr) must not add prefixes.
    logf = open(tmp_path / "k.log", "wb")
    env = dict(os.environ, JOURNAL_STREAM="1:1")
    p = subprocess.Popen([BINARY, "-c", str(conf), "--once"], stderr=logf, env=env)
    assert p.wait(timeout=20) == 0
    logf.close()
    assert not (tmp_path / "k.log").read_text().startswith("<")


def test_passes_count_lists_that_reached_the_services(daemon_factory, svc):
    """dockscale_passes_total and a service's "passes" (what tests wait on before they say
    nothing happened, doc/testing.md): a container list handed to the services is a
    pass; a list the Engine did not answer is not."""
    from test_replicas import service_conf, status
    dead = f"/tmp/dockscale-test-nosuch-{svc}.sock"
    d = daemon_factory(service_conf(svc), args=["--dry-run"],
                       daemon_extra=f"[docker]\nsocket = {dead}\n").start()

    def errors():
        text = d.get("/metrics")[1]
        return int(text.split("\ndockscale_docker_errors_total ")[1].split()[0])
    # Lists fail all along: not one pass, in the API or /metrics.
    wait_for(lambda: (d.passes() == 0 and status(d, svc)["passes"] == 0 or
                      pytest.fail(f"a pass counted without the Engine: {d.passes()}"))
             and errors() >= 3, timeout=20, what="three failed Docker calls")
    d.daemon_extra = "[docker]\nsocket = /var/run/docker.sock\n"
    d.write_config(service_conf(svc))
    d.signal(signal.SIGHUP)
    first = wait_for(d.passes, timeout=15, what="a first pass")
    done = d.wait_passes(2)
    assert done >= first + 3
    assert done <= status(d, svc)["passes"] <= d.passes()
