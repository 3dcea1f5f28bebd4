"""nginx upstream: health-gated membership, transactional writes, no dropped requests."""
import re
import signal
import subprocess
import threading
import time

import pytest

import dockerapi as dk
from conftest import http, wait_for
from peers import Nginx
from test_replicas import NOHC, service_conf, status, wait_ready


@pytest.fixture
def nginx(tmp_path, svc):
    n = Nginx(str(tmp_path), f"up_{svc}")
    yield n
    n.stop()


def conf(svc, nginx, nginx_opts=None, **kw):
    opts = dict(min_replicas=1, max_replicas=3, drain="2s", stop_timeout="5s",
                upstream_file=nginx.upstream_file, upstream_name=f"up_{svc}")
    opts.update(kw)
    return service_conf(svc, **opts) + nginx.nginx_section(**(nginx_opts or {}))


def servers(text):
    return sorted(re.findall(r"^\s*server (\S+);", text, re.M))


def test_upstream_follows_healthy_replicas_and_nginx_serves(daemon_factory, svc, nginx):
    d = daemon_factory(conf(svc, nginx)).start()
    s = wait_ready(d, svc, 1)
    addr = s["replicas"][0]["address"]
    wait_for(lambda: servers(nginx.upstream()) == [addr], timeout=10, what="upstream file")
    text = nginx.upstream()
    assert f"upstream up_{svc} {{" in text and "dockscaled" in text
    # The reload is asynchronous: nginx serves the replica once its master applied it.
    code, body, _ = wait_for(lambda: (r := http("GET", nginx.url + "/"))[0] == 200 and r,
                             timeout=10, what="nginx serving the replica")
    assert body.strip() == s["replicas"][0]["id"][:12]
    assert subprocess.run(nginx.argv("-t"), capture_output=True).returncode == 0
    m = d.get("/metrics")[1]
    assert f'dockscale_upstream_servers{{service="{svc}"}} 1' in m
    assert re.search(r'dockscale_nginx_reloads_total\{result="success"\} [1-9]', m)
    # The drain gate saw the master start new workers, not just the signal sent.
    assert "nginx runs the new upstream" in d.log()


def test_replica_never_joins_before_healthy(daemon_factory, svc, nginx):
    d = daemon_factory(conf(svc, nginx, image=NOHC, health_path="/nope",
                            start_timeout="3s")).start()
    seen_starting = set()
    deadline = time.monotonic() + 6
    while time.monotonic() < deadline:
        st = status(d, svc)
        for r in st["replicas"]:
            if r["state"] != "ready" and r["address"]:
                seen_starting.add(r["address"])
        in_file = set(servers(nginx.upstream()))
        assert in_file <= {"127.0.0.1:1"}, nginx.upstream()
        time.sleep(0.05)
    assert seen_starting, "no replica was ever starting"
    assert "127.0.0.1:1 down" in nginx.upstream()  # valid placeholder, never empty
    # The same image with a path that answers: it joins once healthy.
    d.write_config(conf(svc, nginx, image=NOHC, health_path="/health", start_timeout="10s"))
    d.signal(signal.SIGHUP)
    s = wait_ready(d, svc, 1, timeout=40)
    wait_for(lambda: servers(nginx.upstream()) == [s["replicas"][0]["address"]], timeout=10,
             what="healthy replica joins")


def wrk(url, seconds, keepalive):
    args = ["wrk", "-t2", "-c8", f"-d{seconds}s", "--latency"]
    if not keepalive:
        args += ["-H", "Connection: close"]
    return subprocess.Popen(args + [url], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def wrk_result(proc):
    out = proc.communicate(timeout=120)[0]
    reqs = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    sock = tuple(int(x) for x in m.groups()) if m else (0, 0, 0, 0)
    return reqs, non2xx, sock, out


def cycles(d, svc, nginx, n):
    for _ in range(n):
        assert d.post(f"/api/v1/services/{svc}/scale", body={"replicas": 3})[0] == 200
        s = wait_ready(d, svc, 3)
        want = sorted(r["address"] for r in s["replicas"])
        wait_for(lambda: servers(nginx.upstream()) == want, timeout=15, what="3 in upstream")
        assert d.post(f"/api/v1/services/{svc}/scale", body={"replicas": 1})[0] == 200
        wait_for(lambda: len(dk.containers(svc)) == 1, timeout=30, what="back to one")
        wait_for(lambda: len(servers(nginx.upstream())) == 1, timeout=15, what="1 in upstream")


@pytest.mark.parametrize("keepalive", [False, True], ids=["connection-close", "keep-alive"])
def test_no_request_dropped_across_scale_cycles(daemon_factory, svc, nginx, keepalive):
    d = daemon_factory(conf(svc, nginx)).start()
    wait_ready(d, svc, 1)
    # The file is written before nginx runs it: start the load once nginx serves.
    wait_for(lambda: all(http("GET", nginx.url + "/")[0] == 200 for _ in range(5)),
             timeout=10, what="nginx serving the first replica")
    load = wrk(nginx.url + "/", 30, keepalive)
    start = time.monotonic()
    cycles(d, svc, nginx, 2)
    assert time.monotonic() - start < 28, "cycles must finish while wrk still runs"
    reqs, non2xx, sock, out = wrk_result(load)
    reloads = int(re.search(r'dockscale_nginx_reloads_total\{result="success"\} (\d+)',
                            d.get("/metrics")[1]).group(1))
    print(f"\nwrk {'keep-alive' if keepalive else 'Connection: close'}: {reqs} requests, "
          f"{non2xx} non-2xx, socket errors {sock}, {reloads} reloads")
    assert reqs > 500, out
    assert non2xx == 0, out
    if not keepalive:
        assert sock == (0, 0, 0, 0), out


def test_failing_test_command_keeps_previous_file(daemon_factory, svc, nginx):
    d = daemon_factory(conf(svc, nginx)).start()
    s = wait_ready(d, svc, 1)
    wait_for(lambda: len(servers(nginx.upstream())) == 1, timeout=10, what="upstream")
    before = nginx.upstream()
    d.write_config(conf(svc, nginx, nginx_opts={"test": "false"}))
    d.signal(signal.SIGHUP)
    d.wait_log("reload:")
    assert d.post(f"/api/v1/services/{svc}/scale", body={"replicas": 2})[0] == 200
    wait_ready(d, svc, 2)
    wait_for(lambda: 'result="test_failed"} 0' not in d.get("/metrics")[1], timeout=10,
             what="a rejected upstream counted")
    assert nginx.upstream() == before
    assert d.get("/healthz")[0] == 200
    assert http("GET", nginx.url + "/")[0] == 200
    assert s["replicas"][0]["address"] in before


def test_hanging_reload_is_timed_out(daemon_factory, svc, nginx):
    d = daemon_factory(conf(svc, nginx, nginx_opts={"reload": "sleep 30",
                                                     "timeout": "1s"})).start()
    wait_ready(d, svc, 1)
    wait_for(lambda: 'dockscale_nginx_reloads_total{result="failure"} 0' not in
             d.get("/metrics")[1], timeout=15, what="timed-out reload counted")
    assert "timed out" in d.log() or "timeout" in d.log()
    assert d.get("/healthz")[0] == 200


def test_kill9_between_write_and_reload_then_restart_reconciles(daemon_factory, svc, nginx):
    d = daemon_factory(conf(svc, nginx)).start()
    first = wait_ready(d, svc, 1)["replicas"][0]
    wait_for(lambda: http("GET", nginx.url + "/", timeout=2)[0] == 200, timeout=10,
             what="nginx serving")
    # From now on the reload hangs: the next membership change writes and tests the
    # file, then kill -9 lands while the reload runs.
    d.write_config(conf(svc, nginx, nginx_opts={"reload": "sleep 61", "timeout": "120s"}))
    d.signal(signal.SIGHUP)
    d.wait_log("reload:")
    assert d.post(f"/api/v1/services/{svc}/scale", body={"replicas": 2})[0] == 200
    s = wait_ready(d, svc, 2)
    both = sorted(r["address"] for r in s["replicas"])
    wait_for(lambda: servers(nginx.upstream()) == both, timeout=10, what="file written")
    wait_for(lambda: "sleep 61" in subprocess.run(["ps", "-eo", "args"], capture_output=True,
                                                  text=True).stdout, timeout=10,
             what="reload running")
    d.proc.kill()
    d.proc.wait()
    subprocess.run(["pkill", "-x", "-f", "sleep 61"])
    assert subprocess.run(nginx.argv("-t"), capture_output=True).returncode == 0
    # nginx still runs the one-replica config.
    ids = {http("GET", nginx.url + "/")[1].strip() for _ in range(20)}
    assert ids == {first["id"][:12]}
    d2 = daemon_factory(conf(svc, nginx))
    d2.lock = d.lock
    d2.write_config(conf(svc, nginx))
    d2.start()
    want = {r["id"][:12] for r in s["replicas"]}
    wait_for(lambda: {http("GET", nginx.url + "/")[1].strip() for _ in range(20)} == want,
             timeout=20, what="the restart reloads nginx onto both adopted replicas")
    assert sorted(c["Id"] for c in dk.containers(svc)) == sorted(r["id"] for r in s["replicas"])


def test_crashed_replica_leaves_the_upstream(daemon_factory, svc, nginx):
    d = daemon_factory(conf(svc, nginx, min_replicas=2)).start()
    s = wait_ready(d, svc, 2)
    both = sorted(r["address"] for r in s["replicas"])
    wait_for(lambda: servers(nginx.upstream()) == both, timeout=10, what="both in upstream")
    victim = s["replicas"][0]
    dk.kill(victim["id"])
    wait_for(lambda: victim["address"] not in servers(nginx.upstream()), timeout=10,
             what="the dead replica out of the upstream")
    s = wait_ready(d, svc, 2)
    wait_for(lambda: servers(nginx.upstream()) == sorted(r["address"] for r in s["replicas"]),
             timeout=10, what="the replacement in the upstream")
