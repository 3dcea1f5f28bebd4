"""Counters from the kernel (doc/scaling.md, "Counters from the kernel"): on the engine's
host the daemon reads each replica's cgroup files instead of asking the stats API, and
gets the same numbers; with `stats_source = api` it asks the stats API."""
import re
import signal
import time

import dockerapi as dk
from conftest import http, wait_for
from test_replicas import service_conf, wait_ready
from test_scaling import Load
from test_webhook import alert, payload

# min = max: nothing scales, the load only makes numbers worth comparing.
POLICY = dict(metric="docker_cpu, docker_memory", memory="256M", min_replicas=1,
              max_replicas=1)


def metrics(d):
    code, body, _ = d.get("/metrics")
    assert code == 200
    return body


def sample(body, series, name):
    m = re.search(r'^%s\{[^}]*name="%s"[^}]*\} (\S+)$' % (series, re.escape(name)), body,
                  re.M)
    return float(m.group(1)) if m else None


def samples_total(body, source):
    m = re.search(r'^dockscale_stats_samples_total\{source="%s"\} (\d+)$' % source, body, re.M)
    assert m, "no dockscale_stats_samples_total series"
    return int(m.group(1))


def engine(cid):
    """The stats API's CPU counter (s) with its system base, and the working set."""
    code, st = dk.call("GET", f"/containers/{cid}/stats?stream=false&one-shot=true")
    assert code == 200, st
    c, m = st["cpu_stats"], st["memory_stats"]
    inactive = m["stats"].get("total_inactive_file", m["stats"].get("inactive_file", 0))
    return (time.time(), c["cpu_usage"]["total_usage"] / 1e9, c["system_cpu_usage"] / 1e9,
            c["online_cpus"], m["usage"] - inactive if inactive < m["usage"] else m["usage"])


def kernel(d, name):
    """The daemon's last sample of the replica: CPU seconds, working set."""
    b = metrics(d)
    return (sample(b, "container_cpu_usage_seconds_total", name),
            sample(b, "container_memory_working_set_bytes", name))


def fresh_kernel(d, name):
    """A new sample of the daemon's, and when it appeared (to ~50 ms: container_last_seen
    is whole seconds)."""
    old = kernel(d, name)[0]
    cur = wait_for(lambda: (lambda k: k[0] != old and k)(kernel(d, name)), timeout=5,
                   interval=0.05, what="a new kernel sample")
    return time.time(), cur[0], cur[1]


def never_asks_api(d, passes):
    """The whole window (passes that sample): stats API samples stay where they are,
    cgroup ones grow."""
    api0, cg0 = samples_total(metrics(d), "api"), samples_total(metrics(d), "cgroup")
    d.wait_passes(passes, hold=lambda: samples_total(metrics(d), "api") == api0,
                  what="no stats API sample")
    assert samples_total(metrics(d), "cgroup") > cg0


def test_cgroup_counters_match_the_stats_api(daemon_factory, svc):
    d = daemon_factory(service_conf(svc, **POLICY)).start()
    s = wait_ready(d, svc, 1)
    rep = s["replicas"][0]
    addr, cid, name = rep["address"], rep["id"], rep["name"]
    d.wait_log("replica counters: cgroup v", timeout=10)
    # 48 MiB held: a working set well above the app's own.
    assert http("GET", f"http://{addr}/mem?mb=48", timeout=30)[0] == 200
    wait_for(lambda: kernel(d, name)[0] is not None, timeout=10, what="a kernel sample")
    # The window starts and ends idle, so both sources' cumulative counters stand still
    # at its edges: the CPU each saw over the same load is comparable whatever the
    # machine's load does to the timing of the reads.
    k0, e0 = fresh_kernel(d, name), engine(cid)
    load = Load([addr], threads=2, ms=150)
    try:
        never_asks_api(d, 2)
        time.sleep(6)
        # docker_cpu comes from these counters: the replica's share of a core, loaded.
        value = wait_for(lambda: (lambda v: v is not None and v > 5 and v)(
            d.get(f"/api/v1/services/{svc}")[1]["metric"]), timeout=5, what="docker_cpu")
    finally:
        load.stop()
    k1 = fresh_kernel(d, name)
    k1 = fresh_kernel(d, name)  # a pass after the last request ended
    e1 = engine(cid)
    cpu_k, cpu_e, wall = k1[1] - k0[1], e1[1] - e0[1], k1[0] - k0[0]
    print(f"CPU over the window: cgroup {cpu_k:.3f} s, stats API {cpu_e:.3f} s "
          f"({100 * cpu_k / wall:.1f}% vs {100 * cpu_e / wall:.1f}% of a core); docker_cpu "
          f"{value:.1f}; working set cgroup {k1[2]:.0f}, API {e1[4]:.0f}")
    assert cpu_e > 0.5, f"the load did not load the replica ({cpu_e:.2f} s of CPU)"
    assert abs(cpu_k - cpu_e) <= 0.03 * cpu_e + 0.05, (cpu_k, cpu_e)
    ws_k, ws_e = k1[2], e1[4]
    assert ws_e > 48 << 20 and abs(ws_k - ws_e) <= 0.03 * ws_e, (ws_k, ws_e)
    assert samples_total(metrics(d), "api") == 0


def test_stats_source_api_asks_the_engine(daemon_factory, svc):
    d = daemon_factory(service_conf(svc, **POLICY),
                       daemon_extra="[docker]\nstats_source = api\n").start()
    s = wait_ready(d, svc, 1)
    name = s["replicas"][0]["name"]
    wait_for(lambda: samples_total(metrics(d), "api") >= 2, timeout=10,
             what="two stats API samples")
    d.wait_passes(3, hold=lambda: samples_total(metrics(d), "cgroup") == 0,
                  what="no cgroup sample with stats_source = api")
    b = metrics(d)
    assert sample(b, "container_memory_working_set_bytes", name) > 0
    assert "replica counters: cgroup" not in d.log()
    # A webhook flood (held: min = max) is not a stats flood: at most one refresh a
    # second beside the 1 s passes, where each alert used to start a round of its own.
    before, t0, sent = samples_total(metrics(d), "api"), time.monotonic(), 0
    while time.monotonic() - t0 < 2:
        body = payload([alert(svc, "scale_up", fp=f"flood{sent}")])
        code, out, _ = d.post("/api/v1/alerts", body=body)
        assert code == 200 and out["held"] == 1, out
        sent += 1
    took = time.monotonic() - t0
    grew = samples_total(metrics(d), "api") - before
    assert sent >= 50, f"only {sent} webhooks in {took:.1f} s"
    assert grew <= 2 * (took + 2), f"{grew} stats calls for {sent} alerts in {took:.1f} s"
    # A reload back to the default takes the kernel's counters from the next pass.
    d.daemon_extra = ""
    d.write_config(d.body)
    d.signal(signal.SIGHUP)
    wait_for(lambda: samples_total(metrics(d), "cgroup") > 0, timeout=10,
             what="cgroup samples after the reload")
