#!/usr/bin/python3
"""What reading traffic costs the daemon (doc/traffic.md, "What it costs").

1. The daemon's CPU (utime + stime from /proc/PID/stat over the window) while ~1,000
   requests/s of GET / go through nginx to 3 replicas, for three services in turn (each
   with its own nginx and daemon, interval 1 s, min = max = 3):

       docker_cpu, nginx without the access log   (the baseline: no line is sent)
       requests, nginx's access log on the daemon's socket
       docker_cpu + requests, the access log on    (the baseline plus the log alone)

   The rate: wrk -t2 -cCONNS with pace.lua, where each connection waits PACE_MS before
   each request (keep-alive), so the rate is about CONNS * 1000 / (PACE_MS + latency)
   however fast GET / answers (wrk has no rate option; wrk2 is not installed). wrk's
   own count gives the rate measured. Also: the daemon's CPU idle (no request) before
   the load, nginx's workers' CPU over the same window, and the lines the daemon counted
   against wrk's requests.

2. With the log on: /healthz answer times (p50/p99/max of 200 requests, a new connection
   each, 20 ms apart) idle, then while a separate process floods the socket with ~100,000
   garbage datagrams/s (truncated lines, wrong versions and values, binary, one over the
   8 KiB buffer), the datagrams the daemon counted malformed, its CPU, and VmRSS before,
   after and at peak (VmHWM).

BENCH_COST_SHORT=1: 10 s windows (a smoke run). BENCH_COST_WINDOW (s), BENCH_COST_CONNS,
BENCH_COST_PACE_MS and BENCH_COST_FLOOD_RATE change them. The tables go to stdout and
build/traffic_cost.md; run.py's table gets the rows.
"""
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import time

from common import (HERE, PY, ROOT, BenchDaemon, command, dk, emit, on_sigterm,
                    proc_cpu_seconds, proc_status, remove_bench_containers, service_name,
                    stop_proc, wait_for)
from iobound import raise_qlen
from peers import Nginx
from seedtable import pct
from test_nginx import conf
from test_replicas import status, wait_ready

SCRIPT = "traffic_cost.py"
SHORT = os.environ.get("BENCH_COST_SHORT") == "1"
WINDOW = float(os.environ.get("BENCH_COST_WINDOW", "10" if SHORT else "30"))
IDLE = 5.0 if SHORT else 10.0
WARM = 3.0  # wrk runs this long before the window opens
CONNS = int(os.environ.get("BENCH_COST_CONNS", "10"))
PACE_MS = int(os.environ.get("BENCH_COST_PACE_MS", "9"))
FLOOD_RATE = int(os.environ.get("BENCH_COST_FLOOD_RATE", "100000"))
REPLICAS = 3
PACE = os.path.join(HERE, "pace.lua")

CASES = [("docker_cpu, no access log", "docker_cpu", False),
         ("requests, access log", "requests", True),
         ("docker_cpu + requests, access log", "docker_cpu, requests", True)]

# The flooder: its own process, so that its sends never hold the GIL of the process that
# times /healthz. RATE > 0: RATE datagrams/s in batches every millisecond for SECS seconds,
# never waiting for the socket: a datagram its queue cannot take (EAGAIN) is dropped and
# counted. RATE = 0: blocking sends, as fast as the daemon takes them. Prints {"sent",
# "dropped", "secs"}.
FLOODER = r"""
import json, socket, sys, time
path, rate, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
good = (b'<190>Dec  7 14:55:17 dockscale: dockscale1 200 0.010 "127.0.0.1:9" "200" '
        b'"0.010" "/" "x"')
junk = [good[:n] for n in range(0, len(good) - 1, 7)]
junk += [bytes(range(256)) * 8, b"\x00" * 100, b"B" * 9000,
         good.replace(b"dockscale1", b"dockscale2"), good.replace(b" 200 ", b" 999 "),
         good.replace(b'"0.010"', b'"nan"'), good + b" trailing"]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setblocking(rate == 0)
s.connect(path)
batch = max(1, rate // 1000) if rate else 1000
sent = dropped = i = 0
start = time.monotonic()
tick = start
while tick - start < secs:
    for _ in range(batch):
        try:
            s.send(junk[i % len(junk)])
            sent += 1
        except BlockingIOError:
            dropped += 1
        i += 1
    if rate:
        tick += 0.001
        time.sleep(max(0.0, tick - time.monotonic()))
    else:
        tick = time.monotonic()
print(json.dumps({"sent": sent, "dropped": dropped, "secs": time.monotonic() - start}))
"""


def children(pid):
    out = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(p))
            except (OSError, ValueError, IndexError):
                pass
    return out


def cpu_of(pids):
    got = {}
    for p in pids:
        try:
            got[p] = proc_cpu_seconds(p)
        except OSError:
            pass
    return got


def metric(d, name):
    text = d.get("/metrics", timeout=5)[1]
    m = re.search(rf"^{re.escape(name)} ([\d.e+]+)$", text, re.M)
    return int(float(m.group(1))) if m else 0


def lines(d, result):
    return metric(d, f'dockscale_access_log_lines_total{{result="{result}"}}')


def settled(read, timeout=10.0):
    """read() once it stops moving (a lost line never arrives: no wait for a count)."""
    last, end = read(), time.monotonic() + timeout
    while time.monotonic() < end:
        time.sleep(1.0)
        now = read()
        if now == last:
            break
        last = now
    return last


def healthz_times(d, n=200, gap=0.02):
    """n GET /healthz, each on a new connection: their answer times in ms, and failures."""
    got, failed = [], 0
    for _ in range(n):
        t = time.perf_counter()
        try:
            c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=5)
            c.request("GET", "/healthz")
            ok = c.getresponse().status == 200
            c.close()
        except OSError:
            ok = False
        ms = (time.perf_counter() - t) * 1000
        if ok:
            got.append(ms)
        else:
            failed += 1
        time.sleep(gap)
    return got, failed


def spread(xs):
    return {"p50": pct(xs, 50), "p99": pct(xs, 99), "max": max(xs) if xs else float("nan")}


def wrk(url, secs):
    return subprocess.Popen(["wrk", "-t2", f"-c{CONNS}", f"-d{secs:.0f}s", "--latency",
                             "-s", PACE, url, "--", str(PACE_MS)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def probe(d, sock=None, rate=0):
    """200 /healthz answer times and the daemon's CPU, idle (sock None) or while the
    flooder sends garbage to sock at rate datagrams/s (0: as fast as the daemon reads)."""
    pid = d.proc.pid
    bad0 = lines(d, "malformed")
    cpu0, t0 = proc_cpu_seconds(pid), time.monotonic()
    p = out = None
    if sock:
        secs = 2.0 + 200 * 0.025  # one second before the probes, their time, margin
        p = subprocess.Popen([PY, "-c", FLOODER, sock, str(rate), str(secs)],
                             stdout=subprocess.PIPE, text=True)
    try:
        if p:
            time.sleep(1.0)
        times, failed = healthz_times(d)
        if p:
            out, _ = p.communicate(timeout=60)
    finally:
        stop_proc(p)
    took = time.monotonic() - t0
    res = dict(spread(times), failed=failed, cpu=(proc_cpu_seconds(pid) - cpu0) / took * 100)
    if out:
        sent = json.loads(out)
        res.update(sent=sent["sent"], dropped=sent["dropped"], secs=sent["secs"],
                   counted=settled(lambda: lines(d, "malformed")) - bad0)
    return res


def flood(d, sock):
    """/healthz, CPU and memory while garbage floods the log socket, against idle."""
    pid = d.proc.pid
    rss0 = proc_status(pid, "VmRSS")
    idle = probe(d)
    paced = probe(d, sock, FLOOD_RATE)
    rss1 = proc_status(pid, "VmRSS")
    block = probe(d, sock, 0)
    return {"idle": idle, "paced": paced, "block": block, "rss0": rss0, "rss1": rss1,
            "rss2": proc_status(pid, "VmRSS"), "hwm": proc_status(pid, "VmHWM")}


def run_case(tmp, label, metric_name, log):
    svc = service_name("cost")
    sock = os.path.join(tmp, f"{svc[-6:]}.sock") if log else None
    ngx = Nginx(tmp, f"up_{svc}", access_log=sock)
    d = w = None
    try:
        body = conf(svc, ngx, metric=metric_name, min_replicas=REPLICAS,
                    max_replicas=REPLICAS, requests_target=100000, drain="1s")
        d = BenchDaemon(tmp, body, name=f"d-{svc}", interval="1s").start()
        wait_ready(d, svc, REPLICAS, timeout=60)
        wait_for(lambda: ngx.upstream().count("server 127.0.0.1:") == REPLICAS, timeout=30,
                 what="upstream lists the replicas")
        time.sleep(3)  # the reload lands, the first passes after it
        pid = d.proc.pid
        c0 = proc_cpu_seconds(pid)
        time.sleep(IDLE)
        idle = (proc_cpu_seconds(pid) - c0) / IDLE * 100
        valid0 = lines(d, "valid") if log else 0
        w = wrk(ngx.url + "/", WARM + WINDOW + 2)
        time.sleep(WARM)
        workers = children(ngx.proc.pid)
        n0, c0, t0 = cpu_of(workers), proc_cpu_seconds(pid), time.monotonic()
        time.sleep(WINDOW)
        n1, c1, t1 = cpu_of(workers), proc_cpu_seconds(pid), time.monotonic()
        out, _ = w.communicate(timeout=WINDOW + 60)
        w = None
        s = status(d, svc)
        reqs = int(re.search(r"(\d+) requests in", out).group(1))
        rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        errs = re.search(r"Socket errors: .*", out)
        res = {"idle": idle, "cpu": (c1 - c0) / (t1 - t0) * 100,
               "nginx": sum(n1[p] - n0[p] for p in n1 if p in n0) / (t1 - t0) * 100,
               "workers": len(workers), "rate": rate, "requests": reqs,
               "non2xx": int(non2xx.group(1)) if non2xx else 0,
               "errors": errs.group(0) if errs else "", "desired": s["desired"]}
        if log:
            res["lines"] = settled(lambda: lines(d, "valid") - valid0)
            res["flood"] = flood(d, sock) if metric_name == "requests" else None
        print(f"{label}: {json.dumps(res)}", flush=True)
        return res
    finally:
        stop_proc(w)
        if d is not None:
            d.stop()
        ngx.stop()
        dk.cleanup(svc)


def main():
    on_sigterm()
    raise_qlen()
    remove_bench_containers("bench-cost-")
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-cost-") as tmp:
        for label, metric_name, log in CASES:
            results.append((label, run_case(tmp, label, metric_name, log)))
    r = dict(results)
    base, req, both = (r[c[0]] for c in CASES)
    head = ["service", "daemon CPU, idle", f"daemon CPU at ~{base['rate']:,.0f} req/s",
            "nginx workers' CPU", "requests/s (wrk)", "lines counted / requests", "non-2xx"]
    rows = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for label, x in results:
        counted = (f"{x['lines']:,} / {x['requests']:,}" if "lines" in x
                   else f"- / {x['requests']:,}")
        rows.append(f"| {label} | {x['idle']:.2f} % | {x['cpu']:.2f} % | {x['nginx']:.1f} % "
                    f"| {x['rate']:,.0f} | {counted} | {x['non2xx']} |")
    f = req["flood"]
    cols = [("idle", f["idle"]), (f"{FLOOD_RATE:,}/s offered", f["paced"]),
            ("as fast as it reads", f["block"])]
    flood_rows = ["| | " + " | ".join(c for c, _ in cols) + " |",
                  "|---|" + "---:|" * len(cols)]

    def row(name, cell):
        flood_rows.append(f"| {name} | " + " | ".join(cell(x) for _, x in cols) + " |")
    row("/healthz p50 / p99 / max (200 requests)",
        lambda x: f"{x['p50']:.1f} / {x['p99']:.1f} / {x['max']:.1f} ms")
    row("/healthz failed", lambda x: str(x["failed"]))
    row("datagrams sent / dropped (queue full) / counted malformed", lambda x: (
        f"{x['sent']:,} / {x['dropped']:,} / {x['counted']:,} in {x['secs']:.1f} s"
        if "sent" in x else "-"))
    row("datagrams read per second", lambda x: (
        f"{x['counted'] / x['secs']:,.0f}" if "sent" in x else "-"))
    row("daemon CPU", lambda x: f"{x['cpu']:.1f} %")
    flood_rows.append(f"| VmRSS | {f['rss0'] / 1024:.1f} MiB | {f['rss1'] / 1024:.1f} MiB | "
                      f"{f['rss2'] / 1024:.1f} MiB (VmHWM {f['hwm'] / 1024:.1f}) |")
    md = (f"Cost of reading traffic ({'SHORT smoke run, ' if SHORT else ''}"
          f"{os.cpu_count()} CPUs; {REPLICAS} replicas, GET / through nginx, wrk -t2 "
          f"-c{CONNS} keep-alive paced {PACE_MS} ms per connection (pace.lua), window "
          f"{WINDOW:.0f} s after {WARM:.0f} s, idle {IDLE:.0f} s before, interval 1 s; CPU in "
          f"% of one core):\n\n" + "\n".join(rows) + "\n\nAdded by the log: "
          f"{req['cpu'] - base['cpu']:+.2f} points (requests - docker_cpu), "
          f"{both['cpu'] - base['cpu']:+.2f} points (docker_cpu + requests - docker_cpu).\n\n"
          "Garbage on the socket (one process sending, the service scaled on requests; "
          "VmRSS before, after the paced flood, after the second):\n\n"
          + "\n".join(flood_rows) + "\n")
    print("\n" + md)
    os.makedirs(os.path.join(ROOT, "build"), exist_ok=True)
    with open(os.path.join(ROOT, "build", "traffic_cost.md"), "w") as out:
        out.write(md)
    note = "SHORT smoke run" if SHORT else ""
    emit(f"daemon CPU at ~1,000 req/s through nginx (3 replicas), access log + metric = "
         f"requests ({req['rate']:,.0f} req/s)", f"{req['cpu']:.2f} % of a core",
         f"{base['cpu']:.2f} % docker_cpu, no access log ({base['rate']:,.0f} req/s)",
         f"{req['cpu'] - base['cpu']:+.2f} points", command(SCRIPT), note=note)
    emit("same, docker_cpu + requests with the log", f"{both['cpu']:.2f} % of a core",
         f"{base['cpu']:.2f} %", f"{both['cpu'] - base['cpu']:+.2f} points", command(SCRIPT),
         note=note)
    fp = f["paced"]
    emit(f"/healthz p99 / max while ~{fp['counted'] / fp['secs']:,.0f} garbage datagrams/s "
         "hit the log socket", f"{fp['p99']:.1f} / {fp['max']:.1f} ms",
         f"idle {f['idle']['p99']:.1f} / {f['idle']['max']:.1f} ms",
         f"{fp['p99'] / f['idle']['p99']:.2f}x p99", command(SCRIPT), note=note)
    fb = f["block"]
    emit(f"same, as fast as the daemon reads (~{fb['counted'] / fb['secs']:,.0f}/s, daemon "
         f"CPU {fb['cpu']:.0f} %)", f"{fb['p99']:.1f} / {fb['max']:.1f} ms",
         f"idle {f['idle']['p99']:.1f} / {f['idle']['max']:.1f} ms",
         f"{fb['p99'] / f['idle']['p99']:.2f}x p99", command(SCRIPT), note=note)
    emit("VmRSS before -> after both floods", f"{f['rss0'] / 1024:.1f} -> "
         f"{f['rss2'] / 1024:.1f} MiB", "-", f"{f['rss2'] / f['rss0']:.2f}x",
         command(SCRIPT), note=note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
