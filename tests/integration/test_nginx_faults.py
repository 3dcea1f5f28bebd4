"""nginx faults: a failed sync is retried until it lands, and nothing nginx may still
route to is stopped meanwhile (doc/balancers.md, "nginx upstream")."""
import os
import re
import signal
import stat
import subprocess
import time

import pytest

import conftest
import dockerapi as dk
from conftest import http, wait_for
from peers import Nginx
from test_nginx import conf, servers
from test_replicas import status, wait_ready


@pytest.fixture
def nginx(tmp_path, svc):
    n = Nginx(str(tmp_path), f"up_{svc}")
    yield n
    n.stop()


def failing_test(tmp, nginx):
    """A test_command that fails while its flag file exists, else runs nginx -t."""
    flag = os.path.join(tmp, "nginx-test-fails")
    script = os.path.join(tmp, "nginx-test.sh")
    with open(script, "w") as f:
        f.write(f"#!/bin/sh\nif [ -e {flag} ]; then echo 'injected failure' >&2; exit 1; fi\n"
                f"exec {nginx.command('-t')}\n")
    os.chmod(script, 0o755)
    return script, flag


def metric(d, name, svc):
    m = re.search(rf'^{name}{{service="{svc}"}} (\S+)$', d.get("/metrics")[1], re.M)
    return float(m.group(1)) if m else None


def failures(d, svc):
    return metric(d, "dockscale_balancer_sync_failures_total", svc) or 0


def rejected(d):
    """test_command refusals (a counter older than the retry: the waits below use it so
    that the same test, run against the unfixed daemon, fails on behaviour)."""
    m = re.search(r'dockscale_nginx_reloads_total\{result="test_failed"\} (\d+)',
                  d.get("/metrics")[1])
    return int(m.group(1)) if m else 0


def test_failed_test_is_retried_until_the_file_converges(daemon_factory, svc, nginx, tmp_path):
    script, flag = failing_test(str(tmp_path), nginx)
    d = daemon_factory(conf(svc, nginx, nginx_opts={"test": script})).start()
    wait_ready(d, svc, 1)
    wait_for(lambda: len(servers(nginx.upstream())) == 1, timeout=10, what="upstream")
    open(flag, "w").close()
    assert d.post(f"/api/v1/services/{svc}/scale", body={"replicas": 2})[0] == 200
    s = wait_ready(d, svc, 2)
    both = sorted(r["address"] for r in s["replicas"])
    wait_for(lambda: rejected(d) >= 1, timeout=10, what="a rejected upstream counted")
    assert len(servers(nginx.upstream())) == 1  # the rejected file was restored
    # The cause goes away; nothing else changes: no membership change, no SIGHUP.
    os.unlink(flag)
    wait_for(lambda: servers(nginx.upstream()) == both, timeout=20,
             what="the file converges on its own")
    want = {r["id"][:12] for r in s["replicas"]}
    wait_for(lambda: {http("GET", nginx.url + "/")[1].strip() for _ in range(20)} == want,
             timeout=10, what="nginx serving both")
    wait_for(lambda: metric(d, "dockscale_balancer_in_sync", svc) == 1, timeout=10,
             what="in sync again")
    assert failures(d, svc) >= 1
    assert status(d, svc)["balancer"]["in_sync"] is True


@pytest.fixture
def small_disk(nginx):
    """nginx's conf.d on a tiny tmpfs of its own (the test runs as root)."""
    confd = os.path.dirname(nginx.upstream_file)
    with open(nginx.upstream_file) as f:
        text = f.read()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", confd], check=True)
    try:
        with open(nginx.upstream_file, "w") as f:
            f.write(text)
        yield confd
    finally:
        subprocess.run(["umount", "-l", confd], check=False)


def fill(directory):
    path = os.path.join(directory, "filler.bin")  # not *.conf: nginx does not read it
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        while True:
            os.write(fd, b"\0" * 1024)
    except OSError:
        pass
    finally:
        os.close(fd)
    return path


def test_full_disk_is_retried_after_space_is_freed(daemon_factory, svc, nginx, small_disk):
    filler = fill(small_disk)
    d = daemon_factory(conf(svc, nginx)).start()
    s = wait_ready(d, svc, 1)
    d.wait_log("No space left on device")
    assert "127.0.0.1:1 down" in nginx.upstream()  # the fixture's file, untouched
    os.unlink(filler)
    wait_for(lambda: servers(nginx.upstream()) == [s["replicas"][0]["address"]], timeout=20,
             what="the file written once there is space")
    wait_for(lambda: http("GET", nginx.url + "/")[0] == 200, timeout=10, what="nginx serving")


def test_scale_down_waits_while_nginx_cannot_be_updated(daemon_factory, svc, nginx, tmp_path):
    script, flag = failing_test(str(tmp_path), nginx)
    d = daemon_factory(conf(svc, nginx, drain="0s",
                            nginx_opts={"test": script})).start()
    assert d.post(f"/api/v1/services/{svc}/scale", body={"replicas": 2})[0] == 200
    s = wait_ready(d, svc, 2)
    both = sorted(r["address"] for r in s["replicas"])
    wait_for(lambda: servers(nginx.upstream()) == both, timeout=10, what="both in upstream")
    ids = {r["id"] for r in s["replicas"]}
    open(flag, "w").close()
    assert d.post(f"/api/v1/services/{svc}/scale", body={"replicas": 1})[0] == 200
    # nginx still routes to both: neither may be stopped for the whole window.
    saw_why = False
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline:
        running = {c["Id"] for c in dk.running(svc)}
        assert running == ids, "a replica nginx may still route to was stopped"
        st = status(d, svc)
        draining = [r for r in st["replicas"] if r["state"] == "draining"]
        if (draining and draining[0].get("waiting_for") == "balancer"
                and st["balancer"]["in_sync"] is False
                and metric(d, "dockscale_balancer_in_sync", svc) == 0):
            saw_why = True
        time.sleep(0.1)
    assert saw_why, status(d, svc)
    assert servers(nginx.upstream()) == both
    os.unlink(flag)
    wait_ready(d, svc, 1, timeout=40)
    wait_for(lambda: len(dk.running(svc)) == 1, timeout=30, what="the scale-down completes")
    kept = dk.running(svc)[0]["Id"]
    wait_for(lambda: servers(nginx.upstream()) == [a for r in s["replicas"] if r["id"] == kept
                                                   for a in [r["address"]]],
             timeout=10, what="the upstream without the removed replica")


def test_failed_test_without_previous_file_leaves_no_file(daemon_factory, svc, nginx, tmp_path):
    path = os.path.join(os.path.dirname(nginx.upstream_file), f"new_{svc}.conf")
    d = daemon_factory(conf(svc, nginx, upstream_file=path, upstream_name=f"new_{svc}",
                            nginx_opts={"test": "false"})).start()
    wait_ready(d, svc, 1)
    wait_for(lambda: rejected(d) >= 1, timeout=10, what="a rejected upstream")
    # The next retry comes a second later at the earliest: look before it.
    assert not os.path.lexists(path), "the rejected (or a placeholder) file was left"
    assert subprocess.run(nginx.argv("-t"), capture_output=True).returncode == 0


def test_upstream_file_moved_by_reload_removes_the_old_one(daemon_factory, svc, nginx):
    d = daemon_factory(conf(svc, nginx)).start()
    s = wait_ready(d, svc, 1)
    addr = s["replicas"][0]["address"]
    wait_for(lambda: servers(nginx.upstream()) == [addr], timeout=10, what="upstream")
    old = nginx.upstream_file
    new = os.path.join(os.path.dirname(old), f"moved_{svc}.conf")
    d.write_config(conf(svc, nginx, upstream_file=new))
    d.signal(signal.SIGHUP)
    wait_for(lambda: os.path.exists(new) and not os.path.exists(old), timeout=10,
             what="the old file removed, the new one written")
    with open(new) as f:
        assert servers(f.read()) == [addr]
    r = subprocess.run(nginx.argv("-t"), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr  # no two files declare the same upstream
    wait_for(lambda: metric(d, "dockscale_balancer_in_sync", svc) == 1, timeout=10,
             what="in sync")
    assert http("GET", nginx.url + "/")[0] == 200


def healthz_fast(d):
    t0 = time.monotonic()
    ok = d.get("/healthz", timeout=2)[0] == 200
    return ok and time.monotonic() - t0 < 1.0


def test_symlink_at_upstream_file_is_refused(daemon_factory, svc, nginx, tmp_path):
    target = os.path.join(str(tmp_path), "elsewhere.conf")
    with open(nginx.upstream_file) as f:
        text = f.read()
    with open(target, "w") as f:
        f.write(text)
    os.unlink(nginx.upstream_file)
    os.symlink(target, nginx.upstream_file)
    d = daemon_factory(conf(svc, nginx)).start()
    wait_ready(d, svc, 1)
    # Syncs run at once and then on every retry: the link stays, its target untouched.
    deadline = time.monotonic() + 4
    while time.monotonic() < deadline:
        assert stat.S_ISLNK(os.lstat(nginx.upstream_file).st_mode), "the link was replaced"
        with open(target) as f:
            assert f.read() == text
        time.sleep(0.05)
    assert failures(d, svc) >= 1
    assert "symbolic link" in d.log()
    assert healthz_fast(d)


def test_fifo_at_upstream_file_is_refused_without_blocking(daemon_factory, svc, nginx):
    os.unlink(nginx.upstream_file)
    os.mkfifo(nginx.upstream_file)
    d = daemon_factory(conf(svc, nginx)).start()
    # The loop answers throughout: a blocking open would hang /healthz from the first sync.
    deadline = time.monotonic() + 6
    while time.monotonic() < deadline:
        assert healthz_fast(d), "the loop is blocked"
        time.sleep(0.1)
    wait_ready(d, svc, 1)
    wait_for(lambda: failures(d, svc) >= 1, timeout=10, what="the sync refused")
    assert "not a regular file" in d.log()
    assert stat.S_ISFIFO(os.lstat(nginx.upstream_file).st_mode)


@pytest.fixture
def nginx_nobody(tmp_path, svc):
    n = Nginx(str(tmp_path), f"up_{svc}", user="nobody nogroup")
    yield n
    n.stop()


def test_hidden_workers_are_not_read_as_retired(daemon_factory, svc, nginx_nobody, tmp_path,
                                                monkeypatch):
    """/proc mounted hidepid=invisible (what ProtectProc=invisible does) and a daemon
    that may not see other users' processes: nginx's workers (user nobody) vanish from
    its view. Their absence must not start the drain clock."""
    nginx = nginx_nobody
    wrapper = os.path.join(str(tmp_path), "blind.sh")
    with open(wrapper, "w") as f:
        f.write("#!/bin/sh\nexec unshare -m --propagation private sh -c "
                "'mount -t proc -o hidepid=invisible proc /proc && exec setpriv "
                "--regid=65534 --clear-groups --inh-caps=-sys_ptrace "
                f"--bounding-set=-sys_ptrace {conftest.BINARY} \"$@\"' blind \"$@\"\n")
    os.chmod(wrapper, 0o755)
    monkeypatch.setattr(conftest, "BINARY", wrapper)
    d = daemon_factory(conf(svc, nginx, drain="0s", nginx_opts={"timeout": "5s"})).start()
    assert d.post(f"/api/v1/services/{svc}/scale", body={"replicas": 2})[0] == 200
    s = wait_ready(d, svc, 2)
    both = sorted(r["address"] for r in s["replicas"])
    wait_for(lambda: servers(nginx.upstream()) == both, timeout=10, what="both in upstream")
    d.wait_log("holds 2 server(s)", timeout=15)
    ids = {r["id"] for r in s["replicas"]}
    t0 = time.monotonic()
    assert d.post(f"/api/v1/services/{svc}/scale", body={"replicas": 1})[0] == 200
    # Without sight of the workers the reload counts only after `timeout` (5 s): until
    # then no replica is stopped.
    while time.monotonic() - t0 < 4.0:
        assert {c["Id"] for c in dk.running(svc)} == ids, \
            f"stopped {time.monotonic() - t0:.2f}s after the scale-down"
        time.sleep(0.05)
    wait_for(lambda: len(dk.running(svc)) == 1, timeout=30, what="the scale-down completes")
    assert "not its workers" in d.log()
    assert "nginx runs the new upstream" not in d.log()
