#!/usr/bin/python3
"""dockscale demo: the main job end to end, in one command (`make demo`).

nginx on 127.0.0.1:8088 proxies to upstream `demo_backend`; dockscaled scales the `demo`
service (image dockscale-demo:latest) on its replicas' CPU and keeps that upstream in step
with the healthy ones. A load ramp through nginx (GET /work?ms=50, one connection per
request) pushes it up to several replicas; then the load stops and it scales back to one.
The screen shows it live; a summary follows, with `dockscalectl status` at its end. Exit 0
when it scaled up above one replica, came back to one, and nginx answered every request
with a 2xx.

Run as root after `make deps`, `make` and `make test-image` (the `demo` target does all
that). Only the standard library; only 127.0.0.1 traffic. Everything it starts (nginx,
dockscaled, the `demo` containers, its temp dir) is removed on exit, Ctrl-C or error.

    /usr/bin/python3 tests/demo/demo.py [--dockscaled PATH] [--dockscalectl PATH]
                                        [--duration-scale X]
    DEMO_FAST=1 ...     a ~50 s version (same as --duration-scale 0.35)
    DEMO_KEEP=1 ...     keep the temp dir (configs, logs; same as --keep)
"""
import argparse
import collections
import ctypes
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SERVICE = "demo"
IMAGE = "dockscale-demo:latest"
LABEL = "io.dockscale.service"
UPSTREAM = "demo_backend"
DOCKER_SOCK = "/var/run/docker.sock"
WORK_PATH = "/work?ms=50"
MIN_REPLICAS, MAX_REPLICAS = 1, 4
UP_THRESHOLD, DOWN_THRESHOLD = 60, 20
FAST_SCALE = 0.35
REFRESH = 0.5           # seconds between screen updates
PROBE_INTERVAL = 0.1    # a cheap GET / through nginx 10 times a second, the whole run
MAX_WORKERS = 6

# (phase, load workers, seconds at --duration-scale 1). The last phase lasts at least its
# time and then until the service is back at min_replicas (bounded by COOL_EXTRA).
PHASES = [
    ("idle", 0, 6),
    ("ramp", 1, 14),
    ("ramp", 2, 14),
    ("ramp", 4, 14),
    ("ramp", 6, 12),
    ("hold", 6, 15),
    ("cool", 0, 30),
]
COOL_EXTRA = 90.0
TMP_PREFIX = "dockscale-demo-run."
TMP_ENTRIES = {"conf.d", "nginx-tmp", "nginx.conf", "nginx.pid", "nginx.out", "error.log",
               "dockscale.conf", "dockscale.lock", "dockscaled.log"}
RUN_LOCK = b"\0dockscale-demo"     # abstract unix socket: one demo at a time, gone with us


class Interrupted(Exception):
    pass


class Fatal(Exception):
    pass


def say(msg):
    print(f"demo: {msg}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_free(port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # as nginx binds
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def wait_for(cond, timeout, what, interval=0.1):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = cond()
            if last:
                return last
        except (OSError, ValueError, http.client.HTTPException) as e:
            last = e
        time.sleep(interval)
    raise Fatal(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})")


def http_get(port, path, timeout=2.0):
    """(status, body bytes) of GET 127.0.0.1:port/path on a fresh connection."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("GET", path, headers={"Connection": "close"})
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


# ---- Docker Engine API over the unix socket (only the calls the demo needs) ----------

class _DockerConn(http.client.HTTPConnection):
    def __init__(self, timeout):
        super().__init__("localhost", timeout=timeout)

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(DOCKER_SOCK)


def docker(method, path, timeout=30):
    c = _DockerConn(timeout)
    try:
        c.request(method, "/v1.41" + path)
        r = c.getresponse()
        raw = r.read()
    finally:
        c.close()
    try:
        return r.status, json.loads(raw) if raw else None
    except ValueError:
        return r.status, raw.decode(errors="replace")


def demo_containers():
    q = urllib.parse.urlencode({"all": "1",
                                "filters": json.dumps({"label": [f"{LABEL}={SERVICE}"]})})
    status, body = docker("GET", "/containers/json?" + q)
    if status != 200:
        raise Fatal(f"docker: listing containers: {status} {body}")
    # The filter is exact already; check again, this only ever removes our own.
    return [c for c in body if (c.get("Labels") or {}).get(LABEL) == SERVICE]


def remove_demo_containers():
    removed = []
    for c in demo_containers():
        status, body = docker("DELETE", f"/containers/{c['Id']}?force=1&v=1")
        if status not in (204, 404):
            raise Fatal(f"docker: removing {c['Names']}: {status} {body}")
        removed.append(c["Names"][0].lstrip("/"))
    return removed


# ---- child processes: own session (Ctrl-C reaches only us, we stop them in order), and
# SIGTERM from the kernel should this process die without cleaning up ------------------

_libc = ctypes.CDLL(None, use_errno=True)
_PR_SET_PDEATHSIG = 1


def _child_setup():
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def spawn(argv, logpath, env=None):
    with open(logpath, "ab") as logf:
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=logf,
                                stderr=subprocess.STDOUT, env=env, start_new_session=True,
                                preexec_fn=_child_setup, close_fds=True)


def stop_process(proc, sig, timeout):
    """Signal proc by its pid, wait; SIGKILL if it does not exit. Returns its exit code."""
    if proc is None:
        return None
    if proc.poll() is None:
        try:
            proc.send_signal(sig)
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            say(f"pid {proc.pid} ignored {signal.Signals(sig).name} for {timeout:.0f}s: "
                "killing it")
            proc.kill()
            return proc.wait()
    return proc.returncode


# ---- load through nginx ---------------------------------------------------------------

class Stats:
    """Every answer nginx gave (or did not give), and a sliding window for rates."""

    WINDOW = 2.0

    def __init__(self):
        self.lock = threading.Lock()
        self.total = {"work": 0, "probe": 0}
        self.non2xx = 0
        self.errors = 0
        self.codes = collections.Counter()
        self.error_kinds = collections.Counter()
        self.by_host = collections.Counter()
        self.recent = collections.deque()   # (t, kind, latency s, host or None)

    def add(self, kind, status, latency, host, err=None):
        now = time.monotonic()
        with self.lock:
            self.total[kind] += 1
            if err is not None:
                self.errors += 1
                self.error_kinds[err] += 1
            elif not 200 <= status < 300:
                self.non2xx += 1
                self.codes[status] += 1
            if host:
                self.by_host[host] += 1
            self.recent.append((now, kind, latency, host if err is None else None))

    def window(self):
        """rates over the last WINDOW seconds: work rps, probe rps, work p50/max ms, host rps"""
        now = time.monotonic()
        with self.lock:
            while self.recent and self.recent[0][0] < now - self.WINDOW:
                self.recent.popleft()
            items = list(self.recent)
        work = [x for x in items if x[1] == "work"]
        lat = sorted(x[2] for x in work)
        hosts = collections.Counter(x[3] for x in items if x[3])
        return {
            "work_rps": len(work) / self.WINDOW,
            "probe_rps": (len(items) - len(work)) / self.WINDOW,
            "p50_ms": lat[len(lat) // 2] * 1000 if lat else None,
            "max_ms": lat[-1] * 1000 if lat else None,
            "host_rps": {h: n / self.WINDOW for h, n in hosts.items()},
        }


class Load:
    """MAX_WORKERS threads; the first `workers` of them loop GET /work?ms=50 through
    nginx, one connection per request; one more thread probes GET / ten times a second."""

    def __init__(self, port, stats):
        self.port, self.stats = port, stats
        self.workers = 0
        self.stop_ev = threading.Event()
        self.threads = [threading.Thread(target=self._work, args=(i,), daemon=True,
                                         name=f"load-{i}") for i in range(MAX_WORKERS)]
        self.threads.append(threading.Thread(target=self._probe, daemon=True, name="probe"))
        for t in self.threads:
            t.start()

    def _one(self, kind, path):
        t0 = time.monotonic()
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            c.request("GET", path, headers={"Connection": "close"})
            r = c.getresponse()
            body = r.read()
            host = body.decode(errors="replace").strip()[:12] if r.status == 200 else None
            self.stats.add(kind, r.status, time.monotonic() - t0, host)
        except (OSError, http.client.HTTPException) as e:
            self.stats.add(kind, 0, time.monotonic() - t0, None, err=type(e).__name__)
            time.sleep(0.05)
        finally:
            c.close()

    def _work(self, i):
        while not self.stop_ev.is_set():
            if i < self.workers:
                self._one("work", WORK_PATH)
            else:
                self.stop_ev.wait(0.05)

    def _probe(self):
        nxt = time.monotonic()
        while not self.stop_ev.is_set():
            self._one("probe", "/")
            nxt += PROBE_INTERVAL
            delay = nxt - time.monotonic()
            if delay > 0:
                self.stop_ev.wait(delay)
            else:
                nxt = time.monotonic()

    def stop(self):
        self.workers = 0
        self.stop_ev.set()
        for t in self.threads:
            t.join(timeout=20)


# ---- the screen -----------------------------------------------------------------------

class Screen:
    def __init__(self):
        self.tty = sys.stdout.isatty()
        self.started = False
        self.last_decision = None

    def _c(self, code, text):
        return f"\x1b[{code}m{text}\x1b[0m" if self.tty else text

    def bold(self, t):
        return self._c("1", t)

    def red(self, t):
        return self._c("1;31", t)

    def green(self, t):
        return self._c("32", t)

    def begin(self):
        if self.tty:
            sys.stdout.write("\x1b[?25l\x1b[H\x1b[2J")   # hide cursor, home, clear once
            sys.stdout.flush()
        self.started = True

    def end(self):
        if self.tty and self.started:
            sys.stdout.write("\x1b[?25h")
            sys.stdout.flush()
        self.started = False

    def frame(self, lines):
        """Redraw in place on a terminal (home, each line cleared to its end, rest cleared)."""
        width = shutil.get_terminal_size((120, 40)).columns
        out = ["\x1b[H"]
        for ln in lines:
            out.append(_clip(ln, width) + "\x1b[K\n")
        out.append("\x1b[J")
        sys.stdout.write("".join(out))
        sys.stdout.flush()

    def line(self, text):
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


def _clip(s, width):
    """Cut a line with ANSI codes to `width` visible characters."""
    out, vis, i = [], 0, 0
    while i < len(s):
        if s[i] == "\x1b":
            j = s.find("m", i)
            if j < 0:
                break
            out.append(s[i:j + 1])
            i = j + 1
            continue
        if vis >= width - 1:
            break
        out.append(s[i])
        vis += 1
        i += 1
    return "".join(out) + ("\x1b[0m" if "\x1b" in s else "")


def fmt_num(v, spec=".1f", none="-"):
    return none if v is None else format(v, spec)


def bar(value, width=40, full=120.0):
    """[#####|......#....|....] value scaled to 0..full, thresholds marked with |."""
    cells = []
    fill = 0 if value is None else max(0, min(width, int(round(value / full * width))))
    down = int(round(DOWN_THRESHOLD / full * width))
    up = int(round(UP_THRESHOLD / full * width))
    for i in range(width):
        if i in (down, up):
            cells.append("|")
        else:
            cells.append("#" if i < fill else ".")
    return "[" + "".join(cells) + "]"


# ---- the demo -------------------------------------------------------------------------

class Demo:
    def __init__(self, args):
        self.args = args
        self.scale = args.duration_scale
        self.started = time.monotonic()
        self.tmp = None
        self.nginx = None
        self.nginx_port = None
        self.daemon = None
        self.api_port = None
        self.load = None
        self.stats = Stats()
        self.screen = Screen()
        self.t0 = None
        self.events = []          # (t, old desired, new desired, reason)
        self.max_ready = 0
        self.max_desired = 0
        self.back_at_min = None   # t when back at min after the load
        self.status = None
        self.status_err = None
        self.failed = False
        self.events_before = {}

    # -- set-up --

    def setup(self):
        self.remove_stale_dirs()
        self.tmp = tempfile.mkdtemp(prefix=TMP_PREFIX, dir="/tmp")
        os.chmod(self.tmp, 0o755)
        os.makedirs(os.path.join(self.tmp, "conf.d"))
        os.makedirs(os.path.join(self.tmp, "nginx-tmp"))
        left = remove_demo_containers()
        if left:
            say(f"removed leftover containers of an earlier run: {', '.join(left)}")
        self.start_nginx()
        self.start_dockscaled()

    @staticmethod
    def remove_stale_dirs():
        """Temp dirs of runs that were killed outright (SIGKILL, power cut): the run lock
        is ours, so nobody uses them; only dirs holding nothing but what a run writes."""
        for name in os.listdir("/tmp"):
            path = os.path.join("/tmp", name)
            if not name.startswith(TMP_PREFIX) or not os.path.isdir(path) or \
                    os.path.islink(path) or not set(os.listdir(path)) <= TMP_ENTRIES:
                continue
            try:
                with open(os.path.join(path, "nginx.pid")) as f:
                    os.kill(int(f.read().strip()), 0)
                continue            # an nginx still runs from it: leave it alone
            except (OSError, ValueError):
                pass
            shutil.rmtree(path, ignore_errors=True)
            say(f"removed {path} left by an earlier run")

    def nginx_argv(self, *extra):
        # Relative to the prefix, so the [nginx] commands stay short.
        return ["nginx", "-e", "error.log", "-p", self.tmp + "/", "-c", "nginx.conf", *extra]

    def start_nginx(self):
        upstream_file = os.path.join(self.tmp, "conf.d", f"{UPSTREAM}.conf")
        with open(upstream_file, "w") as f:
            f.write(f"upstream {UPSTREAM} {{\n    server 127.0.0.1:1 down;\n}}\n")
        self.upstream_file = upstream_file
        ports = [self.args.port] if port_free(self.args.port) else []
        if not ports:
            say(f"127.0.0.1:{self.args.port} is taken: using another free port for nginx")
        ports += [free_port(), free_port()]
        for port in ports:
            self.write_nginx_conf(port)
            t = subprocess.run(self.nginx_argv("-t", "-q"), capture_output=True, text=True)
            if t.returncode != 0:
                raise Fatal(f"nginx -t failed:\n{t.stdout}{t.stderr}")
            self.nginx = spawn(self.nginx_argv(), os.path.join(self.tmp, "nginx.out"))
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and self.nginx.poll() is None:
                with socket.socket() as s:
                    if s.connect_ex(("127.0.0.1", port)) == 0:
                        self.nginx_port = port
                        return
                time.sleep(0.05)
            stop_process(self.nginx, signal.SIGTERM, 5)
            self.nginx = None
            say(f"nginx did not come up on 127.0.0.1:{port}; trying another port")
        raise Fatal("nginx did not start; see " + os.path.join(self.tmp, "error.log"))

    def write_nginx_conf(self, port):
        t = os.path.join(self.tmp, "nginx-tmp")
        with open(os.path.join(self.tmp, "nginx.conf"), "w") as f:
            f.write(f"""# dockscale demo: nginx in front of the autoscaled `{SERVICE}` service.
user root;
worker_processes 2;
daemon off;
pid {self.tmp}/nginx.pid;
error_log {self.tmp}/error.log notice;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {t}/body;
    proxy_temp_path {t}/proxy;
    fastcgi_temp_path {t}/fastcgi;
    uwsgi_temp_path {t}/uwsgi;
    scgi_temp_path {t}/scgi;
    include {self.tmp}/conf.d/*.conf;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://{UPSTREAM};
            proxy_connect_timeout 2s;
            proxy_next_upstream error timeout;
        }}
    }}
}}
""")

    def dockscale_conf(self):
        return f"""# dockscale demo configuration (written by tests/demo/demo.py)
[daemon]
listen = 127.0.0.1:{self.api_port}
interval = 1s
log_level = info
lock_file = {self.tmp}/dockscale.lock

[nginx]
test_command = {" ".join(self.nginx_argv("-t"))}
reload_command = {" ".join(self.nginx_argv("-s", "reload"))}
timeout = 10s
pid_file = {self.tmp}/nginx.pid

[service {SERVICE}]
image = {IMAGE}
metric = docker_cpu
cpus = 0.5
memory = 64M
min_replicas = {MIN_REPLICAS}
max_replicas = {MAX_REPLICAS}
scale_up_threshold = {UP_THRESHOLD}
scale_down_threshold = {DOWN_THRESHOLD}
scale_up_for = 2s
scale_down_for = 6s
scale_up_cooldown = 5s
scale_down_cooldown = 5s
drain = 1s
stop_timeout = 5s
upstream_file = {self.upstream_file}
upstream_name = {UPSTREAM}
"""

    def start_dockscaled(self):
        self.api_port = free_port()
        self.conf_path = os.path.join(self.tmp, "dockscale.conf")
        with open(self.conf_path, "w") as f:
            f.write(self.dockscale_conf())
        chk = subprocess.run([self.args.dockscaled, "-c", self.conf_path, "--check-config"],
                             capture_output=True, text=True, timeout=30)
        if chk.returncode != 0:
            raise Fatal(f"dockscaled --check-config failed ({chk.returncode}):\n"
                        f"{chk.stdout}{chk.stderr}")
        env = dict(os.environ)
        for k in ("NOTIFY_SOCKET", "JOURNAL_STREAM", "WATCHDOG_USEC", "WATCHDOG_PID"):
            env.pop(k, None)
        self.daemon_log = os.path.join(self.tmp, "dockscaled.log")
        self.daemon = spawn([self.args.dockscaled, "-c", self.conf_path], self.daemon_log,
                            env=env)

        def healthy():
            self.check_daemon()
            return http_get(self.api_port, "/healthz", timeout=1)[0] == 200
        wait_for(healthy, 15, f"dockscaled /healthz on 127.0.0.1:{self.api_port}")

    def check_daemon(self):
        if self.daemon.poll() is not None:
            raise Fatal(f"dockscaled exited with {self.daemon.returncode}")
        if self.nginx.poll() is not None:
            raise Fatal(f"nginx exited with {self.nginx.returncode}")

    def poll_status(self):
        try:
            code, body = http_get(self.api_port, f"/api/v1/services/{SERVICE}", timeout=2)
            if code != 200:
                raise ValueError(f"HTTP {code}")
            self.status, self.status_err = json.loads(body), None
        except (OSError, ValueError, http.client.HTTPException) as e:
            self.status_err = f"{type(e).__name__}: {e}"
        return self.status

    # -- the run --

    def wait_first_replica(self):
        say(f"nginx on http://127.0.0.1:{self.nginx_port}/ -> upstream {UPSTREAM}; dockscaled "
            f"API on http://127.0.0.1:{self.api_port}/; waiting for the first replica")

        def serving():
            self.check_daemon()
            s = self.poll_status()
            if not s or s.get("ready", 0) < 1:
                return False
            return http_get(self.nginx_port, "/", timeout=2)[0] == 200
        wait_for(serving, 60, f"a ready `{SERVICE}` replica answering through nginx",
                 interval=0.2)

    def run(self):
        self.setup()
        self.wait_first_replica()
        phases = [(name, w, secs * self.scale) for name, w, secs in PHASES]
        planned = sum(p[2] for p in phases)
        self.events_before = self.scale_events_metric() or {}
        self.load = Load(self.nginx_port, self.stats)
        self.t0 = time.monotonic()
        self.screen.begin()
        prev_desired = None
        phase_start = self.t0
        idx = 0
        next_tick = self.t0
        while True:
            now = time.monotonic()
            name, workers, secs = phases[idx]
            elapsed_in_phase = now - phase_start
            s = self.poll_status()
            self.check_daemon()
            if s:
                self.max_ready = max(self.max_ready, s.get("ready", 0))
                self.max_desired = max(self.max_desired, s.get("desired", 0))
                d = s.get("desired")
                if prev_desired is not None and d != prev_desired:
                    reason = (s.get("last_decision") or {}).get("reason", "")
                    self.events.append((now - self.t0, prev_desired, d, reason))
                    if not self.screen.tty:
                        self.screen.line(f"  >> t={now - self.t0:6.1f}s desired "
                                         f"{prev_desired} -> {d}: {reason}")
                prev_desired = d
            at_min = bool(s) and s.get("desired") == MIN_REPLICAS and \
                s.get("current") == MIN_REPLICAS and s.get("ready") == MIN_REPLICAS
            last_phase = idx == len(phases) - 1
            if last_phase and at_min and self.back_at_min is None and self.max_ready > 1:
                self.back_at_min = now - self.t0
            if elapsed_in_phase >= secs:
                if not last_phase:
                    idx += 1
                    phase_start = now
                    name, workers, secs = phases[idx]
                elif self.back_at_min is not None or elapsed_in_phase >= secs + COOL_EXTRA:
                    self.render(name, workers, idx, len(phases), planned)
                    break
            self.load.workers = workers
            self.render(name, workers, idx, len(phases), planned)
            next_tick += REFRESH
            delay = next_tick - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                next_tick = time.monotonic()
        self.load.stop()
        self.duration = time.monotonic() - self.t0
        self.screen.end()
        return self.summary()

    def upstream_servers(self):
        """The live servers in the nginx upstream file dockscaled maintains."""
        try:
            with open(self.upstream_file) as f:
                text = f.read()
        except OSError:
            return []
        return [m.group(1) for m in re.finditer(r"^\s*server\s+(\S+?)(\s[^;]*)?;", text, re.M)
                if "down" not in (m.group(2) or "").split()]

    def render(self, phase, workers, idx, nphases, planned):
        t = time.monotonic() - self.t0
        ups = self.upstream_servers()
        w = self.stats.window()
        st = self.stats
        s = self.status or {}
        sc = self.screen
        errs = st.non2xx + st.errors
        err_txt = f"non-2xx {st.non2xx}  errors {st.errors}"
        err_txt = sc.red(err_txt) if errs else sc.green(err_txt)
        metric = s.get("metric")
        dec = s.get("last_decision") or {}
        reps = s.get("replicas") or []
        if not sc.tty:
            rep_txt = " ".join(
                f"{r.get('name')}:{r.get('state')}"
                + (f"/{r['cpu_percent']:.0f}%" if r.get("cpu_percent") is not None else "")
                for r in reps)
            sc.line(f"t={t:6.1f}s {phase:<4} workers={workers} "
                    f"rps={w['work_rps'] + w['probe_rps']:5.1f} reqs={sum(st.total.values())} "
                    f"non2xx={st.non2xx} err={st.errors} cpu={fmt_num(metric)} "
                    f"desired={s.get('desired', '-')} ready={s.get('ready', '-')} "
                    f"upstream={len(ups)} [{rep_txt}] "
                    f"last={dec.get('direction', '-')}->{dec.get('desired', '-')}")
            return
        lines = [
            sc.bold("dockscale demo") + f"  service `{SERVICE}` ({IMAGE}, cpus 0.5, "
            f"{MIN_REPLICAS}..{MAX_REPLICAS} replicas)   Ctrl-C stops and cleans up",
            f"nginx http://127.0.0.1:{self.nginx_port}/ -> upstream {UPSTREAM}    "
            f"dockscaled http://127.0.0.1:{self.api_port}/api/v1/services/{SERVICE}",
            "",
            f"time      {t:6.1f} s   phase {idx + 1}/{nphases} {phase:<4}  "
            f"(~{planned:.0f} s, then until back at {MIN_REPLICAS})",
            f"load      {workers} worker{'s' if workers != 1 else ' '} x GET {WORK_PATH} "
            f"through nginx, Connection: close  (+ GET / 10/s probe)",
            f"nginx     {w['work_rps']:5.1f} work req/s + {w['probe_rps']:4.1f} probe/s   "
            f"latency p50 {fmt_num(w['p50_ms'], '.0f')} ms max {fmt_num(w['max_ms'], '.0f')} ms"
            f"   total {sum(st.total.values())}   {err_txt}",
            f"metric    docker_cpu {fmt_num(metric, '6.1f'):>6} %  {bar(metric)}  "
            f"(up > {UP_THRESHOLD}, down < {DOWN_THRESHOLD}, % of the 0.5 cpu limit)",
            f"replicas  desired {s.get('desired', '-')}  current {s.get('current', '-')}  "
            f"ready {s.get('ready', '-')}   (max ready so far {self.max_ready})",
        ]
        for r in reps:
            cpu = r.get("cpu_percent")
            host = (r.get("id") or "")[:12]
            share = w["host_rps"].get(host, 0.0)
            lines.append(f"  {r.get('name', '?'):<8} {r.get('state', '?'):<9} "
                         f"{r.get('health', '?'):<16} {r.get('address') or '-':<22} "
                         f"cpu {fmt_num(cpu, '5.1f'):>5} %  {bar(cpu, 20)}  "
                         f"{share:5.1f} req/s")
        for _ in range(MAX_REPLICAS + 1 - len(reps)):
            lines.append("")
        lines.append(f"upstream  {UPSTREAM} in nginx: {len(ups)} "
                     f"server{'s' if len(ups) != 1 else ''}  {' '.join(ups)}")
        lines.append(f"decision  {dec.get('direction', '-')} -> {dec.get('desired', '-')}: "
                     f"{dec.get('reason', '(none yet)')}")
        lines.append("events    " + ("  ".join(
            f"{e[1]}->{e[2]} @{e[0]:.0f}s" for e in self.events[-8:]) or "(none yet)"))
        if self.status_err:
            lines.append(sc.red(f"dockscaled API: {self.status_err}"))
        sc.frame(lines)

    def scale_events_metric(self):
        try:
            code, body = http_get(self.api_port, "/metrics", timeout=2)
        except (OSError, http.client.HTTPException):
            return None
        if code != 200:
            return None
        out = {}
        for ln in body.decode(errors="replace").splitlines():
            for d in ("up", "down"):
                key = f'dockscale_scale_events_total{{service="{SERVICE}",direction="{d}"}} '
                if ln.startswith(key):
                    out[d] = int(float(ln[len(key):].split()[0]))
        return out

    def summary(self):
        st = self.stats
        sc = self.screen
        ev = self.scale_events_metric()
        total = sum(st.total.values())
        up = sum(1 for e in self.events if e[2] > e[1])
        down = sum(1 for e in self.events if e[2] < e[1])
        print()
        print(sc.bold("dockscale demo: summary"))
        print(f"  duration          {self.duration:.1f} s from the first ready replica, "
              f"{time.monotonic() - self.started:.1f} s in all (--duration-scale {self.scale:g})")
        print(f"  max replicas      {self.max_ready} ready (desired peaked at "
              f"{self.max_desired}; bounds {MIN_REPLICAS}..{MAX_REPLICAS})")
        print(f"  requests (nginx)  {total} ({st.total['work']} GET {WORK_PATH}, "
              f"{st.total['probe']} GET /), {total / max(self.duration, 0.001):.1f} req/s avg")
        print(f"  non-2xx / errors  {st.non2xx} / {st.errors}"
              + (f"  codes {dict(st.codes)}" if st.codes else "")
              + (f"  errors {dict(st.error_kinds)}" if st.error_kinds else ""))
        served = ", ".join(f"{h}: {n}" for h, n in st.by_host.most_common())
        print(f"  served by         {len(st.by_host)} replicas ({served})")
        b = self.events_before
        metric_txt = (f"up {ev.get('up', 0) - b.get('up', 0)}, down "
                      f"{ev.get('down', 0) - b.get('down', 0)} (dockscale_scale_events_total)"
                      ) if ev is not None else "(no /metrics)"
        print(f"  scale events      {metric_txt}; seen here: up {up}, down {down}")
        for t, a, b, reason in self.events:
            print(f"    +{t:6.1f}s  {a} -> {b}   {reason}")
        if self.back_at_min is not None:
            print(f"  back at min       {MIN_REPLICAS} replica at +{self.back_at_min:.1f} s")
        else:
            print(f"  back at min       no: still {(self.status or {}).get('current')} "
                  f"replicas at the end")
        problems = self.show_ctl()
        if self.max_ready < 2:
            problems.append("the service never scaled up above 1 replica")
        if st.non2xx or st.errors:
            problems.append(f"{st.non2xx + st.errors} requests through nginx failed")
        if self.back_at_min is None:
            problems.append(f"it did not come back to {MIN_REPLICAS} replica")
        if problems:
            self.failed = True
            print(sc.red("  result            FAIL: " + "; ".join(problems)))
            return 1
        print(sc.green("  result            PASS: scaled up under load, back to min without"
                       " it, every request through nginx answered 2xx"))
        return 0

    def show_ctl(self):
        """What an operator sees with dockscalectl (doc/operating.md) while the
        daemon still runs; returns the problems it found."""
        ctl = self.args.dockscalectl
        url = f"http://127.0.0.1:{self.api_port}"
        problems = []
        for argv, required in ((["status"], True), (["status", SERVICE], True),
                               (["events", SERVICE], False)):
            print()
            print(self.screen.bold("$ dockscalectl " + " ".join(argv)))
            try:
                r = subprocess.run([ctl, "-H", url] + argv, capture_output=True, text=True,
                                   timeout=20)
            except (OSError, subprocess.TimeoutExpired) as e:
                problems.append(f"dockscalectl {' '.join(argv)}: {e}")
                continue
            out = r.stdout.splitlines()
            if argv[0] == "events":
                out = out[-12:]  # the last few
            for ln in out:
                print("  " + ln)
            if r.returncode != 0:
                print("  " + r.stderr.strip())
                if required:
                    problems.append(f"dockscalectl {' '.join(argv)} exited {r.returncode}")
        shot = os.environ.get("DOCKSCALE_SCREENSHOT", "")
        if shot and os.path.isfile(shot):
            print()
            print(f"  status page screenshot: {shot}")
        print()
        return problems

    # -- clean-up: always, in this order --

    def cleanup(self, show_logs):
        self.screen.end()
        steps = []
        if self.load is not None:
            self.load.stop()
        if self.daemon is not None:
            rc = stop_process(self.daemon, signal.SIGTERM, 20)
            steps.append(f"dockscaled stopped ({rc})")
        try:
            removed = remove_demo_containers()
            steps.append(f"removed {len(removed)} container(s)")
        except (OSError, Fatal, http.client.HTTPException) as e:
            steps.append(f"could not remove containers: {e}")
            self.failed = True
        if self.nginx is not None:
            stop_process(self.nginx, signal.SIGTERM, 10)
            steps.append("nginx stopped")
        if self.tmp is not None:
            if show_logs:
                self.dump_logs()
            if self.args.keep:
                steps.append(f"kept {self.tmp}")
            else:
                shutil.rmtree(self.tmp, ignore_errors=True)
                steps.append(f"removed {self.tmp}")
        say("cleanup: " + ", ".join(steps))

    def dump_logs(self):
        for name in ("dockscaled.log", "error.log"):
            path = os.path.join(self.tmp, name)
            try:
                with open(path, errors="replace") as f:
                    # Containers of other services on this engine are noise here.
                    tail = [ln for ln in f if "is not in the configuration" not in ln][-40:]
            except OSError:
                continue
            if tail:
                print(f"--- last lines of {name} ---")
                sys.stdout.write("".join(tail))
        sys.stdout.flush()


def preflight(args):
    if os.geteuid() != 0:
        raise Fatal("run as root (the Docker socket and nginx's `user root` need it)")
    for exe in (args.dockscaled, args.dockscalectl):
        if not os.access(exe, os.X_OK):
            raise Fatal(f"{exe} not found or not executable (run: make)")
    if shutil.which("nginx") is None:
        raise Fatal("nginx not installed (run: make deps)")
    try:
        ok = docker("GET", "/_ping", timeout=3)[0] == 200
    except OSError:
        ok = False
    if not ok:
        raise Fatal(f"no Docker Engine answers on {DOCKER_SOCK} (run: tests/dockerd-up)")
    if docker("GET", f"/images/{IMAGE}/json")[0] != 200:
        raise Fatal(f"image {IMAGE} not found (run: make test-image)")
    # Two demos would fight over the `demo` service's containers.
    lock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    try:
        lock.bind(RUN_LOCK)
    except OSError:
        lock.close()
        raise Fatal("another dockscale demo is running on this machine")
    return lock


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dockscaled", default=os.path.join(ROOT, "build", "dockscaled"),
                    help="the daemon binary (default: build/dockscaled)")
    ap.add_argument("--dockscalectl", default=os.path.join(ROOT, "build", "dockscalectl"),
                    help="the client shown at the end (default: build/dockscalectl)")
    ap.add_argument("--duration-scale", type=float, default=None, metavar="X",
                    help=f"stretch or shrink the load timeline (DEMO_FAST=1: {FAST_SCALE})")
    ap.add_argument("--port", type=int, default=8088,
                    help="nginx port on 127.0.0.1 (a free one if taken; default 8088)")
    ap.add_argument("--keep", action="store_true",
                    help="keep the temp dir (configs, logs); also DEMO_KEEP=1")
    args = ap.parse_args()
    args.keep = args.keep or os.environ.get("DEMO_KEEP", "") not in ("", "0")
    if args.duration_scale is None:
        fast = os.environ.get("DEMO_FAST", "") not in ("", "0")
        args.duration_scale = FAST_SCALE if fast else 1.0
    if not 0.05 <= args.duration_scale <= 20:
        ap.error("--duration-scale must be between 0.05 and 20")

    def interrupted(sig, frame):
        # Once only: from here on the clean-up must run to its end.
        for other in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(other, signal.SIG_IGN)
        raise Interrupted(signal.Signals(sig).name)
    signal.signal(signal.SIGINT, interrupted)
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)

    demo = None
    rc = 1
    try:
        run_lock = preflight(args)     # noqa: F841 (held until the process exits)
        demo = Demo(args)
        rc = demo.run()
    except Interrupted as e:
        if demo is not None:
            demo.screen.end()
        print()
        if demo is not None and demo.t0 is not None:
            st = demo.stats
            say(f"so far: {time.monotonic() - demo.t0:.1f} s, max {demo.max_ready} ready "
                f"replicas, {sum(st.total.values())} requests through nginx, "
                f"{st.non2xx} non-2xx, {st.errors} errors")
        say(f"interrupted ({e}): cleaning up")
        rc = 130
    except Fatal as e:
        if demo is not None:
            demo.screen.end()
        print()
        say(f"error: {e}")
        rc = 1
    except Exception:
        if demo is not None:
            demo.screen.end()
        raise
    finally:
        # Cleanup runs to the end: a second Ctrl-C must not leave things behind.
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        if demo is not None:
            demo.cleanup(show_logs=rc == 1)
    return rc


if __name__ == "__main__":
    sys.exit(main())
