"""Shared fixtures: run the built dockscaled against real peers, each test isolated."""
import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("DOCKSCALED", os.path.join(ROOT, "build", "dockscaled"))


# Ports the tests listen on: a range of its own per pytest-xdist worker, below the
# kernel's ephemeral range (32768-60999 by default), so no two workers can draw the same
# port and no outgoing connection or docker-proxy (which take ephemeral ports) can grab
# one between free_port() and the bind. A random start inside the range and a bind check
# keep two suites on one machine apart too (doc/testing.md).
PORT_BASE, PORT_SPAN, PORT_WORKERS = 20000, 1500, 8


def _worker_index():
    w = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(w[2:]) % PORT_WORKERS if w[2:].isdigit() else 0


_next_port = [int.from_bytes(os.urandom(2), "little") % PORT_SPAN]


def free_port():
    base = PORT_BASE + _worker_index() * PORT_SPAN
    for _ in range(PORT_SPAN):
        port = base + _next_port[0] % PORT_SPAN
        _next_port[0] += 1
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))  # no SO_REUSEADDR: a TIME_WAIT port is skipped
            except OSError:
                continue
        return port
    raise AssertionError(f"no free port in {base}-{base + PORT_SPAN - 1}")


def wait_for(cond, timeout=10.0, interval=0.05, what="condition"):
    """Poll cond() until it returns a truthy value; fail with `what` at the deadline."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = cond()
            if last:
                return last
        except Exception as e:  # the peer may not be up yet
            last = e
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def http(method, url, body=None, headers=None, timeout=5.0):
    """Return (status, parsed-or-raw body, headers) without raising on HTTP errors."""
    data = body if body is None or isinstance(body, bytes) else json.dumps(body).encode()
    headers = dict(headers or {})
    if data is not None and not any(k.lower() == "content-type" for k in headers):
        # Every POST body is JSON (doc/api.md, "API limits"); urllib's default is a form.
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            status, raw, hdrs = r.status, r.read(), r.headers
    except urllib.error.HTTPError as e:
        status, raw, hdrs = e.code, e.read(), e.headers
    try:
        return status, json.loads(raw), hdrs
    except ValueError:
        return status, raw.decode(errors="replace"), hdrs


class Daemon:
    """One dockscaled process with its own config, port, lock file and log."""

    def __init__(self, tmp, config_body, name="d", daemon_extra="", args=(), env=None):
        self.tmp = tmp
        self.port = free_port()
        self.lock = os.path.join(tmp, f"{name}.lock")
        self.path = os.path.join(tmp, f"{name}.conf")
        self.logpath = os.path.join(tmp, f"{name}.log")
        self.daemon_extra = daemon_extra
        self.write_config(config_body)
        self.args = list(args)
        self.env = dict(os.environ)
        self.env.pop("NOTIFY_SOCKET", None)
        self.env.pop("JOURNAL_STREAM", None)
        self.env.update(env or {})
        self.proc = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def daemon_section(self, listen_port=None):
        # Tests without an nginx of their own get commands that always succeed.
        nginx = "" if "[nginx]" in self.body else \
            "[nginx]\ntest_command = true\nreload_command = true\npid_file =\n"
        return (f"[daemon]\nlisten = 127.0.0.1:{listen_port or self.port}\n"
                f"lock_file = {self.lock}\ninterval = 1s\nlog_level = debug\n"
                f"{self.daemon_extra}{nginx}")

    def write_config(self, body, listen_port=None):
        self.body = body
        text = self.daemon_section(listen_port) + body
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.rename(tmp, self.path)

    def start(self, wait=True):
        self.logf = open(self.logpath, "ab")
        self.proc = subprocess.Popen([BINARY, "-c", self.path] + self.args,
                                     stdout=self.logf, stderr=subprocess.STDOUT, env=self.env)
        if wait:
            wait_for(self.healthy, timeout=10, what=f"dockscaled /healthz on {self.port}")
        return self

    def healthy(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"dockscaled exited {self.proc.returncode}:\n{self.log()}")
        return http("GET", self.url + "/healthz", timeout=1)[0] == 200

    def log(self):
        with open(self.logpath, "rb") as f:
            return f.read().decode(errors="replace")

    def passes(self):
        """Reconcile passes the daemon has completed (dockscale_passes_total)."""
        code, text, _ = self.get("/metrics", timeout=5)
        m = re.search(r"^dockscale_passes_total (\d+)$", text if code == 200 else "", re.M)
        if m is None:
            raise AssertionError(f"no dockscale_passes_total in /metrics ({code})")
        return int(m.group(1))

    def wait_passes(self, n=2, hold=None, seconds=0.0, timeout=None, what="nothing"):
        """Wait for n whole reconcile passes after this call: the pass in flight may have
        listed the containers before the caller's action, so it does not count. With
        `hold`, a check that must stay true all along (the way to say "nothing happened"):
        polled throughout, it fails the moment it does not hold; `seconds` makes the
        window at least that long as well (for what a timer, not a pass, would do)."""
        start = time.monotonic()
        want = self.passes() + 1 + n
        timeout = timeout if timeout is not None else seconds + 15 + 3 * n

        def holds():
            assert hold is None or hold(), \
                f"{what} did not hold ({time.monotonic() - start:.1f}s into the window)"
        while True:
            holds()
            done = self.passes()
            if done >= want and time.monotonic() - start >= seconds:
                holds()  # what the last pass did, too
                return done
            if time.monotonic() - start > timeout:
                raise AssertionError(f"{n} passes did not complete in {timeout}s "
                                     f"({done} of {want}): is the daemon stuck?")
            time.sleep(0.1)

    def wait_log(self, text, timeout=10):
        return wait_for(lambda: text in self.log(), timeout=timeout, what=f"log line {text!r}")

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=15):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("dockscaled did not exit on SIGTERM")
        finally:
            self.logf.close()

    def get(self, path, **kw):
        return http("GET", self.url + path, **kw)

    def post(self, path, body=None, **kw):
        return http("POST", self.url + path, body=body, **kw)


@pytest.fixture
def daemon_factory(tmp_path):
    made = []

    def make(config_body="", **kw):
        d = Daemon(str(tmp_path), config_body, name=f"d{len(made)}", **kw)
        made.append(d)
        return d

    def kill_all():
        for d in made:
            if d.proc is not None and d.proc.poll() is None:
                d.proc.kill()
                d.proc.wait()

    make.kill_all = kill_all
    yield make
    kill_all()
    # A replica's state changes only through the table of allowed moves (doc/architecture.md,
    # "Owners"); a move it refused, anywhere in any test, is a bug in the daemon.
    for d in made:
        if os.path.exists(d.logpath):
            bad = [line for line in d.log().splitlines() if REFUSED_MOVE in line]
            assert not bad, f"{d.logpath}: a replica's state move was refused:\n" + "\n".join(bad)


# Side by side (doc/testing.md): `make integration` runs the suite in pytest-xdist
# workers (-n, --dist loadgroup), then the tests marked `alone` one after the other with
# nothing else of the suite beside them. Alone: a test that restarts dockerd, or bounds
# the daemon's latency, CPU or memory (a neighbour's load would fail it, not a bug), or
# lowers its fd limit under a flood. The Swarm labs share fixed namespace, bridge and
# path names (swarmlab.py): their modules run alone too.
# What replica_set_state logs for a move its table does not allow (src/replica.c).
REFUSED_MOVE = "not a move a replica makes"

ALONE_WHY = "marked alone: `make integration` runs it after the parallel pass (pytest -m alone)"
# Modules whose module-scoped fixture takes seconds (a daemon with its replicas, a
# registry with pushed images): each one's tests stay on one worker, so it is made once.
GROUPED_MODULES = ("test_ctl", "test_registry", "test_labels")


def pytest_configure(config):
    config.addinivalue_line("markers", "alone: run with no other test of the suite beside "
                            "it (dockerd restart, latency/CPU/memory bounds, fd limits)")


def pytest_collection_modifyitems(config, items):
    in_worker = "PYTEST_XDIST_WORKER" in os.environ
    for item in items:
        mod = item.module.__name__
        if mod in GROUPED_MODULES:
            item.add_marker(pytest.mark.xdist_group(mod))
        if in_worker and item.get_closest_marker("alone") is not None:
            item.add_marker(pytest.mark.skip(reason=ALONE_WHY))


TEST_SERVICE = re.compile(r"^[a-z][0-9a-f]{8}$")


# A leftover of an interrupted run is older than any test: a younger container may be
# another suite's on the same engine (TESTING.md, "Tests side by side").
LEFTOVER_AGE_S = 1800


def _remove_test_containers():
    import dockerapi as dk
    # Several suites sharing one engine (parallel work trees) must not remove each
    # other's containers; every test still cleans up its own service by name.
    if os.environ.get("DOCKSCALE_TEST_SHARED_ENGINE") or not dk.ping():
        return
    for c in dk.containers():
        if (TEST_SERVICE.match(c.get("Labels", {}).get(dk.LABEL, "")) and
                time.time() - c.get("Created", 0) > LEFTOVER_AGE_S):
            dk.remove(c["Id"])


@pytest.fixture(scope="session", autouse=True)
def no_leftover_test_containers():
    """Containers of earlier, interrupted runs must not leak into this one."""
    _remove_test_containers()
    yield
    _remove_test_containers()


@pytest.fixture
def svc(daemon_factory):
    """A unique service name; the test's daemons are stopped before its containers are
    removed (else a daemon would replace them), before and after the test."""
    import dockerapi as dk
    name = "t" + uuid.uuid4().hex[:8]
    dk.cleanup(name)
    yield name
    daemon_factory.kill_all()
    dk.cleanup(name)


def run(args, **kw):
    return subprocess.run([BINARY] + args, capture_output=True, text=True, timeout=30, **kw)
