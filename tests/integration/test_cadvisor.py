"""cAdvisor parity (doc/api.md, "cAdvisor series"): a real Prometheus scrapes dockscaled
(no cAdvisor) and the seed's own expressions return one series per replica, with values
that match the Docker Engine's stats API."""
import threading
import time
import urllib.parse
import urllib.request

import dockerapi as dk
from conftest import http, wait_for
from peers import start_prometheus
from test_memory import docker_stats_percent, mem_image  # noqa: F401 (a fixture)
from test_replicas import service_conf, wait_ready
from test_scaling import Load


class EngineCpu:
    """Samples each container's cpu_usage.total_usage from the Engine every ~0.5 s, to
    compute the reference CPU rate over exactly the window Prometheus looks at."""

    def __init__(self, ids):
        self.ids, self.samples = ids, {i: [] for i in ids}
        self.stop_ev = threading.Event()
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        while not self.stop_ev.is_set():
            for cid in self.ids:
                code, st = dk.call("GET", f"/containers/{cid}/stats?stream=false&one-shot=true")
                if code == 200:
                    self.samples[cid].append((time.time(), st["cpu_stats"]["cpu_usage"]
                                              ["total_usage"] / 1e9))
            self.stop_ev.wait(0.5)

    def rate(self, cid, t0, t1):
        s = self.samples[cid]
        a = min(s, key=lambda x: abs(x[0] - t0))
        b = min(s, key=lambda x: abs(x[0] - t1))
        return (b[1] - a[1]) / (b[0] - a[0]) * 100

    def stop(self):
        self.stop_ev.set()
        self.t.join(timeout=10)


def query(prom, expr, at):
    q = urllib.parse.urlencode({"query": expr, "time": f"{at:.3f}"})
    code, body, _ = http("GET", f"{prom.url}/api/v1/query?{q}", timeout=10)
    assert code == 200 and body["status"] == "success", body
    return {r["metric"].get("name"): float(r["value"][1]) for r in body["data"]["result"]}, \
        body["data"]["result"]


def test_seed_expressions_against_real_prometheus(daemon_factory, svc, tmp_path, mem_image):
    web = "web" + svc  # the seed's rules select name=~"web.*"
    dk.cleanup(web)
    d = prom = burn = eng = None
    try:
        d = daemon_factory(service_conf(web, image=mem_image, min_replicas=2, max_replicas=2,
                                        cpus="0.5", memory="64M")).start()
        s = wait_ready(d, web, 2)
        reps = {r["name"]: r for r in s["replicas"]}
        ids = {n: r["id"] for n, r in reps.items()}
        # Load from the first moment the series exist, so every window below is loaded.
        # Two busy threads per replica against its 0.5-core quota (threads go round the
        # addresses): each runs at its limit, throttled.
        burn = Load([r["address"] for r in reps.values()], threads=4, ms=300)
        eng = EngineCpu(list(ids.values()))
        assert http("GET", f"http://{reps[web + '-1']['address']}/mem?mb=24", timeout=30)[0] == 200
        prom = start_prometheus(str(tmp_path), d.port)
        # [2m] needs two minutes of samples (rate() divides by the whole range).
        start = time.time()
        wait_for(lambda: time.time() - start > 125, timeout=140, interval=1, what="2 minutes")
        at = time.time() - 2  # a scrape (1 s) and a stats sample have landed by then

        cpu1, rows = query(prom, 'sum(rate(container_cpu_usage_seconds_total{image!=""}[1m])) '
                           'by (name) * 100', at)
        cpu2, _ = query(prom, 'sum by (name) (rate(container_cpu_usage_seconds_total'
                        '{name=~"web.*"}[2m])) * 100', at)
        seen, _ = query(prom, 'time() - container_last_seen{name=~"web.*"}', at)
        mem, mrows = query(prom, 'container_memory_working_set_bytes{name=~"web.*"} / '
                           'container_spec_memory_limit_bytes{name=~"web.*"} * 100', at)
        burn.stop()
        eng.stop()
        names = sorted(ids)
        for got in (cpu1, cpu2, seen, mem):
            assert sorted(got) == names, got  # one series per replica
        for n, cid in ids.items():
            ref1 = eng.rate(cid, at - 60, at)
            ref2 = eng.rate(cid, at - 120, at)
            assert ref1 > 10, (n, ref1)  # the load really ran
            assert abs(cpu1[n] - ref1) <= max(3.0, 0.05 * ref1), (n, cpu1[n], ref1)
            assert abs(cpu2[n] - ref2) <= max(3.0, 0.05 * ref2), (n, cpu2[n], ref2)
            # The age of the last sample when it was scraped: a second or two, up to a
            # few more on a busy host (the pass that samples comes every interval); a
            # scrape served late can make it slightly negative (the sample's timestamp
            # is when the scrape began). A stale series would be far older.
            assert -5 < seen[n] < 10, (n, seen[n])
            ref_mem = docker_stats_percent(cid)
            assert abs(mem[n] - ref_mem) <= 3.0, (n, mem[n], ref_mem)
        assert mem[web + "-1"] > 30 > mem[web + "-2"]  # 24 MiB of 64 held by one replica

        # The label set, cAdvisor's way: id, image, name, the Docker label, ours, container.
        _, rows = query(prom, f'container_cpu_usage_seconds_total{{name="{web}-1"}}', time.time())
        lab = rows[0]["metric"]
        assert lab["id"] == "/docker/" + ids[web + "-1"]
        assert lab["image"] == mem_image and lab["container"] == web
        assert lab["container_label_io_dockscale_service"] == web
        assert lab["dockscale_service"] == web
        for expr in (f'container_spec_cpu_quota{{container="{web}"}}',
                     f'container_spec_cpu_period{{container="{web}"}}',
                     f'container_spec_memory_limit_bytes{{container="{web}"}}',
                     f'container_start_time_seconds{{container="{web}"}}',
                     f'container_network_receive_bytes_total{{container="{web}",interface="eth0"}}',
                     f'container_cpu_cfs_throttled_seconds_total{{container="{web}"}}',
                     f'container_memory_rss{{container="{web}"}}',
                     f'container_oom_events_total{{container="{web}"}}'):
            got, _ = query(prom, expr, time.time())
            assert sorted(got) == names, (expr, got)
        quota, _ = query(prom, f'container_spec_cpu_quota{{container="{web}"}}', time.time())
        period, _ = query(prom, f'container_spec_cpu_period{{container="{web}"}}', time.time())
        limit, _ = query(prom, f'container_spec_memory_limit_bytes{{container="{web}"}}',
                         time.time())
        started, _ = query(prom, f'container_start_time_seconds{{container="{web}"}}',
                           time.time())
        for n, cid in ids.items():
            ins = dk.inspect(cid)
            assert quota[n] == 50000 and period[n] == 100000  # cpus 0.5 = 50 ms per 100 ms
            assert limit[n] == 64 * 1024 * 1024 == ins["HostConfig"]["Memory"]
            assert abs(started[n] - time.time()) < 600
        # Throttled: two busy threads against a 0.5-core quota.
        thr, _ = query(prom, f'container_cpu_cfs_throttled_seconds_total{{container="{web}"}}',
                       time.time())
        assert all(v > 0 for v in thr.values()), thr
    finally:
        if burn:
            burn.stop()
        if eng:
            eng.stop()
        if prom:
            prom.stop()
        if d:
            d.stop()
        dk.cleanup(web)
