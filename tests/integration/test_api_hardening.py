"""The HTTP API under abuse (doc/api.md, "API limits"): slow and oversized requests, a
flood from one or many addresses, NUL in paths, cross-site and rebinding requests,
unauthenticated uploads, the bearer scheme."""
import json
import os
import socket
import threading
import time

import pytest

from conftest import http, run, wait_for
from test_replicas import service_conf, status

TOKEN = "hardening-token"
JSON = {"Content-Type": "application/json"}
HEADERS_MAX, BODY_MAX = 5.0, 5.0  # doc/api.md, "API limits"
PER_IP = 64


def dry_daemon(daemon_factory, svc, token=None, tmp=None, **kw):
    """A service that never touches Docker (--dry-run), bounds [0, 3]."""
    extra = ""
    if token:
        path = os.path.join(tmp, "token")
        with open(path, "w") as f:
            f.write(token + "\n")
        extra = f"token_file = {path}\n"
    conf = service_conf(svc, min_replicas=0, max_replicas=3, **kw)
    return daemon_factory(conf, daemon_extra=extra, args=["--dry-run"]).start()


def raw(port, data, src="127.0.0.1", timeout=10.0):
    """Send data on a fresh connection; return (seconds until the server answered or
    closed, what it sent)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                 source_address=(src, 0))
    try:
        t0 = time.monotonic()
        s.sendall(data)
        got = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
            if b"\r\n\r\n" in got:
                head, _, body = got.partition(b"\r\n\r\n")
                n = [int(line.split(b":")[1]) for line in head.split(b"\r\n")
                     if line.lower().startswith(b"content-length:")]
                if n and len(body) >= n[0]:
                    break
        return time.monotonic() - t0, got
    finally:
        s.close()


def status_of(reply):
    head, _, body = reply.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), json.loads(body)


def closed_after(port, first, then=None, every=0.5, limit=15.0):
    """Send first, then one byte of `then` every `every` s; return the seconds until
    the server closed (or answered), failing at `limit`."""
    s = socket.create_connection(("127.0.0.1", port), timeout=every)
    try:
        t0 = time.monotonic()
        s.sendall(first)
        i = 0
        while time.monotonic() - t0 < limit:
            try:
                if s.recv(4096) == b"":
                    return time.monotonic() - t0
                return time.monotonic() - t0  # answered: not held either
            except socket.timeout:
                pass
            except OSError:
                return time.monotonic() - t0
            if then:
                try:
                    s.send(then[i % len(then):i % len(then) + 1])
                except OSError:
                    return time.monotonic() - t0
                i += 1
        raise AssertionError(f"connection still held after {limit}s")
    finally:
        s.close()


def test_trickled_request_is_cut(daemon_factory):
    d = daemon_factory().start()
    # Headers one byte every 0.5 s: idle never, but never complete either.
    t = closed_after(d.port, b"GET /healthz HTTP/1.1\r\n", b"X-Slow: aaaaaaaa\r\n")
    assert t < HEADERS_MAX + 3, t
    # Whole headers, then the body one byte every 0.5 s.
    t = closed_after(d.port, b"POST /api/v1/alerts HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n", b" ")
    assert t < BODY_MAX + 3, t
    assert d.get("/healthz")[0] == 200


def test_garbage_request_line_is_closed_quickly(daemon_factory):
    d = daemon_factory().start()
    for junk in (b"\x00\x01\x02 garbage\r\n\r\n", b"GARBAGE"):
        t, _ = raw(d.port, junk, timeout=HEADERS_MAX + 3)
        assert t < HEADERS_MAX + 3, (junk, t)


def test_declared_oversized_body_is_413_at_once(daemon_factory, svc):
    d = dry_daemon(daemon_factory, svc)
    for path in ("/api/v1/alerts", f"/api/v1/services/{svc}/scale", "/healthz"):
        t, reply = raw(d.port, f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       "Content-Type: application/json\r\n"
                       "Content-Length: 1000000000000000\r\n\r\n".encode(), timeout=3)
        code, body = status_of(reply)
        assert code == 413 and "error" in body, (path, reply)
        assert t < 2, (path, t)
    assert 'dockscale_webhooks_total{code="413"} 1' in d.get("/metrics")[1]


class Flood:
    """n slow clients from the given source addresses, each sending one byte a second
    of a request that never ends, reconnecting whenever the server lets go."""

    def __init__(self, port, sources, n):
        self.port, self.sources, self.n = port, sources, n
        self.stop = threading.Event()
        self.connects = 0
        self.rounds = 0
        self.error = None
        self.thread = threading.Thread(target=self.run, daemon=True)

    def connect(self, i):
        s = socket.socket()
        s.setblocking(False)
        s.bind((self.sources[i % len(self.sources)], 0))
        s.connect_ex(("127.0.0.1", self.port))
        self.connects += 1
        return [s, False]

    def run(self):
        try:
            socks = [self.connect(i) for i in range(self.n)]
            while not self.stop.is_set():
                for i, entry in enumerate(socks):
                    s, started = entry
                    try:
                        if s.recv(1) == b"":
                            raise ConnectionResetError
                    except BlockingIOError:
                        pass
                    except OSError:
                        s.close()
                        socks[i] = self.connect(i)
                        continue
                    try:
                        s.send(b"X" if started else b"GET /healthz HTTP/1.1\r\nX-A: ")
                        entry[1] = True
                    except BlockingIOError:
                        pass
                    except OSError:
                        s.close()
                        socks[i] = self.connect(i)
                self.rounds += 1
                self.stop.wait(1.0)
            for s, _ in socks:
                s.close()
        except Exception as e:  # reported by the test
            self.error = e

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(30)


def healthz_under(d, flood, probes=15, every=1.0, within=2.0):
    """/healthz from 127.0.0.1 answers every probe within `within` seconds."""
    deadline = time.monotonic() + 20
    while flood.rounds < 2:
        assert flood.error is None, flood.error
        assert time.monotonic() < deadline, "the flood did not start"
        time.sleep(0.05)
    for k in range(probes):
        t0 = time.monotonic()
        try:
            code = http("GET", d.url + "/healthz", timeout=within)[0]
        except OSError as e:
            code = repr(e)
        took = time.monotonic() - t0
        assert code == 200 and took < within, (k, code, took, flood.connects)
        time.sleep(every)
    assert flood.error is None, flood.error


def socket_fds(pid):
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except FileNotFoundError:  # the daemon was stopped inside the window
        return 0
    n = 0
    for fd in fds:
        try:
            n += os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
        except OSError:
            pass
    return n


class FdWatch:
    """The most sockets the daemon held at once, sampled over the whole window."""

    def __init__(self, pid):
        self.pid, self.most, self.stop = pid, 0, threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop.is_set():
            self.most = max(self.most, socket_fds(self.pid))
            self.stop.wait(0.05)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


@pytest.mark.alone  # /healthz bound under a flood
def test_600_slow_clients_from_many_addresses_leave_healthz_up(daemon_factory):
    d = daemon_factory().start()
    sources = [f"127.0.1.{i}" for i in range(1, 21)]  # 20 addresses x 30 < PER_IP
    with FdWatch(d.proc.pid) as fds, Flood(d.port, sources, 600) as flood:
        healthz_under(d, flood)
        assert fds.most >= 256, fds.most  # the flood really held slots
        assert d.stop() == 0  # closing hundreds of connections at exit is clean


@pytest.mark.alone  # /healthz bound under a flood
def test_600_slow_clients_from_one_address_are_capped(daemon_factory):
    d = daemon_factory().start()
    base = socket_fds(d.proc.pid)
    with FdWatch(d.proc.pid) as fds, Flood(d.port, ["127.0.2.1"], 600) as flood:
        healthz_under(d, flood, probes=10)
        assert flood.connects >= 600
    # The per-address cap, plus the probe and a few of the daemon's own connections.
    assert fds.most <= base + PER_IP + 8, (base, fds.most)


def test_nul_in_path_acts_on_nothing(daemon_factory, svc):
    d = dry_daemon(daemon_factory, svc)
    before = status(d, svc)["desired"]
    code, body, _ = d.post(f"/api/v1/services/{svc}%00/scale", body={"replicas": 3})
    assert code in (400, 404) and "error" in body, (code, body)
    code, body, _ = d.get(f"/api/v1/services/{svc}%00/x")
    assert code in (400, 404) and "error" in body, (code, body)
    code, body, _ = d.get("/healthz%00")
    assert code in (400, 404) and "error" in body, (code, body)
    for path in (f"/api/v1/services/{svc}/", "/healthz/x", f"/api/v1/services/{svc}/scale/x"):
        code, body, _ = d.get(path)
        assert code == 404 and "error" in body, (path, code, body)
    assert status(d, svc)["desired"] == before
    assert d.post(f"/api/v1/services/{svc}/scale", body={"replicas": 3})[0] == 200


def test_cross_site_and_rebinding_requests_are_refused(daemon_factory, svc):
    d = dry_daemon(daemon_factory, svc)
    url = f"{d.url}/api/v1/services/{svc}/scale"
    body = b'{"replicas": 3}'
    for ctype in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                  "application/jsonx", None):
        headers = {"Content-Type": ctype} if ctype else {}
        req = f"POST /api/v1/services/{svc}/scale HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        req += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        _, reply = raw(d.port, f"{req}Content-Length: {len(body)}\r\n\r\n".encode() + body)
        code, out = status_of(reply)
        assert code == 415 and "error" in out, (ctype, reply)
    code, out, _ = http("POST", url, body=body,
                        headers={"Content-Type": "application/json", "Origin": "http://x.test"})
    assert code == 403 and "error" in out
    code, out, _ = http("GET", f"{d.url}/api/v1/services",
                        headers={"Origin": f"http://127.0.0.1:{d.port + 1}"})
    assert code == 403 and "error" in out
    # The status page's own requests (doc/api.md, "Status page") are same-origin.
    code, out, _ = http("GET", f"{d.url}/api/v1/services",
                        headers={"Origin": f"http://127.0.0.1:{d.port}"})
    assert code == 200, out
    for host in (f"rebind.example:{d.port}", "rebind.example", f"127.0.0.1.nip.io:{d.port}"):
        code, out, _ = http("GET", f"{d.url}/api/v1/services", headers={"Host": host})
        assert code == 403 and "error" in out, (host, code, out)
    assert status(d, svc)["desired"] == 0
    for host in (f"localhost:{d.port}", f"127.0.0.1:{d.port}", "LOCALHOST", "[::1]:1"):
        assert http("GET", f"{d.url}/healthz", headers={"Host": host})[0] == 200, host
    code, out, _ = http("POST", url, body=body,
                        headers={"Content-Type": "application/json; charset=utf-8"})
    assert code == 200, out
    # The webhook counts what it refuses.
    code, out, _ = http("POST", d.url + "/api/v1/alerts", body=b"{}",
                        headers={"Content-Type": "text/plain"})
    assert code == 415
    assert 'dockscale_webhooks_total{code="415"} 1' in d.get("/metrics")[1]


def test_non_loopback_listen_needs_a_token(tmp_path):
    conf = tmp_path / "c.conf"
    conf.write_text("[daemon]\nlog_level = info\nlisten = 0.0.0.0:9280\n")
    r = run(["--check-config", "-c", str(conf)])
    assert r.returncode == 78 and f"{conf}:3:" in r.stdout + r.stderr, r
    tok = tmp_path / "tok"
    tok.write_text("t\n")
    conf.write_text(f"[daemon]\nlisten = 0.0.0.0:9280\ntoken_file = {tok}\n")
    assert run(["--check-config", "-c", str(conf)]).returncode == 0
    for listen in ("127.0.0.1:9280", "127.1.2.3:9280", "localhost:9280", "[::1]:9280"):
        conf.write_text(f"[daemon]\nlisten = {listen}\n")
        r = run(["--check-config", "-c", str(conf)])
        assert r.returncode == 0, (listen, r)


def vm_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.mark.alone  # an RSS bound
def test_unauthenticated_uploads_are_not_buffered(daemon_factory, svc, tmp_path):
    d = dry_daemon(daemon_factory, svc, token=TOKEN, tmp=str(tmp_path))
    rss0 = vm_rss_kib(d.proc.pid)
    mib = 1024 * 1024
    head = (f"POST /api/v1/services/{svc}/scale HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/json\r\nContent-Length: {mib}\r\n\r\n").encode()
    socks = []
    most = rss0
    try:
        for i in range(200):  # 10 addresses x 20, under the per-address cap
            s = socket.create_connection(("127.0.0.1", d.port), timeout=5,
                                         source_address=(f"127.0.3.{1 + i % 10}", 0))
            s.setblocking(False)
            try:
                s.send(head)
                s.send(b" " * mib)  # as much as the kernel takes; then idle
            except OSError:
                pass
            socks.append(s)
            most = max(most, vm_rss_kib(d.proc.pid))
        # The whole window the uploads are held open (the body deadline).
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            most = max(most, vm_rss_kib(d.proc.pid))
            assert most - rss0 < 20 * 1024, (rss0, most)
            time.sleep(0.05)
    finally:
        for s in socks:
            s.close()
    assert most - rss0 < 20 * 1024, (rss0, most)
    # Each got its 401 on the headers.
    t, reply = raw(d.port, head, timeout=3)
    assert status_of(reply)[0] == 401 and t < 2
    assert d.stop() == 0


def test_bearer_scheme_is_case_insensitive(daemon_factory, svc, tmp_path):
    d = dry_daemon(daemon_factory, svc, token=TOKEN, tmp=str(tmp_path))
    url = f"/api/v1/services/{svc}/scale"
    for scheme in ("bearer", "BEARER", "Bearer"):
        code, out, _ = d.post(url, body={"replicas": 1},
                              headers={**JSON, "Authorization": f"{scheme} {TOKEN}"})
        assert code == 200, (scheme, code, out)
    for bad in (f"Bearer{TOKEN}", f"Bear {TOKEN}", "bearer nope", f"Basic {TOKEN}"):
        code, out, _ = d.post(url, body={"replicas": 2},
                              headers={**JSON, "Authorization": bad})
        assert code == 401 and "error" in out, (bad, code, out)
    assert status(d, svc)["desired"] == 1


def test_allowed_hosts_names_the_api(daemon_factory):
    d = daemon_factory(daemon_extra="allowed_hosts = dockscale.test, other.test\n").start()
    for host in (f"dockscale.test:{d.port}", "OTHER.test"):
        assert http("GET", d.url + "/healthz", headers={"Host": host})[0] == 200, host
    code, out, _ = http("GET", d.url + "/healthz", headers={"Host": "evil.test"})
    assert code == 403 and "error" in out
