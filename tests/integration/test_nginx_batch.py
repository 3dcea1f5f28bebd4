"""One reload for many services: services behind one nginx that change in the same moment
share one `nginx -t` and one reload, and a file the test refuses is put back without
costing the other services theirs (doc/balancers.md, "One reload for many services")."""
import os
import re
import threading
import time
import uuid

import pytest

import dockerapi as dk
from conftest import http, wait_for
from peers import Nginx
from test_nginx import servers
from test_replicas import NOHC, service_conf, status, wait_ready
from test_webhook import alert, payload


@pytest.fixture
def svc2(svc):
    """A second service of the test (a name the session's cleanup matches too)."""
    name = "t" + uuid.uuid4().hex[:8]
    dk.cleanup(name)
    yield name
    dk.cleanup(name)


def two_services(svc, svc2, nginx, test=None):
    """svc proxied by the test's nginx; svc2's upstream file in the same conf.d."""
    other = os.path.join(os.path.dirname(nginx.upstream_file), f"up_{svc2}.conf")
    with open(other, "w") as f:
        f.write(f"upstream up_{svc2} {{\n    server 127.0.0.1:1 down;\n}}\n")
    opts = dict(image=NOHC, min_replicas=1, max_replicas=3, drain="0s", stop_timeout="2s",
                scale_up_cooldown="0s", scale_down_cooldown="0s")
    body = (service_conf(svc, upstream_file=nginx.upstream_file, upstream_name=f"up_{svc}",
                         **opts)
            + service_conf(svc2, upstream_file=other, upstream_name=f"up_{svc2}", **opts)
            + nginx.nginx_section(test=test))
    return body, other


def counter(d, name):
    m = re.search(rf"^{name} (\S+)$", d.get("/metrics")[1], re.M)
    return float(m.group(1)) if m else 0.0


def reloads(d):
    return counter(d, r'dockscale_nginx_reloads_total\{result="success"\}')


def at(d, svc, path, n):
    """n ready replicas, all of them in the upstream file, nothing else in Docker."""
    def ok():
        s = status(d, svc)
        want = sorted(r["address"] for r in s["replicas"])
        with open(path) as f:
            text = f.read()
        return (s["ready"] == n and len(s["replicas"]) == n and len(dk.containers(svc)) == n
                and servers(text) == want and s)
    return wait_for(ok, timeout=60, interval=0.2, what=f"{svc} at {n} in {path}")


def both_down(d, svc, svc2):
    """One webhook: a scale_down alert for each, handled in one request."""
    code, out, _ = d.post("/api/v1/alerts", body=payload(
        [alert(svc, "scale_down", fp="a"), alert(svc2, "scale_down", fp="b")]))
    assert code == 200 and out["stepped"] == 2, out


def test_two_services_scaled_at_once_one_reload(daemon_factory, svc, svc2, tmp_path):
    nginx = Nginx(str(tmp_path), f"up_{svc}")
    try:
        body, other = two_services(svc, svc2, nginx)
        d = daemon_factory(body).start()
        for s in (svc, svc2):
            assert d.post(f"/api/v1/services/{s}/scale", body={"replicas": 2})[0] == 200
        at(d, svc, nginx.upstream_file, 2)
        at(d, svc2, other, 2)
        time.sleep(1.0)  # any sync still running (a replica's stop) is done
        r0, s0 = reloads(d), counter(d, "dockscale_nginx_reload_syncs_total")
        both_down(d, svc, svc2)
        at(d, svc, nginx.upstream_file, 1)
        at(d, svc2, other, 1)
        time.sleep(1.0)
        # both files changed and were applied by the same reload
        assert reloads(d) - r0 == 1, d.log()[-3000:]
        assert counter(d, "dockscale_nginx_reload_syncs_total") - s0 == 2
        assert "nginx runs the new upstream" in d.log()
        code, body, _ = wait_for(lambda: (r := http("GET", nginx.url + "/"))[0] == 200 and r,
                                 timeout=10, what="nginx serving")
        assert body.strip() == status(d, svc)["replicas"][0]["id"][:12]
    finally:
        nginx.stop()


class Poll(threading.Thread):
    """GET through nginx in a loop until stopped: every answer that is not 2xx."""

    def __init__(self, url):
        super().__init__(daemon=True)
        self.url, self.bad, self.n = url, [], 0
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            try:
                code, _, _ = http("GET", self.url, timeout=5)
            except OSError as e:
                code = repr(e)
            self.n += 1
            if not (isinstance(code, int) and 200 <= code < 300):
                self.bad.append(code)
            time.sleep(0.005)


def test_batch_with_a_broken_file_keeps_the_others(daemon_factory, svc, svc2, tmp_path):
    """svc2's new file is refused by the test (which names it, as nginx does): it gets its
    previous file back and is retried; svc's change, in the same batch, is applied and
    served, with no non-2xx answer through svc's upstream at any moment."""
    nginx = Nginx(str(tmp_path), f"up_{svc}")
    flag = os.path.join(str(tmp_path), "refuse-svc2")
    other = os.path.join(os.path.dirname(nginx.upstream_file), f"up_{svc2}.conf")
    script = os.path.join(str(tmp_path), "nginx-test.sh")
    with open(script, "w") as f:
        # refuses svc2's file once it is down to one server, while the flag exists
        f.write(f"#!/bin/sh\nif [ -e {flag} ] && [ $(grep -c '^ *server ' {other}) -lt 2 ]; "
                f"then echo \"nginx: [emerg] injected failure in {other}:3\" >&2; exit 1; fi\n"
                f"exec {nginx.command('-t')}\n")
    os.chmod(script, 0o755)
    poll = None
    try:
        body, _ = two_services(svc, svc2, nginx, test=script)
        d = daemon_factory(body).start()
        for s in (svc, svc2):
            assert d.post(f"/api/v1/services/{s}/scale", body={"replicas": 2})[0] == 200
        at(d, svc, nginx.upstream_file, 2)
        s2 = at(d, svc2, other, 2)
        time.sleep(1.0)
        with open(other) as f:
            before = f.read()
        poll = Poll(nginx.url + "/")
        poll.start()
        open(flag, "w").close()
        r0 = reloads(d)
        both_down(d, svc, svc2)
        at(d, svc, nginx.upstream_file, 1)
        d.wait_log("injected failure", timeout=15)
        # svc2 keeps its previous file (both replicas, one of them draining) all along
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:
            with open(other) as f:
                assert f.read() == before
            time.sleep(0.05)
        s2 = status(d, svc2)
        assert s2["balancer"]["in_sync"] is False
        assert len(dk.running(svc2)) == 2  # the leaving one waits for the balancer
        assert reloads(d) - r0 == 1  # svc's change, re-tested without svc2's file
        assert "testing the others' files again without it" in d.log()
        # fixed: svc2's retry lands
        os.unlink(flag)
        at(d, svc2, other, 1)
        time.sleep(0.5)
        poll.stopping.set()
        poll.join(10)
        assert poll.n > 50 and poll.bad == [], poll.bad[:10]
    finally:
        if poll is not None:
            poll.stopping.set()
        nginx.stop()
