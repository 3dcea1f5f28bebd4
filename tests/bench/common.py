"""Shared bits of the benchmarks: the integration helpers, result rows, /proc readers.

Every benchmark reuses tests/integration (Daemon, Nginx, the Docker API client, ...),
names its services `bench-<what>-<hex>` (a name the integration suite's cleanup never
matches, so a test run beside a benchmark cannot remove its containers) and prints each
result as one `RESULT` line; run.py collects the rows from $BENCH_ROWS.
"""
import json
import os
import signal
import statistics
import sys
import time
import urllib.parse
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import dockerapi as dk  # noqa: E402
from conftest import Daemon, wait_for  # noqa: E402

BENCH_PREFIX = "bench-"
IMAGE = "dockscale-demo:latest"
NOHC = "dockscale-demo:nohc"
PY = "/usr/bin/python3"


def on_sigterm():
    """run.py ends a benchmark that overruns with SIGTERM: unwind through the finally
    blocks so its daemon, nginx, wrk and containers are cleaned up."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def service_name(what):
    return f"{BENCH_PREFIX}{what}-{uuid.uuid4().hex[:6]}"


def remove_bench_containers(prefix=BENCH_PREFIX):
    """Containers of this or an interrupted earlier benchmark run (label value prefix)."""
    if not dk.ping():
        return 0
    n = 0
    for c in dk.containers():
        if c.get("Labels", {}).get(dk.LABEL, "").startswith(prefix):
            dk.remove(c["Id"])
            n += 1
    return n


class BenchDaemon(Daemon):
    """conftest.Daemon with the daemon's defaults where a benchmark needs them: the
    integration suite runs at log_level debug and a 1 s interval."""

    def __init__(self, tmp, body, name="d", interval="1s", log_level="info", **kw):
        self.b_interval = interval
        self.b_level = log_level
        super().__init__(tmp, body, name=name, **kw)

    def daemon_section(self, listen_port=None):
        return (super().daemon_section(listen_port)
                .replace("log_level = debug", f"log_level = {self.b_level}")
                .replace("interval = 1s", f"interval = {self.b_interval}"))


def get_text(url, timeout=2.0):
    """(status, body text) of a GET; conftest.http would parse an all-digit id as JSON."""
    import urllib.error
    import urllib.request
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def ratio(a, b):
    try:
        return a / b if b else float("nan")
    except TypeError:
        return float("nan")


def fmt_ratio(r):
    if r != r:
        return "n/a"
    return f"{r:.2g}x" if 0 < abs(r) < 0.1 else f"{r:.2f}x"


def create_body(svc, image=IMAGE, port=8080):
    """The create body dockscaled posts for a replica (ctrdef.c ctrdef_build)
    with cpus = 0 and memory = 0: same image, label, loopback port binding, init."""
    key = f"{port}/tcp"
    return {"Image": image, "Labels": {dk.LABEL: svc}, "ExposedPorts": {key: {}},
            "HostConfig": {"Init": True,
                           "PortBindings": {key: [{"HostIp": "127.0.0.1", "HostPort": ""}]},
                           "RestartPolicy": {"Name": "no"}}}


def create_container(name, svc, image=IMAGE):
    import urllib.parse
    code, out = dk.call("POST", "/containers/create?name=" + urllib.parse.quote(name),
                        create_body(svc, image))
    assert code == 201, out
    return out["Id"]


def host_port(ins, port=8080):
    return ins["NetworkSettings"]["Ports"][f"{port}/tcp"][0]["HostPort"]


def wait_healthy(cid, timeout=30):
    return wait_for(lambda: (i := dk.inspect(cid))["State"].get("Health", {}).get("Status")
                    == "healthy" and i, timeout=timeout, interval=0.01,
                    what=f"container {cid[:12]} healthy")


def emit(metric, dockscale, baseline, ratio_text, command, note=""):
    """One result: printed as a RESULT line and appended to $BENCH_ROWS for run.py."""
    row = {"metric": metric, "dockscale": dockscale, "baseline": baseline,
           "ratio": ratio_text, "command": command, "note": note}
    print(f"RESULT {metric}: dockscale {dockscale} | baseline {baseline} | ratio {ratio_text}"
          + (f" ({note})" if note else ""), flush=True)
    path = os.environ.get("BENCH_ROWS")
    if path:
        with open(path, "a") as f:
            f.write(json.dumps(row) + "\n")


def command(script):
    return f"{PY} tests/bench/{script}"


# ---- /proc ------------------------------------------------------------------------

CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_status(pid, key):
    """A kB field of /proc/PID/status (VmRSS, VmHWM) in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)


def proc_cpu_seconds(pid):
    """utime + stime of a process (all its threads) in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def pids_named(comm):
    out = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/comm") as f:
                    if f.read().strip() == comm:
                        out.append(int(p))
            except OSError:
                pass
    return out


def stop_proc(p, sig=signal.SIGTERM, timeout=10):
    """Stop one subprocess.Popen we started, by its pid."""
    if p is None or p.poll() is not None:
        return
    p.send_signal(sig)
    try:
        p.wait(timeout=timeout)
    except Exception:
        p.kill()
        p.wait()


def write_upstream(ngx, addrs):
    """What a script does: rewrite the upstream file in place, `nginx -s reload`.
    ngx is a peers.Nginx with .upstream_name set."""
    import subprocess
    with open(ngx.upstream_file, "w") as f:
        f.write(f"upstream {ngx.upstream_name} {{\n"
                + "".join(f"    server {a};\n" for a in addrs) + "}\n")
    subprocess.run(ngx.argv("-s", "reload"), check=True, capture_output=True)


_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def wrk_latency(out):
    """{'p50', 'p99', 'max'} in ms from wrk --latency output (missing keys absent)."""
    import re
    res = {}
    for key, pat in (("p50", r"^\s+50%\s+([\d.]+)(us|ms|s|m)\b"),
                     ("p99", r"^\s+99%\s+([\d.]+)(us|ms|s|m)\b"),
                     ("max", r"^\s+Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s|m)\b")):
        m = re.search(pat, out, re.M)
        if m:
            res[key] = float(m.group(1)) * _UNIT_MS[m.group(2)]
    return res


# Shared by reaction_lb.py and readiness.py: the raw baseline, create + start -> first 200.
def ms(t0, t1):
    return (t1 - t0) * 1000.0


def first_200(url, old=(), deadline_s=40.0):
    """Poll until a 200 whose body (the replica's short id) is not in `old`."""
    deadline = time.perf_counter() + deadline_s
    while time.perf_counter() < deadline:
        try:
            code, body = get_text(url, timeout=1)
        except OSError:
            code, body = 0, ""
        if code == 200 and body.strip() and body.strip() not in old:
            return time.perf_counter(), body.strip()
        time.sleep(0.002)
    raise AssertionError(f"no new 200 from {url} within {deadline_s}s")


def raw_run(svc, i, image=NOHC):
    """create + start -> the container's first 200, straight to its published port."""
    t0 = time.perf_counter()
    code, out = dk.call("POST", "/containers/create?name=" +
                        urllib.parse.quote(f"{svc}-{i}"), create_body(svc, image))
    assert code == 201, out
    cid = out["Id"]
    try:
        assert dk.start(cid) == 204
        port = host_port(dk.inspect(cid))
        t1, body = first_200(f"http://127.0.0.1:{port}/")
        assert body == cid[:12], (body, cid)
        return ms(t0, t1)
    finally:
        dk.remove(cid)
