#!/usr/bin/python3
"""Scale curves (doc/benchmarks.md, "Scale curves"): how the daemon's costs grow with
S services x R replicas, each point next to the engine's own figure measured in the same
run, and the reaction through each balancer.

For each point of the grid, one fresh daemon (interval 5 s, metric none,
min_replicas = max_replicas = R, so it converges from zero); service i sits behind one
shared nginx (i even: its own upstream file, `location /s<i>/`) or one shared HAProxy
(i odd: its own backend, `use_backend` on /s<i>/). Measured:

  converge   daemon start -> all S x R replicas ready and in their balancer (upstream file /
             HAProxy's enabled servers); baseline: the same number of containers of the
             same image, created + started by Python threads over the engine's socket,
             as parallel as the daemon may be (its 16 engine connections), and in the
             daemon's own shape (one create at a time per service, services in parallel);
             each also to "answering" (the container's port answers 200: what a probe sees)
  pass       dockscale_pass_seconds (median, p99 over the passes so far) and the mean of
             the idle window's passes (from _sum/_count)
  idle CPU   utime + stime from /proc/PID/stat over WINDOW s after converging
  memory     Private_Dirty (/proc/PID/smaps_rollup) and VmRSS after the window
  API        GET /api/v1/services (the status API) and /metrics: median, p99 of N, bytes
  balancer   nginx reloads (dockscale_nginx_reloads_total) and HAProxy runtime API
             commands (counted by a relay in front of the admin socket: one command a
             connection, haproxy_cli.c) per replica that joined
  page       the status page in headless Chromium (--dump-dom, wall time) against the
             same Chromium loading the daemon's /healthz (the browser's own start-up)

Then (--reaction, on by default) the reaction: an Alertmanager webhook -> the first 200
from the new replica through nginx, and through HAProxy, against raw create + start +
first 200 from the container's own port, interleaved, BENCH_SCALE_REACTION_N runs.

Grids: `small` (default, in `make bench`: 1x10, 10x10); `full` (+ 30x10, 1x300); `--max`
steps 10 services up (10x30, 10x60, 10x100, ...) until a point fails to converge or
something gives out (the engine's errors, the host's MemAvailable, the daemon's file
descriptors, the daemon itself), capped at BENCH_SCALE_MAX_CAP replicas (default 600:
the engine is shared with other work). Tables are printed, the curves written to
build/scale.svg (plain SVG, no plotting library) and the figures to build/scale.json.

The image is dockscale-demo:latest with its HEALTHCHECK at a 30 s interval (built here as
dockscale-demo:scalebench-hc30s, removed afterwards), as in footprint.py: the demo image's
1 s check means a `docker exec` per replica per second, which a 2-core engine cannot keep
up with at 100+ replicas. Readiness is the daemon's probe either way (readiness = auto).
BENCH_SCALE_IMAGE=dockscale-demo:latest runs it with the 1 s check.
"""
import argparse
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

from common import (ROOT, BenchDaemon, command, dk, emit, fmt_ratio, get_text, median,
                    on_sigterm, proc_cpu_seconds, proc_status, ratio,
                    remove_bench_containers, service_name, stop_proc, wait_for)
from conftest import free_port
from peers import HAProxy, Nginx
from test_replicas import service_conf
from test_webhook import alert, payload
from footprint import build_image as footprint_image
from reaction import first_new_body

SCRIPT = "scale.py"
TAG = "scalebench"
BENCH_IMAGE = "dockscale-demo:scalebench-hc30s"
IMAGE = os.environ.get("BENCH_SCALE_IMAGE", BENCH_IMAGE)
WINDOW_S = float(os.environ.get("BENCH_SCALE_WINDOW", "60"))
API_N = int(os.environ.get("BENCH_SCALE_API_N", "100"))
REACTION_N = int(os.environ.get("BENCH_SCALE_REACTION_N", "5"))
MAX_CAP = int(os.environ.get("BENCH_SCALE_MAX_CAP", "600"))
ENGINE_CONNS = 16  # httpc.c HTTPC_MAX_CONNS: the daemon's calls to the engine at once
GRIDS = {"small": [(1, 10), (10, 10)], "full": [(1, 10), (10, 10), (30, 10), (1, 300)]}
CHROMIUM = "/usr/bin/chromium"
# --virtual-time-budget: the DOM is dumped once the page's first API answers are drawn
# (virtual time waits for the network), before its next 3 s poll.
CHROMIUM_FLAGS = ["--virtual-time-budget=1000", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


def pct(xs, q):
    """Nearest-rank quantile."""
    if not xs:
        return float("nan")
    v = sorted(xs)
    return v[max(0, min(len(v) - 1, -(-int(q * len(v) * 1000) // 1000) - 1))]


def parallel(fn, items, threads):
    """fn(item) for every item on `threads` threads; the exceptions raised."""
    items = list(items)
    errs = []
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                if not items:
                    return
                it = items.pop(0)
            try:
                fn(it)
            except Exception as e:  # noqa: BLE001 - reported by the caller
                with lock:
                    errs.append(e)
    ts = [threading.Thread(target=worker) for _ in range(max(1, threads))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return errs


def remove_services(names):
    ids = [c["Id"] for n in names for c in dk.containers(n)]
    parallel(dk.remove, ids, 6)
    for n in names:
        dk.cleanup(n)


# ---- the balancers ------------------------------------------------------------------

class NginxMany:
    """One nginx master with an upstream file and a location /s<i>/ per service."""

    def __init__(self, tmp, idx):
        self.port = free_port()
        self.dir = os.path.join(tmp, f"nginx-{self.port}")
        os.makedirs(os.path.join(self.dir, "conf.d"))
        os.makedirs(os.path.join(self.dir, "tmp"))
        self.files = {}
        locs = ""
        for i in idx:
            f = os.path.join(self.dir, "conf.d", f"up_{i}.conf")
            with open(f, "w") as fh:
                fh.write(f"upstream up_{i} {{\n    server 127.0.0.1:1 down;\n}}\n")
            self.files[i] = f
            locs += (f"        location /s{i}/ {{ proxy_pass http://up_{i}/; "
                     "proxy_connect_timeout 2s; proxy_next_upstream error timeout; }\n")
        t = os.path.join(self.dir, "tmp")
        with open(os.path.join(self.dir, "nginx.conf"), "w") as f:
            f.write(f"""user root;
worker_processes 1;
daemon off;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log notice;
worker_rlimit_nofile 16384;
events {{ worker_connections 8192; }}
http {{
    access_log off;
    client_body_temp_path {t}/body;
    proxy_temp_path {t}/proxy;
    fastcgi_temp_path {t}/fastcgi;
    uwsgi_temp_path {t}/uwsgi;
    scgi_temp_path {t}/scgi;
    include {self.dir}/conf.d/*.conf;
    server {{
        listen 127.0.0.1:{self.port};
{locs}    }}
}}
""")
        self.logf = open(os.path.join(self.dir, "stdout.log"), "ab")
        self.proc = subprocess.Popen(self.argv(), stdout=self.logf, stderr=subprocess.STDOUT)
        wait_for(self.listening, timeout=10, what="nginx listening")

    argv = Nginx.argv            # nginx -p self.dir/ -c nginx.conf ...
    listening = Nginx.listening  # self.proc alive and self.port accepting

    def section(self):
        return (f"[nginx]\ntest_command = {' '.join(self.argv('-t'))}\n"
                f"reload_command = {' '.join(self.argv('-s', 'reload'))}\n"
                f"timeout = 30s\npid_file = {self.dir}/nginx.pid\n")

    def reloads(self):
        """The master's reloads so far, from its own log: one "signal 1 (SIGHUP) received"
        each (its "reconfiguring" line follows)."""
        with open(os.path.join(self.dir, "error.log"), errors="replace") as f:
            return sum(1 for line in f if "(SIGHUP) received" in line)

    def servers(self, i):
        with open(self.files[i]) as f:
            return len(re.findall(r"^\s*server 127\.0\.0\.1:(?!1 down)\d+", f.read(), re.M))

    def url(self, i):
        return f"http://127.0.0.1:{self.port}/s{i}/"

    def stop(self):
        stop_proc(self.proc)
        self.logf.close()


class HAProxyMany:
    """One HAProxy with a backend per service, and a relay in front of its admin socket
    that counts the daemon's commands (one a connection: haproxy_cli.c)."""

    def __init__(self, tmp, idx):
        self.port = free_port()
        self.dir = os.path.join(tmp, f"haproxy-{self.port}")
        os.makedirs(self.dir)
        self.sockdir = tempfile.mkdtemp(prefix="hap-scalebench-")  # sun_path is short
        self.socket = os.path.join(self.sockdir, "admin.sock")
        self.relay_path = os.path.join(self.sockdir, "relay.sock")
        acl = "".join(f"    use_backend be_{i} if {{ path_beg /s{i}/ }}\n" for i in idx)
        backends = "".join(f"backend be_{i}\n    balance roundrobin\n    http-request "
                           "set-path /\n" for i in idx)
        with open(os.path.join(self.dir, "haproxy.cfg"), "w") as f:
            f.write(f"""global
    stats socket {self.socket} mode 600 level admin
    maxconn 8192
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
frontend fe
    bind 127.0.0.1:{self.port}
{acl}{backends}""")
        self.logf = open(os.path.join(self.dir, "stdout.log"), "ab")
        self.proc = subprocess.Popen(["haproxy", "-db", "-f",
                                      os.path.join(self.dir, "haproxy.cfg")],
                                     stdout=self.logf, stderr=subprocess.STDOUT)
        wait_for(lambda: self.cmd("show info").startswith("Name: HAProxy"), timeout=10,
                 what="haproxy admin socket")
        self.commands = 0  # those that change something (not `show ...`)
        self.verbs = {}    # every command by its first two words
        self.lock = threading.Lock()
        self.relay = socket.socket(socket.AF_UNIX)
        self.relay.bind(self.relay_path)
        self.relay.listen(256)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.relay.accept()
            except OSError:
                return
            threading.Thread(target=self._pipe, args=(c,), daemon=True).start()

    def _pipe(self, c):
        """Relay one connection: the command line up, the answer down until HAProxy closes."""
        with c, socket.socket(socket.AF_UNIX) as up:
            try:
                up.connect(self.socket)
                line = b""
                while not line.endswith(b"\n"):
                    chunk = c.recv(65536)
                    if not chunk:
                        break
                    line += chunk
                with self.lock:
                    for c1 in line.decode(errors="replace").replace("\n", ";").split(";"):
                        if c1.strip():
                            verb = " ".join(c1.split()[:2])
                            self.verbs[verb] = self.verbs.get(verb, 0) + 1
                            self.commands += not verb.startswith("show")
                up.sendall(line)
                while chunk := up.recv(65536):
                    c.sendall(chunk)
            except OSError:
                pass

    cmd = HAProxy.cmd  # one runtime API command on the real socket (self.socket)

    def section(self):
        return f"[haproxy]\nsocket = {self.relay_path}\ntimeout = 5s\n"

    def enabled(self):
        """{backend index: servers taking requests (neither maint nor drain)}."""
        out = {}
        for line in self.cmd("show servers state").splitlines()[1:]:
            f = line.split()
            if len(f) > 18 and not line.startswith("#") and f[1].startswith("be_"):
                if int(f[6]) & 0x3b == 0 and not f[3].endswith("-wake"):
                    out[int(f[1][3:])] = out.get(int(f[1][3:]), 0) + 1
        return out

    def url(self, i):
        return f"http://127.0.0.1:{self.port}/s{i}/"

    def stop(self):
        try:
            self.relay.close()
        except OSError:
            pass
        stop_proc(self.proc)
        self.logf.close()
        shutil.rmtree(self.sockdir, ignore_errors=True)


# ---- the engine's own figure --------------------------------------------------------

def create_body(svc, image):
    """The create body dockscaled posts for a replica (as common.create_body)."""
    return {"Image": image, "Labels": {dk.LABEL: svc}, "ExposedPorts": {"8080/tcp": {}},
            "HostConfig": {"Init": True,
                           "PortBindings": {"8080/tcp": [{"HostIp": "127.0.0.1",
                                                          "HostPort": ""}]},
                           "RestartPolicy": {"Name": "no"}}}


def answers(cid, deadline):
    """The container's host port once it answers 200; an engine that fails the inspect
    (a timeout under load) is asked again until the deadline."""
    port = None
    while port is None and time.monotonic() < deadline:
        code, ins = dk.call("GET", f"/containers/{cid}/json")
        if code == 200:
            port = ins["NetworkSettings"]["Ports"]["8080/tcp"][0]["HostPort"]
        else:
            print(f"  engine: inspect {cid[:12]} answered {code}: {ins}", flush=True)
            time.sleep(0.5)
    while port is not None and time.monotonic() < deadline:
        try:
            if get_text(f"http://127.0.0.1:{port}/", timeout=1)[0] == 200:
                return port
        except OSError:
            pass
        time.sleep(0.01)
    raise AssertionError(f"{cid[:12]} never answered")


def engine_run(svc, jobs, threads, image):
    """Create + start every (name) in jobs, `threads` at once; then wait until each
    answers. (create+start seconds, +answering seconds)."""
    ids, lock = [], threading.Lock()
    t0 = time.monotonic()

    def one(name):
        code, out = dk.call("POST", "/containers/create?name=" + urllib.parse.quote(name),
                            create_body(svc, image))
        assert code == 201, out
        with lock:
            ids.append(out["Id"])
        assert dk.start(out["Id"]) == 204

    errs = parallel(one, jobs, threads)
    t1 = time.monotonic()
    if errs:
        raise errs[0]
    errs = parallel(lambda c: answers(c, time.monotonic() + 120), list(ids),
                    min(len(ids), ENGINE_CONNS))
    t2 = time.monotonic()
    if errs:
        raise errs[0]
    return t1 - t0, t2 - t0


def engine_baseline(S, R, image):
    """{'flat': (cs, ans), 'shaped': (cs, ans)}: S*R containers, ENGINE_CONNS threads;
    and S threads (at most ENGINE_CONNS) each creating its service's R one at a time."""
    svc = service_name(TAG + "-engine")
    out = {}
    try:
        names = [f"{svc}-f{i}" for i in range(S * R)]
        out["flat"] = engine_run(svc, names, min(S * R, ENGINE_CONNS), image)
        remove_services([svc])
        # The daemon's shape: one create at a time per service.
        groups = [[f"{svc}-s{s}-{r}" for r in range(R)] for s in range(S)]
        ids_cs = []
        t0 = time.monotonic()

        def serial(group):
            for name in group:
                code, o = dk.call("POST", "/containers/create?name=" + urllib.parse.quote(name),
                                  create_body(svc, image))
                assert code == 201, o
                assert dk.start(o["Id"]) == 204
                ids_cs.append(o["Id"])
        errs = parallel(serial, groups, min(S, ENGINE_CONNS))
        t1 = time.monotonic()
        if errs:
            raise errs[0]
        errs = parallel(lambda c: answers(c, time.monotonic() + 120), list(ids_cs),
                        min(len(ids_cs), ENGINE_CONNS))
        if errs:
            raise errs[0]
        out["shaped"] = (t1 - t0, time.monotonic() - t0)
    finally:
        remove_services([svc])
    return out


# ---- the daemon's figures -----------------------------------------------------------

def metrics_text(d):
    return d.get("/metrics", timeout=30)[1]


def metric(text, name, labels=""):
    total = 0.0
    found = False
    for m in re.finditer(rf"^{re.escape(name)}(\{{[^}}]*\}})? (\S+)$", text, re.M):
        if labels in (m.group(1) or ""):
            total += float(m.group(2))
            found = True
    return total if found else float("nan")


def smaps_private_dirty(pid):
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Private_Dirty:"):
                return int(line.split()[1])
    raise KeyError("Private_Dirty")


def fds(pid):
    n = len(os.listdir(f"/proc/{pid}/fd"))
    with open(f"/proc/{pid}/limits") as f:
        lim = next(int(line.split()[3]) for line in f if line.startswith("Max open files"))
    return n, lim


def mem_available_mib():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) // 1024
    return -1


def timed_get(port, path, n):
    """(median ms, p99 ms, bytes) of n GETs, each on a fresh connection like a client's."""
    lat, size = [], 0
    for _ in range(n):
        t0 = time.perf_counter()
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request("GET", path)
        r = c.getresponse()
        body = r.read()
        lat.append((time.perf_counter() - t0) * 1000)
        c.close()
        assert r.status == 200, (path, r.status)
        size = len(body)
    return median(lat), pct(lat, 0.99), size


def chromium_ms(url, tmp, n=3):
    """Median wall ms of chromium --dump-dom url (a fresh profile each) and the last DOM."""
    lat, dom = [], ""
    for k in range(n):
        prof = tempfile.mkdtemp(prefix="scalebench-chromium-", dir=tmp)
        t0 = time.perf_counter()
        p = subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={prof}",
                            "--dump-dom", url], capture_output=True, text=True, timeout=120)
        lat.append((time.perf_counter() - t0) * 1000)
        dom = p.stdout
        shutil.rmtree(prof, ignore_errors=True)
    return median(lat), dom


def wait_converged(d, names, R, ngx, hap, t0, timeout):
    """Seconds from t0 until every service has R ready replicas and R servers in its
    balancer; raises with what was missing (and what gave out) when it does not."""
    deadline = time.monotonic() + timeout
    last = {"at": 0.0}
    while time.monotonic() < deadline:
        if d.proc.poll() is not None:
            raise RuntimeError(f"the daemon exited {d.proc.returncode}")
        try:
            code, body, _ = d.get("/api/v1/services", timeout=30)
        except OSError:  # not listening yet
            code, body = 0, None
        svcs = {s["name"]: s for s in body["services"]} if code == 200 else {}
        ready = sum(svcs[n]["ready"] for n in names if n in svcs)
        if ready == len(names) * R:
            ok = True
            hap_en = hap.enabled() if hap else {}
            for i, _ in enumerate(names):
                have = ngx.servers(i) if i % 2 == 0 else hap_en.get(i, 0)
                ok = ok and have == R
            if ok:
                return time.monotonic() - t0
        if time.monotonic() - last["at"] >= 15:
            last["at"] = time.monotonic()
            failed = sum(svcs[n]["failed_starts_total"] for n in names if n in svcs)
            print(f"  {time.monotonic() - t0:.0f} s: {ready}/{len(names) * R} ready, "
                  f"{failed} failed starts", flush=True)
        time.sleep(0.25)
    raise TimeoutError(f"not converged within {timeout:.0f} s")


def point(S, R, tmp, image):
    """Every measure of one grid point (a dict); raises when the point does not hold."""
    res = {"S": S, "R": R, "N": S * R}
    print(f"\n--- {S} x {R}: the engine's own create+start", flush=True)
    try:
        eng = engine_baseline(S, R, image)
    except Exception as e:  # noqa: BLE001 - the engine gave out before the daemon ran
        res["failed"] = f"engine baseline: {type(e).__name__}: {e}"
        res["gave_out"] = "the engine (its own create+start+inspect, no daemon running)"
        raise PointFailed(res) from e
    res["engine_flat_s"], res["engine_flat_answer_s"] = eng["flat"]
    res["engine_shaped_s"], res["engine_shaped_answer_s"] = eng["shaped"]
    print(f"  engine: {ENGINE_CONNS}-way {eng['flat'][0]:.2f} s (answering "
          f"{eng['flat'][1]:.2f} s); daemon's shape {eng['shaped'][0]:.2f} s "
          f"({eng['shaped'][1]:.2f} s)", flush=True)

    tag = service_name(TAG)
    names = [f"{tag}-{i}" for i in range(S)]
    nidx = [i for i in range(S) if i % 2 == 0]
    hidx = [i for i in range(S) if i % 2 == 1]
    ngx = hap = d = None
    try:
        ngx = NginxMany(tmp, nidx)
        hap = HAProxyMany(tmp, hidx) if hidx else None
        body = ""
        for i, n in enumerate(names):
            kw = dict(image=image, min_replicas=R, max_replicas=R, metric="none",
                      start_timeout="120s", drain="0s", stop_timeout="2s")
            if i % 2 == 0:
                kw.update(upstream_file=ngx.files[i], upstream_name=f"up_{i}")
            else:
                kw.update(balancer="haproxy", haproxy_backend=f"be_{i}")
                kw.pop("upstream_file", None)
            body += service_conf(n, **kw)
            if i % 2 == 1:  # service_conf's default upstream_file is moot with haproxy
                body = body.replace(f"upstream_file = /tmp/dockscale-test-{n}.conf\n", "")
        body += ngx.section() + (hap.section() if hap else "")
        print(f"--- {S} x {R}: the daemon converges from zero", flush=True)
        d = BenchDaemon(tmp, body, name=f"d-{S}x{R}", interval="5s")
        t0 = time.monotonic()
        d.start(wait=False)
        res["converge_s"] = wait_converged(d, names, R, ngx, hap, t0,
                                           timeout=max(180, 3 * res["engine_shaped_answer_s"]
                                                       + 60))
        pid = d.proc.pid
        print(f"  converged in {res['converge_s']:.2f} s", flush=True)
        res["nginx_reloads"] = ngx.reloads()
        res["hap_verbs"] = dict(hap.verbs) if hap else {}
        res["nginx_joined"] = len(nidx) * R
        res["hap_commands"] = hap.commands if hap else 0
        res["hap_joined"] = len(hidx) * R
        # Idle: a few passes first (the last readiness polls, the balancers' last writes).
        time.sleep(10)
        m0 = metrics_text(d)
        c0, w0 = proc_cpu_seconds(pid), time.monotonic()
        time.sleep(WINDOW_S)
        c1, m1, w1 = proc_cpu_seconds(pid), metrics_text(d), time.monotonic()
        res["idle_cpu_pct"] = 100 * (c1 - c0) / (w1 - w0)
        dn = metric(m1, "dockscale_pass_seconds_count") - metric(m0, "dockscale_pass_seconds_count")
        ds = metric(m1, "dockscale_pass_seconds_sum") - metric(m0, "dockscale_pass_seconds_sum")
        res["idle_passes"] = dn
        res["pass_idle_mean_ms"] = 1000 * ds / dn if dn else float("nan")
        res["pass_p50_ms"] = 1000 * metric(m1, "dockscale_pass_seconds", 'quantile="0.5"')
        res["pass_p99_ms"] = 1000 * metric(m1, "dockscale_pass_seconds", 'quantile="0.99"')
        res["private_dirty_kib"] = smaps_private_dirty(pid)
        res["rss_kib"] = proc_status(pid, "VmRSS")
        res["fds"], res["fd_limit"] = fds(pid)
        res["hap_commands_idle"] = (hap.commands if hap else 0) - res["hap_commands"]
        res["hap_reads_idle"] = (sum(hap.verbs.values()) - hap.commands if hap else 0) - \
            (sum(res["hap_verbs"].values()) - res["hap_commands"])
        res["nginx_reloads_idle"] = ngx.reloads() - res["nginx_reloads"]
        (res["status_p50_ms"], res["status_p99_ms"],
         res["status_bytes"]) = timed_get(d.port, "/api/v1/services", API_N)
        (res["metrics_p50_ms"], res["metrics_p99_ms"],
         res["metrics_bytes"]) = timed_get(d.port, "/metrics", API_N)
        res["page_ms"], dom = chromium_ms(d.url + "/", tmp)
        res["page_blank_ms"], _ = chromium_ms(d.url + "/healthz", tmp)
        res["page_services_shown"] = sum(1 for n in names if n in dom)
        # Still all there at the end.
        code, body, _ = d.get("/api/v1/services", timeout=30)
        res["ready_at_end"] = sum(s["ready"] for s in body["services"] if s["name"] in names)
        res["mem_available_mib"] = mem_available_mib()
        print("  " + ", ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}"
                               for k, v in res.items()), flush=True)
    except Exception as e:
        res["failed"] = f"{type(e).__name__}: {e}"
        res["gave_out"] = gave_out(d, names, res)
        raise PointFailed(res) from e
    finally:
        if d is not None:
            try:
                d.stop(timeout=60)
            except AssertionError:
                pass
        if ngx:
            ngx.stop()
        if hap:
            hap.stop()
        remove_services(names)
    return res


class PointFailed(Exception):
    def __init__(self, res):
        super().__init__(res.get("failed"))
        self.res = res


def gave_out(d, names, res):
    """What gave out first at a point that did not hold: the daemon, its descriptors, the
    host's memory, the engine (its errors in the daemon's log), or nothing seen."""
    said = []
    if d is None or d.proc is None:
        return "the bench itself (before the daemon started): " + res.get("failed", "")
    if d.proc.poll() is not None:
        said.append(f"the daemon (exited {d.proc.returncode})")
    else:
        try:
            n, lim = fds(d.proc.pid)
            if n >= 0.9 * lim:
                said.append(f"file descriptors ({n} of {lim})")
        except OSError:
            pass
    if mem_available_mib() < 1024:
        said.append(f"memory (MemAvailable {mem_available_mib()} MiB)")
    log = d.log() if d else ""
    setup = log.count("curl_easy_setopt failed")
    if setup:
        said.append(f"the daemon's HTTP client ({setup} calls it could not start: "
                    "curl_easy_setopt failed)")
    unhealthy = log.count("reports unhealthy; replacing it")
    if unhealthy:
        said.append(f"the engine's health checks ({unhealthy} replicas reported unhealthy "
                    "and replaced)")
    errs = re.findall(r"warning: docker: [^\n]*(?:timed out|error|[45]\d\d)[^\n]*", log)
    if errs:
        said.append(f"the engine ({len(errs)} failed calls; last: {errs[-1][:200]})")
    return "; ".join(said) or "nothing visible: slower than the time allowed"


# ---- reaction through each balancer ---------------------------------------------------

def raw_reaction(svc, i, image):
    """Create + start + first 200 from the container's own port, ms."""
    t0 = time.perf_counter()
    code, out = dk.call("POST", f"/containers/create?name={svc}-{i}", create_body(svc, image))
    assert code == 201, out
    try:
        assert dk.start(out["Id"]) == 204
        answers(out["Id"], time.monotonic() + 60)
        return (time.perf_counter() - t0) * 1000
    finally:
        dk.remove(out["Id"])


def reaction(tmp, image):
    """{'raw': [ms], 'nginx': [ms], 'haproxy': [ms], counts}: webhook -> first 200."""
    tag = service_name(TAG + "-react")
    names = [f"{tag}-0", f"{tag}-1"]
    raw_svc = service_name(TAG + "-rawreact")
    ngx = hap = d = None
    out = {"raw": [], "nginx": [], "haproxy": []}
    try:
        ngx = NginxMany(tmp, [0])
        hap = HAProxyMany(tmp, [1])
        common = dict(image=image, min_replicas=1, max_replicas=2, metric="none", drain="0s",
                      stop_timeout="2s", scale_up_cooldown="0s", scale_down_cooldown="0s")
        body = (service_conf(names[0], upstream_file=ngx.files[0], upstream_name="up_0",
                             **common)
                + service_conf(names[1], balancer="haproxy", haproxy_backend="be_1",
                               **common).replace(
                                   f"upstream_file = /tmp/dockscale-test-{names[1]}.conf\n", "")
                + ngx.section() + hap.section())
        d = BenchDaemon(tmp, body, name="d-react").start()
        urls = [ngx.url(0), hap.url(1)]

        def at_one(k):
            def ok():
                s = d.get(f"/api/v1/services/{names[k]}")[1]
                if s["ready"] != 1 or len(s["replicas"]) != 1 or \
                        len(dk.containers(names[k])) != 1:
                    return False
                have = ngx.servers(0) if k == 0 else hap.enabled().get(1, 0)
                want = s["replicas"][0]["id"][:12]
                return have == 1 and all(get_text(urls[k])[1].strip() == want
                                         for _ in range(4)) and want
            return wait_for(ok, timeout=60, interval=0.1, what=f"{names[k]} at one replica")

        for i in range(REACTION_N):
            out["raw"].append(raw_reaction(raw_svc, i, image))
            for k, kind in ((0, "nginx"), (1, "haproxy")):
                old = {at_one(k)}
                t0 = time.perf_counter()
                code, o, _ = d.post("/api/v1/alerts", body=payload(
                    [alert(names[k], "scale_up", fp=f"scalebench{i}")]))
                assert code == 200 and o["stepped"] == 1, o
                t1, _ = first_new_body(urls[k], old, 60.0)
                out[kind].append((t1 - t0) * 1000)
                assert d.post(f"/api/v1/services/{names[k]}/scale",
                              body={"replicas": 1})[0] == 200
            print(f"reaction run {i + 1}/{REACTION_N}: raw {out['raw'][-1]:.0f} ms, nginx "
                  f"{out['nginx'][-1]:.0f} ms, haproxy {out['haproxy'][-1]:.0f} ms", flush=True)
        for k in (0, 1):
            at_one(k)
    finally:
        if d is not None:
            d.stop()
        if ngx:
            ngx.stop()
        if hap:
            hap.stop()
        remove_services(names + [raw_svc])
    return out


# ---- output ---------------------------------------------------------------------------

def table(points):
    """The curves as markdown tables."""
    def f(v, spec=".2f"):
        return "n/a" if v is None or v != v else format(v, spec)
    t1 = ["| S x R | replicas | converge s | engine 16-way create+start s | ratio | engine in "
          "the daemon's shape s | ratio | engine to answering (16-way / shape) s |",
          "|---|---|---|---|---|---|---|---|"]
    t2 = ["| S x R | pass median ms | pass p99 ms | idle pass mean ms | idle CPU % of a core "
          "| Private_Dirty KiB | VmRSS KiB | fds |", "|---|---|---|---|---|---|---|---|"]
    t3 = ["| S x R | status API median / p99 ms | bytes | /metrics median / p99 ms | bytes "
          "| page ms (Chromium) | /healthz in Chromium ms | page - /healthz ms |",
          "|---|---|---|---|---|---|---|---|"]
    t4 = ["| S x R | nginx reloads / replicas joined | per change | HAProxy commands / "
          "replicas joined | per change | idle window: reloads + changing commands (+ reads) |",
          "|---|---|---|---|---|---|"]
    for p in points:
        k = f"{p['S']} x {p['R']}"
        if p.get("failed"):
            t1.append(f"| {k} | {p['N']} | **failed**: {p['failed']} | "
                      f"{f(p.get('engine_flat_s'))} | - | {f(p.get('engine_shaped_s'))} | - "
                      f"| gave out: {p.get('gave_out')} |")
            continue
        t1.append(f"| {k} | {p['N']} | {f(p['converge_s'])} | {f(p['engine_flat_s'])} | "
                  f"{fmt_ratio(ratio(p['converge_s'], p['engine_flat_s']))} | "
                  f"{f(p['engine_shaped_s'])} | "
                  f"{fmt_ratio(ratio(p['converge_s'], p['engine_shaped_s']))} | "
                  f"{f(p['engine_flat_answer_s'])} / {f(p['engine_shaped_answer_s'])} |")
        t2.append(f"| {k} | {f(p['pass_p50_ms'])} | {f(p['pass_p99_ms'])} | "
                  f"{f(p['pass_idle_mean_ms'])} | {f(p['idle_cpu_pct'], '.3f')} | "
                  f"{p['private_dirty_kib']} | {p['rss_kib']} | {p['fds']} / {p['fd_limit']} |")
        t3.append(f"| {k} | {f(p['status_p50_ms'])} / {f(p['status_p99_ms'])} | "
                  f"{p['status_bytes']} | {f(p['metrics_p50_ms'])} / {f(p['metrics_p99_ms'])} "
                  f"| {p['metrics_bytes']} | {f(p['page_ms'], '.0f')} | "
                  f"{f(p['page_blank_ms'], '.0f')} | "
                  f"{f(p['page_ms'] - p['page_blank_ms'], '.0f')} |")
        nj, hj = p["nginx_joined"], p["hap_joined"]
        t4.append(f"| {k} | {p['nginx_reloads']:.0f} / {nj} | "
                  f"{f(ratio(p['nginx_reloads'], nj))} | {p['hap_commands']} / {hj} | "
                  f"{f(ratio(p['hap_commands'], hj)) if hj else '-'} | "
                  f"{p['nginx_reloads_idle']:.0f} + {p['hap_commands_idle']} "
                  f"(+ {p['hap_reads_idle']} show) |")
    return "\n".join(t1), "\n".join(t2), "\n".join(t3), "\n".join(t4)


SERIES = [("converge_s", "converge s"), ("engine_flat_s", "engine create+start s"),
          ("pass_p50_ms", "pass median ms"), ("pass_p99_ms", "pass p99 ms"),
          ("idle_cpu_pct", "idle CPU %"), ("private_dirty_kib", "Private_Dirty KiB"),
          ("rss_kib", "VmRSS KiB"), ("status_p99_ms", "status API p99 ms"),
          ("metrics_p99_ms", "/metrics p99 ms"), ("status_bytes", "status bytes"),
          ("page_ms", "page ms"), ("nginx_per_change", "nginx reloads / change"),
          ("hap_per_change", "HAProxy cmds / change")]


def svg(points, path):
    """One small panel per measure, value against replicas (log-free, linear axes), the
    points labelled S x R. Plain SVG text."""
    ok = [p for p in points if not p.get("failed")]
    for p in ok:
        p["nginx_per_change"] = ratio(p["nginx_reloads"], p["nginx_joined"])
        p["hap_per_change"] = ratio(p["hap_commands"], p["hap_joined"]) if p["hap_joined"] \
            else float("nan")
    W, H, cols = 300, 200, 3
    rows = -(-len(SERIES) // cols)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W * cols}" height="{H * rows + 30}"'
           ' font-family="sans-serif" font-size="10">',
           f'<text x="10" y="18" font-size="13">dockscale scale curves ({time.strftime("%Y-%m-%d")}'
           ', tests/bench/scale.py): each measure against replicas (S x R)</text>']
    xmax = max([p["N"] for p in ok] or [1])
    for k, (key, label) in enumerate(SERIES):
        ox, oy = (k % cols) * W, 30 + (k // cols) * H
        pts = [(p["N"], p[key], f"{p['S']}x{p['R']}") for p in ok
               if isinstance(p.get(key), (int, float)) and p[key] == p[key]]
        ymax = max([v for _, v, _ in pts] or [1]) or 1
        x0, y0, pw, ph = ox + 55, oy + H - 30, W - 75, H - 55

        def X(x):
            return x0 + pw * x / xmax

        def Y(y):
            return y0 - ph * y / (ymax * 1.1)
        out.append(f'<text x="{ox + 10}" y="{oy + 14}" font-size="11">{label}</text>')
        out.append(f'<line x1="{x0}" y1="{y0}" x2="{x0 + pw}" y2="{y0}" stroke="#000"/>'
                   f'<line x1="{x0}" y1="{y0}" x2="{x0}" y2="{y0 - ph}" stroke="#000"/>')
        out.append(f'<text x="{x0 + pw}" y="{y0 + 14}" text-anchor="end">{xmax} replicas'
                   f'</text><text x="{x0 - 3}" y="{Y(ymax) + 3:.1f}" text-anchor="end">'
                   f'{ymax:.3g}</text><text x="{x0 - 3}" y="{y0}" text-anchor="end">0</text>')
        pts.sort()
        if len(pts) > 1:
            out.append('<polyline fill="none" stroke="#36c" points="' + " ".join(
                f"{X(x):.1f},{Y(y):.1f}" for x, y, _ in pts) + '"/>')
        for x, y, name in pts:
            right = X(x) > x0 + pw / 2  # the label inside the panel
            out.append(f'<circle cx="{X(x):.1f}" cy="{Y(y):.1f}" r="3" fill="#36c"/>'
                       f'<text x="{X(x) + (-4 if right else 4):.1f}" y="{Y(y) + 14:.1f}" '
                       f'text-anchor="{"end" if right else "start"}">{name}: {y:.3g}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def main():
    on_sigterm()
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--grid", choices=sorted(GRIDS), default=os.environ.get(
        "BENCH_SCALE_GRID", "small"))
    ap.add_argument("--max", action="store_true",
                    default=os.environ.get("BENCH_SCALE_MAX") == "1")
    ap.add_argument("--no-reaction", action="store_true")
    ap.add_argument("--reaction-only", action="store_true",
                    help="only the reaction (figures to build/scale-reaction.json)")
    ap.add_argument("--points", help="S x R list instead of the grid, e.g. 10x10,1x300")
    ap.add_argument("--tables", metavar="JSON", help="print the tables and write the SVG of "
                    "a run's build/scale.json instead of measuring")
    args = ap.parse_args()
    if args.tables:
        with open(args.tables) as f:
            saved = json.load(f)
        svg(saved["points"], os.path.join(ROOT, "build", "scale.svg"))
        print("\n\n".join(table(saved["points"])))
        return 0
    grid = ([tuple(int(x) for x in p.split("x")) for p in args.points.split(",")]
            if args.points else GRIDS[args.grid])
    if args.reaction_only:
        grid, args.max, args.no_reaction = [], False, False
    out_json = "scale-reaction.json" if args.reaction_only else "scale.json"
    tmp = tempfile.mkdtemp(prefix="bench-scale-")
    remove_bench_containers(f"bench-{TAG}")
    if IMAGE == BENCH_IMAGE:
        footprint_image(BENCH_IMAGE)
    points, largest, gave, react = [], None, None, None
    build = os.path.join(ROOT, "build")
    os.makedirs(build, exist_ok=True)
    try:
        for S, R in grid:
            try:
                points.append(point(S, R, tmp, IMAGE))
                largest = (S, R)
            except PointFailed as e:
                points.append(e.res)
                print(f"{S} x {R} did not hold: {e.res['failed']}; gave out: "
                      f"{e.res['gave_out']}", flush=True)
        if not args.no_reaction:
            react = reaction(tmp, IMAGE)
        if args.max:
            for R in (30, 60, 100, 150, 200, 300):
                if 10 * R > MAX_CAP:
                    gave = f"nothing before the cap of {MAX_CAP} replicas (BENCH_SCALE_MAX_CAP)"
                    break
                try:
                    points.append(point(10, R, tmp, IMAGE))
                    largest = max(largest or (10, R), (10, R), key=lambda p: p[0] * p[1])
                except PointFailed as e:
                    points.append(e.res)
                    gave = f"10 x {R}: {e.res['failed']}; gave out first: {e.res['gave_out']}"
                    break
    finally:
        if IMAGE == BENCH_IMAGE:
            dk.call("DELETE", f"/images/{BENCH_IMAGE}")
        with open(os.path.join(build, out_json), "w") as f:
            json.dump({"points": points, "largest": largest, "gave_out": gave,
                       "reaction": react}, f, indent=1)
    shutil.rmtree(tmp, ignore_errors=True)

    if points:
        svg(points, os.path.join(build, "scale.svg"))
    t1, t2, t3, t4 = table(points)
    load = os.getloadavg()
    print(f"\nScale curves ({IMAGE}, interval 5s, idle window {WINDOW_S:.0f} s, {API_N} "
          f"requests per API figure; load average {load[0]:.1f} at the end)\n")
    print("Converge from zero\n\n" + t1 + "\n\nPasses, CPU, memory\n\n" + t2
          + "\n\nAPI and status page\n\n" + t3 + "\n\nBalancer work\n\n" + t4 + "\n")
    if largest:
        print(f"largest point held: {largest[0]} x {largest[1]} = "
              f"{largest[0] * largest[1]} replicas" + (f"; next: {gave}" if gave else ""))
    print(f"curves: {os.path.join(build, 'scale.svg')}, figures: "
          f"{os.path.join(build, 'scale.json')}")
    for p in points:
        if p.get("failed"):
            continue
        k = f"{p['S']} x {p['R']}"
        emit(f"scale {k}: converge from zero (ready + in the balancer)",
             f"{p['converge_s']:.2f} s", f"{p['engine_flat_s']:.2f} s engine 16-way "
             "create+start", fmt_ratio(ratio(p["converge_s"], p["engine_flat_s"])),
             command(SCRIPT), f"in the daemon's shape (one create at a time per service) "
             f"{p['engine_shaped_s']:.2f} s: "
             f"{fmt_ratio(ratio(p['converge_s'], p['engine_shaped_s']))}")
        emit(f"scale {k}: idle CPU, interval 5s, {WINDOW_S:.0f} s",
             f"{p['idle_cpu_pct']:.3f}% of a core", "-", "-", command(SCRIPT),
             f"pass median {p['pass_p50_ms']:.2f} ms, p99 {p['pass_p99_ms']:.2f} ms")
        emit(f"scale {k}: Private_Dirty / VmRSS", f"{p['private_dirty_kib']} KiB / "
             f"{p['rss_kib']} KiB", "-", "-", command(SCRIPT))
        emit(f"scale {k}: status API p99 / /metrics p99",
             f"{p['status_p99_ms']:.2f} ms / {p['metrics_p99_ms']:.2f} ms", "-", "-",
             command(SCRIPT), f"{p['status_bytes']} B / {p['metrics_bytes']} B")
    if react:
        raw = median(react["raw"])
        print(f"\nreaction, median of {REACTION_N}: raw create+start+first 200 {raw:.0f} ms; "
              f"webhook -> first 200 via nginx {median(react['nginx']):.0f} ms, via HAProxy "
              f"{median(react['haproxy']):.0f} ms")
        for kind in ("nginx", "haproxy"):
            m = median(react[kind])
            emit(f"scale reaction: webhook -> first 200 via {kind} (median of {REACTION_N})",
                 f"{m:.0f} ms", f"{raw:.0f} ms raw create+start+first 200",
                 fmt_ratio(ratio(m, raw)), command(SCRIPT),
                 "runs " + ", ".join(f"{x:.0f}" for x in react[kind]) + "; raw "
                 + ", ".join(f"{x:.0f}" for x in react["raw"]))
    return 1 if any(p.get("failed") for p in points[:len(grid)]) else 0


if __name__ == "__main__":
    sys.exit(main())
