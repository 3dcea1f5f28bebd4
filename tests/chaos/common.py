"""Shared bits of the chaos harness: the integration helpers, the watchers that look for a
broken property at every poll, convergence, and result rows.

Every phase reuses tests/integration (Daemon, Nginx, Prometheus, the Docker API client),
names its service `c` + 10 hex digits (a name the integration suite's own cleanup pattern
never matches), uses its own ports and temp dir, and removes its containers by name before
and after. Rows are (phase, property, figure, ok): ok True/False, or None for a figure
that is information only.
"""
import os
import re
import signal
import socket
import sys
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import dockerapi as dk  # noqa: E402
from conftest import Daemon, http, wait_for  # noqa: E402
from peers import Nginx  # noqa: E402
from test_nginx import servers  # noqa: E402
from test_replicas import service_conf  # noqa: E402

JSON = {"Content-Type": "application/json"}
PLACEHOLDER = "127.0.0.1:1"
QUICK = os.environ.get("CHAOS_QUICK", "") not in ("", "0")


def env_int(name, default, quick):
    return int(os.environ.get(name, quick if QUICK else default))


def service_name():
    return "c" + uuid.uuid4().hex[:10]


def on_sigterm():
    """Unwind through the finally blocks (daemon, nginx, peers, containers, mounts)."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


class ChaosDaemon(Daemon):
    """conftest.Daemon that survives kill -9 and restarts on the same config and lock."""

    def kill9(self):
        self.proc.kill()
        self.proc.wait()
        self.logf.close()

    def note(self, text):
        """A harness line in the daemon's log, so a run can be found in it."""
        with open(self.logpath, "a") as f:
            f.write(f"=== chaos: {text}\n")

    def scale(self, svc, n):
        code, body, _ = self.post(f"/api/v1/services/{svc}/scale", body={"replicas": n},
                                  headers=JSON)
        if code != 200:
            raise AssertionError(f"scale {svc} to {n}: {code} {body}")
        return body

    def status(self, svc, timeout=5.0):
        code, body, _ = self.get(f"/api/v1/services/{svc}", timeout=timeout)
        if code != 200:
            raise AssertionError(f"status {svc}: {code} {body}")
        return body


UPSTREAM_RE = re.compile(r"\Aupstream ([A-Za-z0-9_.-]+) \{\n((?:    server [^;\n]+;\n)+)\}\n\Z")


def upstream_problem(text, name):
    """None when the file is `upstream NAME { server ...; }` with at least one server
    line (comment lines aside), else what is wrong with it."""
    body = "".join(line for line in text.splitlines(True) if not line.startswith("#"))
    m = UPSTREAM_RE.match(body)
    if not m:
        return "empty" if not body.strip() else f"malformed: {text[:200]!r}"
    if m.group(1) != name:
        return f"wrong upstream name {m.group(1)!r}"
    return None


def nginx_test(ngx):
    """`nginx -t` on the whole configuration, the upstream file included."""
    import subprocess
    r = subprocess.run(ngx.argv("-t"), capture_output=True, text=True, timeout=30)
    return r.returncode == 0, r.stdout + r.stderr


def host_addrs(ctr):
    return {f"127.0.0.1:{p['PublicPort']}" for p in ctr.get("Ports") or [] if p.get("PublicPort")}


class Monitor(threading.Thread):
    """Polls Docker and the upstream file over the whole phase and counts each poll that
    breaks a property; it never sleeps-then-looks-once.

    Per poll, in this order: the service's containers (one list), then the file.
    - above_max: more RUNNING labelled containers than max_replicas;
    - invalid: the file is missing, empty or not `upstream NAME { server ...; }`;
    - stale: the file lists an address no running replica has (nginx may send requests
      to a stopped replica). Listing first makes this free of false alarms: a replica
      leaves the file before it is stopped, and joins only after it has been healthy.
    """

    def __init__(self, svc, max_replicas, upstream_file, upstream_name, period=0.05):
        super().__init__(daemon=True)
        self.svc, self.max, self.file, self.name = svc, max_replicas, upstream_file, upstream_name
        self.period = period
        self.lock = threading.Lock()
        self.stop_ev = threading.Event()
        self.polls = self.above_max = self.invalid = self.stale = self.errors = 0
        self.max_running = self.max_all = 0
        self.examples = {"above_max": [], "invalid": [], "stale": []}
        self.last = ([], "")  # (containers, file text) of the last poll

    def counts(self):
        with self.lock:
            return {"polls": self.polls, "above_max": self.above_max, "invalid": self.invalid,
                    "stale": self.stale, "max_running": self.max_running,
                    "max_all": self.max_all, "errors": self.errors}

    def _example(self, key, text):
        if len(self.examples[key]) < 5:
            self.examples[key].append(f"{time.strftime('%H:%M:%S')} {text}")

    def poll(self):
        ctrs = dk.containers(self.svc)
        try:
            with open(self.file) as f:
                text = f.read()
        except OSError as e:
            text = None
            problem = f"unreadable: {e}"
        else:
            problem = upstream_problem(text, self.name)
        running = [c for c in ctrs if c["State"] == "running"]
        live = set().union(*(host_addrs(c) for c in running)) if running else set()
        stale = set(servers(text or "")) - live - {PLACEHOLDER}
        with self.lock:
            self.polls += 1
            self.last = (ctrs, text or "")
            self.max_running = max(self.max_running, len(running))
            self.max_all = max(self.max_all, len(ctrs))
            if len(running) > self.max:
                self.above_max += 1
                self._example("above_max", f"{len(running)} running > max {self.max}")
            if problem:
                self.invalid += 1
                self._example("invalid", problem)
            if stale:
                self.stale += 1
                self._example("stale", f"file lists {sorted(stale)}; running {sorted(live)}")

    def run(self):
        while not self.stop_ev.is_set():
            try:
                self.poll()
            except Exception:  # Docker slow or busy: a missed poll, counted
                with self.lock:
                    self.errors += 1
            self.stop_ev.wait(self.period)

    def stop(self):
        self.stop_ev.set()
        self.join(timeout=30)


class Prober(threading.Thread):
    """GET url every `period` with a 1 s timeout: the requests, the misses (no answer
    within 1 s, or not 200) and the slowest answer since the last reset().
    health_prober: the daemon's /healthz every 100 ms. traffic_prober: GET / through
    nginx every 20 ms; light traffic makes nginx try its upstream servers, so a stopped
    replica still in what nginx runs shows in its error log (nginx_upstream_errors),
    even when nginx retried the request on another replica and no client saw it."""

    def __init__(self, url, period):
        super().__init__(daemon=True)
        self.url, self.period = url, period
        self.stop_ev = threading.Event()
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.n, self.misses, self.max_s = 0, 0, 0.0

    def figures(self):
        with self.lock:
            return self.n, self.misses, self.max_s

    def run(self):
        while not self.stop_ev.is_set():
            t0 = time.monotonic()
            try:
                ok = http("GET", self.url, timeout=1.0)[0] == 200
            except Exception:
                ok = False
            dt = time.monotonic() - t0
            with self.lock:
                self.n += 1
                self.max_s = max(self.max_s, dt)
                self.misses += 0 if ok else 1
            self.stop_ev.wait(self.period)

    def stop(self):
        self.stop_ev.set()
        self.join(timeout=10)


def health_prober(daemon):
    return Prober(daemon.url + "/healthz", 0.1)


def traffic_prober(ngx):
    return Prober(ngx.url + "/", 0.02)


def nginx_upstream_errors(ngx, offset=0):
    """(count, first examples, end offset) of nginx's error-log lines from offset on in
    which nginx failed to use an upstream server: it sent or tried to send a request to
    a replica that was no longer there."""
    with open(ngx.err, "rb") as f:
        f.seek(offset)
        data = f.read()
    lines = [x for x in data.decode(errors="replace").splitlines()
             if "[error]" in x and 'upstream: "' in x]
    return len(lines), [x[:300] for x in lines[:3]], offset + len(data)


def served_ids(ngx, n):
    """The replica ids (hostnames) seen through nginx in n requests; errors as 'error'."""
    seen = set()
    for _ in range(n):
        code, body, _ = http("GET", ngx.url + "/", timeout=2)
        seen.add(str(body).strip() if code == 200 else f"error {code}")
    return seen


def converged(d, svc, ngx, n, serving=False):
    """The service runs exactly n ready replicas, Docker has exactly those containers (no
    orphan), the upstream file lists exactly their addresses and, with `serving`, nginx
    answers from each of them and from nothing else."""
    s = d.status(svc, timeout=2)
    reps = s["replicas"]
    if s["desired"] != n or s["ready"] != n or len(reps) != n:
        return False
    if any(r["state"] != "ready" for r in reps):
        return False
    ctrs = dk.containers(svc)
    if sorted(c["Id"] for c in ctrs) != sorted(r["id"] for r in reps):
        return False
    if any(c["State"] != "running" for c in ctrs):
        return False
    with open(ngx.upstream_file) as f:
        if servers(f.read()) != sorted(r["address"] for r in reps):
            return False
    if serving and served_ids(ngx, 4 * n + 2) != {r["id"][:12] for r in reps}:
        return False
    return s


def wait_converged(d, svc, ngx, n, timeout, serving=False):
    """Seconds until converged(), or None at the deadline."""
    t0 = time.monotonic()
    try:
        wait_for(lambda: converged(d, svc, ngx, n, serving), timeout=timeout, interval=0.1,
                 what="converged")
    except AssertionError:
        return None
    return time.monotonic() - t0


def nginx_children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def setup_service(tmp, svc, max_replicas, extra_conf="", nginx_opts=None, daemon_name="d",
                  **svc_opts):
    """nginx in front of one service managed by a ChaosDaemon (not started yet)."""
    ngx = Nginx(tmp, f"up_{svc}")
    opts = dict(min_replicas=1, max_replicas=max_replicas, drain="1s", stop_timeout="2s",
                start_timeout="20s", upstream_file=ngx.upstream_file, upstream_name=f"up_{svc}")
    opts.update(svc_opts)
    body = service_conf(svc, **opts) + ngx.nginx_section(**(nginx_opts or {})) + extra_conf
    return ngx, ChaosDaemon(tmp, body, name=daemon_name)


class Lingerers(threading.Thread):
    """Holds one half-sent request open on every running replica, as a real client in
    the middle of a request would: the app then drains for up to stop_timeout on
    SIGTERM, so every stop phase lasts seconds instead of a few milliseconds."""

    def __init__(self, monitor):
        super().__init__(daemon=True)
        self.mon = monitor
        self.socks = {}
        self.stop_ev = threading.Event()

    def run(self):
        while not self.stop_ev.is_set():
            with self.mon.lock:
                ctrs = list(self.mon.last[0])
            live = set().union(*(host_addrs(c) for c in ctrs if c["State"] == "running")) \
                if ctrs else set()
            for addr in list(self.socks):
                if addr not in live:
                    self.socks.pop(addr).close()
            for addr in live - set(self.socks):
                host, port = addr.rsplit(":", 1)
                try:
                    s = socket.create_connection((host, int(port)), timeout=1)
                    s.sendall(b"GET / HTTP/1.1\r\nHost: chaos\r\n")
                    self.socks[addr] = s
                except OSError:
                    pass
            self.stop_ev.wait(0.2)
        for s in self.socks.values():
            s.close()

    def stop(self):
        self.stop_ev.set()
        self.join(timeout=10)


def fmt_s(x):
    return "n/a" if x is None else f"{x:.2f} s"


def pct(xs, p):
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def stop_all(*things):
    """Stop daemons, nginx, peers and threads we started, whatever state they are in."""
    for t in things:
        if t is None:
            continue
        try:
            if isinstance(t, Daemon):
                if t.proc is not None and t.proc.poll() is None:
                    t.proc.kill()
                    t.proc.wait()
            else:
                t.stop()
        except Exception as e:  # cleanup goes on
            print(f"chaos: cleanup of {t!r}: {e}", flush=True)
