"""Scaling on traffic read from the balancer itself (doc/traffic.md): nginx's access log on
the daemon's socket, HAProxy's per-server counters; the figures checked against wrk's own,
an I/O-bound service scaled on concurrency and latency while CPU stays low, the least busy
replica retired, and garbage on the log socket ignored."""
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time

import pytest

import dockerapi as dk
from conftest import http, wait_for
from peers import Nginx
from test_haproxy import hap  # noqa: F401 (the fixture)
from test_replicas import service_conf, status, wait_ready


QLEN = "/proc/sys/net/unix/max_dgram_qlen"


@pytest.fixture
def sockdir():
    # A unix datagram socket queues net.unix.max_dgram_qlen datagrams and nginx drops a
    # line beyond that: systemd hosts set 512, a container may have 10 (the daemon warns).
    with open(QLEN) as f:
        if int(f.read()) < 512:
            with open(QLEN, "w") as w:
                w.write("512\n")
    # sun_path holds 107 bytes: pytest's tmp paths can be longer
    d = tempfile.mkdtemp(prefix="acl-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def nginx(tmp_path, svc, sockdir):
    n = Nginx(str(tmp_path), f"up_{svc}", access_log=os.path.join(sockdir, "access.sock"))
    yield n
    n.stop()


def nginx_conf(svc, nginx, **kw):
    opts = dict(upstream_file=nginx.upstream_file, upstream_name=f"up_{svc}", drain="1s")
    opts.update(kw)
    return service_conf(svc, **opts) + nginx.nginx_section()


def hap_conf(svc, hap, **kw):
    opts = dict(balancer="haproxy", haproxy_backend=hap.backend, drain="1s")
    opts.update(kw)
    return service_conf(svc, **opts) + hap.section()


class Wrk:
    """wrk's own count and latency of one run (its --latency table)."""

    def __init__(self, url, conns, secs):
        self.url, self.conns, self.secs = url, conns, secs
        self.out = None

    def run(self):
        p = subprocess.run(["wrk", "-t2", f"-c{self.conns}", f"-d{self.secs}s", "--latency",
                            self.url], capture_output=True, text=True, timeout=self.secs + 60)
        self.out = p.stdout
        assert p.returncode == 0, p.stdout + p.stderr
        return self

    def start(self):
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        return self

    def join(self):
        self.thread.join(self.secs + 90)
        assert self.out is not None, "wrk did not finish"
        return self

    @property
    def requests(self):
        return int(re.search(r"(\d+) requests in", self.out).group(1))

    @property
    def rate(self):
        return float(re.search(r"Requests/sec:\s+([\d.]+)", self.out).group(1))

    def latency_ms(self, pct=None):
        """wrk's mean latency (pct None) or its pct-th percentile, in ms."""
        if pct is None:
            m = re.search(r"Latency\s+([\d.]+)(us|ms|s)\b", self.out)
        else:
            m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", self.out, re.M)
        v, unit = float(m.group(1)), m.group(2)
        return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v

    def errors(self):
        m = re.search(r"Non-2xx or 3xx responses: (\d+)", self.out)
        s = re.search(r"Socket errors: .*", self.out)
        return (int(m.group(1)) if m else 0), (s.group(0) if s else "")


def service_requests(d, svc):
    """dockscale_service_requests_total of svc, every class."""
    text = d.get("/metrics")[1]
    return sum(int(v) for v in re.findall(
        rf'^dockscale_service_requests_total{{service="{svc}",class="[^"]+"}} (\d+)$', text, re.M))


def traffic(d, svc):
    return status(d, svc)["traffic"]


def figures_while(d, svc, load, skip=2.5, every=1.0, n=4):
    """The service's traffic figures read n times while load runs (after skip seconds, so
    that every window read lies inside the run)."""
    time.sleep(skip)
    got = []
    for _ in range(n):
        t = traffic(d, svc)
        assert t["have"], t
        got.append(t)
        time.sleep(every)
    assert load.thread.is_alive(), "the load ended before the figures were read"
    return got


def check_against_wrk(d, svc, url, percentile):
    before = service_requests(d, svc)
    load = Wrk(url, conns=4, secs=9).start()
    got = figures_while(d, svc, load)
    load.join()
    assert load.errors() == (0, ""), load.out
    # every line or counter of the run has arrived once the count stops moving
    wait_for(lambda: service_requests(d, svc) - before >= load.requests * 0.95, timeout=10,
             what="the run's requests counted")
    d.wait_passes(2)
    counted = service_requests(d, svc) - before
    rate = sum(t["requests_per_s"] for t in got) / len(got)
    lat = sum(t["latency_ms"] for t in got) / len(got)
    want_lat = load.latency_ms(percentile)
    print(f"\n{svc}: wrk {load.requests} requests, {load.rate:.1f}/s, "
          f"{'p%d' % percentile if percentile else 'mean'} {want_lat:.1f} ms; dockscale "
          f"counted {counted}, {rate:.1f}/s, latency {lat:.1f} ms ({got[-1]['source']})")
    # wrk does not count the requests still in flight when its time is up: at most conns
    assert abs(counted - load.requests) <= max(0.05 * load.requests, 4), (counted, load.out)
    assert abs(rate - load.rate) <= 0.05 * load.rate, (rate, [t["requests_per_s"] for t in got])
    assert abs(lat - want_lat) <= 0.10 * want_lat, (lat, want_lat, load.out)
    return got


@pytest.mark.alone  # figures compared with wrk's: another test's load would skew both
def test_nginx_rate_and_percentile_match_wrk(daemon_factory, svc, nginx):
    d = daemon_factory(nginx_conf(svc, nginx, min_replicas=2, max_replicas=2,
                                  latency_percentile=90)).start()
    wait_ready(d, svc, 2)
    wait_for(lambda: nginx.upstream().count("server ") == 2, timeout=15, what="2 upstreams")
    t = traffic(d, svc)
    assert t["source"] == "access_log" and t["latency_percentile"] == 90
    # no line yet since the daemon started: no figures, and the status says why
    assert not t["have"] and "no access-log line" in t["why"]
    got = check_against_wrk(d, svc, nginx.url + "/wait?ms=40", 90)
    # explain says it in words
    lines = d.get(f"/api/v1/services/{svc}/explain")[1]["lines"]
    assert any(x.startswith("traffic: ") and " p90 " in x for x in lines), lines
    # both replicas took their share, each with its own figures
    reps = status(d, svc)["replicas"]
    assert all(r["traffic"]["requests_total"] > 50 for r in reps), reps
    m = d.get("/metrics")[1]
    assert re.search(rf'dockscale_requests_total{{service="{svc}",replica="{svc}-1",'
                     r'class="2xx"} [1-9]\d*', m)
    assert re.search(rf'dockscale_upstream_response_seconds_bucket{{service="{svc}",'
                     rf'replica="{svc}-2",le="0.05"}} [1-9]\d*', m)
    assert re.search(r'dockscale_access_log_lines_total{result="valid"} [1-9]\d*', m)
    assert got[-1]["responses"]["2xx"] > 0
    # a window with no request while lines flow is a real zero
    wait_for(lambda: traffic(d, svc)["requests_per_s"] == 0, timeout=10, what="a zero")
    assert traffic(d, svc)["have"]


@pytest.mark.alone  # figures compared with wrk's
def test_haproxy_rate_and_average_match_wrk(daemon_factory, svc, hap):
    d = daemon_factory(hap_conf(svc, hap, min_replicas=2, max_replicas=2)).start()
    wait_ready(d, svc, 2)
    wait_for(lambda: traffic(d, svc)["have"], timeout=15, what="HAProxy's counters read")
    t = traffic(d, svc)
    assert t["source"] == "counters" and t["latency_percentile"] is None
    # HAProxy's counters give an average response time (rtime): compared with wrk's mean
    check_against_wrk(d, svc, hap.url + "/wait?ms=40", None)


def scale_io_bound(d, svc, url, metric, conns, expect_up):
    """Phase 1: docker_cpu alone over the load does not scale (polled throughout); phase
    2: the traffic metric scales 1 -> expect_up while CPU stays low; 3: back down."""
    load = Wrk(url, conns=conns, secs=14).start()
    time.sleep(2)
    d.wait_passes(8, hold=lambda: status(d, svc)["desired"] == 1, what="docker_cpu held at 1")
    cpu = status(d, svc)["metrics"]["docker_cpu"]
    load.join()
    assert cpu is not None and cpu < 40, cpu
    body = d.body.replace("metric = docker_cpu\n", f"metric = docker_cpu, {metric}\n")
    d.write_config(body)
    d.signal(1)  # SIGHUP
    d.wait_log("reload: ")
    load = Wrk(url, conns=conns, secs=40).start()
    s = wait_for(lambda: (lambda s: s["desired"] >= expect_up and s)(status(d, svc)),
                 timeout=35, what=f"{metric} scales up to {expect_up}")
    cpu = s["metrics"]["docker_cpu"]
    assert s["last_decision"]["metric"] == metric, s["last_decision"]
    # the decision's event carries the figures it was made on
    evs = d.get(f"/api/v1/events?service={svc}&type=decision")[1]["events"]
    assert any(f"scale up" in e["message"] and "; traffic " in e["message"] and
               " in flight" in e["message"] for e in evs), evs
    assert cpu is None or cpu < 40, f"CPU at {cpu}: not an I/O-bound load"
    load.join()
    assert load.errors()[0] == 0, load.out
    wait_for(lambda: status(d, svc)["desired"] == 1, timeout=40, what="back to 1 without load")


def test_concurrency_scales_an_io_bound_service_cpu_does_not(daemon_factory, svc, nginx):
    d = daemon_factory(nginx_conf(
        svc, nginx, min_replicas=1, max_replicas=4, metric="docker_cpu",
        concurrency_target=3, scale_up_cooldown="0s", scale_down_for="3s",
        scale_down_cooldown="1s", scale_up_threshold=40, scale_down_threshold=20)).start()
    wait_ready(d, svc, 1)
    # 12 clients on a pool of 4 slots a replica, 200 ms each: 12 in flight at one replica
    scale_io_bound(d, svc, nginx.url + "/wait?ms=200", "concurrency", 12, 3)


def test_latency_scales_an_io_bound_service(daemon_factory, svc, nginx):
    d = daemon_factory(nginx_conf(
        svc, nginx, min_replicas=1, max_replicas=4, metric="docker_cpu",
        latency_target="300ms", scale_up_cooldown="0s", scale_down_for="3s",
        scale_down_cooldown="1s", scale_up_threshold=40, scale_down_threshold=20)).start()
    wait_ready(d, svc, 1)
    # 16 clients on 4 slots, 100 ms each: ~400 ms at one replica, ~200 ms at two
    scale_io_bound(d, svc, nginx.url + "/wait?ms=100", "latency", 16, 2)


def test_scale_down_retires_the_least_busy_replica(daemon_factory, svc, hap):
    d = daemon_factory(hap_conf(svc, hap, min_replicas=3, max_replicas=3, drain="0s")).start()
    wait_ready(d, svc, 3)
    wait_for(lambda: traffic(d, svc)["have"], timeout=15, what="HAProxy's counters read")
    held = []

    def long_request():
        held.append(http("GET", hap.url + "/wait?ms=9000", timeout=30)[0])
    threads = [threading.Thread(target=long_request) for _ in range(2)]
    for t in threads:
        t.start()
        time.sleep(0.3)

    def busy():
        reps = status(d, svc)["replicas"]
        f = {r["name"]: r.get("traffic", {}).get("in_flight") for r in reps}
        return sorted(f.values()) == [0, 1, 1] and f
    f = wait_for(busy, timeout=8, what="two replicas with a request in flight, one idle")
    idle = next(n for n, v in f.items() if v == 0)
    body = d.body.replace("min_replicas = 3", "min_replicas = 2").replace(
        "max_replicas = 3", "max_replicas = 2")
    d.write_config(body)
    d.signal(1)
    gone = wait_for(lambda: (lambda names: len(names) == 2 and names)(
        {c["Names"][0].lstrip("/") for c in dk.running(svc)}), timeout=20, what="one retired")
    left = {f"{svc}-{i}" for i in (1, 2, 3)} - gone
    assert left == {idle}, (left, idle, f)
    assert "retire the least busy ready replica" in d.log()
    for t in threads:
        t.join(30)
    # the requests in flight on the two that stayed were answered
    assert held == [200, 200]


@pytest.mark.alone  # a flood that takes a core, and an RSS bound
def test_garbage_on_the_log_socket_changes_nothing(daemon_factory, svc, nginx):
    d = daemon_factory(nginx_conf(svc, nginx, min_replicas=1, max_replicas=3,
                                  metric="requests", requests_target=1000,
                                  scale_down_for="1s")).start()
    wait_ready(d, svc, 1)
    wait_for(lambda: nginx.upstream().count("server ") == 1, timeout=15, what="the upstream")
    # a line flows first: from then on the figures are real (a zero is a zero)
    wait_for(lambda: http("GET", nginx.url + "/")[0] == 200, timeout=10, what="nginx serving")
    wait_for(lambda: traffic(d, svc)["have"], timeout=10, what="the first line")
    pid = d.proc.pid
    rss0 = rss_kib(pid)
    m0 = d.get("/metrics")[1]
    valid0 = int(re.search(r'access_log_lines_total{result="valid"} (\d+)', m0).group(1))
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.setblocking(False)
    addr = status(d, svc)["replicas"][0]["address"]
    good = (f'<190>Dec  7 14:55:17 dockscale: dockscale1 200 0.010 "{addr}" "200" "0.010" '
            '"/" "x"').encode()
    garbage = [good[:n] for n in range(0, len(good) - 1, 7)]  # truncated at every field
    garbage += [b"A" * 65000, bytes(range(256)) * 8, b"\x00" * 100,
                good.replace(b"dockscale1", b"dockscale2"),
                good.replace(b" 200 ", b" 999 "), good.replace(b'"0.010"', b'"nan"')]
    sent = [0]

    def flood():
        end = time.monotonic() + 6
        i = 0
        while time.monotonic() < end:
            try:
                s.sendto(garbage[i % len(garbage)], nginx.access_log)
                sent[0] += 1
            except BlockingIOError:
                time.sleep(0.0005)
            i += 1
    t = threading.Thread(target=flood)
    t.start()
    # no decision changes, /healthz answers all along (no timing bound here: the 100 ms
    # goal is measured by tests/bench/traffic_cost.py), memory bounded
    d.wait_passes(6, hold=lambda: status(d, svc)["desired"] == 1 and d.healthy(),
                  what="one replica, the daemon answering")
    t.join()
    s.close()
    m = d.get("/metrics")[1]
    bad = int(re.search(r'access_log_lines_total{result="malformed"} (\d+)', m).group(1))
    valid = int(re.search(r'access_log_lines_total{result="valid"} (\d+)', m).group(1))
    rss1 = rss_kib(pid)
    print(f"\ngarbage: {sent[0]} datagrams sent in 6 s, {bad} counted malformed, "
          f"RSS {rss0} -> {rss1} KiB")
    assert bad > 1000 and valid == valid0, (bad, valid, valid0)
    # the datagrams sent would be hundreds of MiB if anything kept them; the bound is
    # test_api_hardening's, which holds under AddressSanitizer's quarantine too
    assert rss1 - rss0 < 20 * 1024, (rss0, rss1)
    assert traffic(d, svc)["requests_per_s"] < 5


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
