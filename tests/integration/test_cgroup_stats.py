"""Counters from the kernel (README.md, "Counters from the kernel"): on the engine's
host the daemon reads each replica's cgroup files instead of asking the stats API, and
gets the same numbers; with `stats_source = api` it asks the stats API."""
import re
import time

import dockerapi as dk
from conftest import http, wait_for
from test_replicas import service_conf, wait_ready
from test_scaling import Load

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


def never_asks_api(d, seconds):
    """The whole window: stats API samples stay where they are, cgroup ones grow."""
    api0, cg0 = samples_total(metrics(d), "api"), samples_total(metrics(d), "cgroup")
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        b = metrics(d)
        assert samples_total(b, "api") == api0, "the stats API was asked"
        time.sleep(0.2)
    assert samples_total(metrics(d), "cgroup") > cg0


def test_cgroup_counters_match_the_stats_api(daemon_factory, svc):
    d = daemon_factory(service_conf(svc, **POLICY)).start()
    s = wait_ready(d, svc, 1)
    rep = s["replicas"][0]
    addr, cid, name = rep["address"], rep["id"], rep["name"]
    d.wait_log("replica counters: cgroup v", timeout=10)
    # 48 MiB held: a working set well above the app's own.
    assert http("GET", f"http://{addr}/mem?mb=48", timeout=30)[0] == 200
    load = Load([addr], threads=2, ms=150)
    try:
        wait_for(lambda: kernel(d, name)[0] is not None, timeout=10, what="a kernel sample")
        never_asks_api(d, 2)
        # The same window through both: each side's own timestamps.
        k0, e0 = fresh_kernel(d, name), engine(cid)
        time.sleep(8)
        k1, e1 = fresh_kernel(d, name), engine(cid)
        # docker_cpu comes from these counters: the replica's share of a core, loaded.
        value = d.get(f"/api/v1/services/{svc}")[1]["metric"]
    finally:
        load.stop()
    k_pct = (k1[1] - k0[1]) / (k1[0] - k0[0]) * 100
    e_pct = (e1[1] - e0[1]) / (e1[0] - e0[0]) * 100
    # The Engine's own share formula (cores = dcpu / dsystem * online) agrees too.
    e_share = (e1[1] - e0[1]) / (e1[2] - e0[2]) * e0[3] * 100
    print(f"CPU over the window: cgroup {k_pct:.2f}%, stats API {e_pct:.2f}% (share "
          f"formula {e_share:.2f}%); working set cgroup {k1[2]:.0f}, API {e1[4]:.0f}")
    assert e_pct > 30, f"the load did not load the replica ({e_pct:.1f}% of a core)"
    assert abs(k_pct - e_pct) <= max(3.0, 0.05 * e_pct), (k_pct, e_pct, e_share)
    assert abs(k_pct - e_share) <= max(3.0, 0.05 * e_share), (k_pct, e_pct, e_share)
    ws_k, ws_e = k1[2], e1[4]
    assert ws_e > 48 << 20 and abs(ws_k - ws_e) <= 0.03 * ws_e, (ws_k, ws_e)
    assert value is not None and value > 20, value
    assert samples_total(metrics(d), "api") == 0


def test_stats_source_api_asks_the_engine(daemon_factory, svc):
    d = daemon_factory(service_conf(svc, **POLICY),
                       daemon_extra="[docker]\nstats_source = api\n").start()
    s = wait_ready(d, svc, 1)
    name = s["replicas"][0]["name"]
    wait_for(lambda: samples_total(metrics(d), "api") >= 2, timeout=10,
             what="two stats API samples")
    end = time.monotonic() + 3
    while time.monotonic() < end:
        assert samples_total(metrics(d), "cgroup") == 0, "cgroup files read with api"
        time.sleep(0.2)
    b = metrics(d)
    assert sample(b, "container_memory_working_set_bytes", name) > 0
    assert "replica counters: cgroup" not in d.log()
