"""Scaling decisions on real load: docker_cpu, Prometheus, dry-run, --once (SPEC §4.3-4.5)."""
import threading
import time
import uuid
import urllib.request

import pytest

import dockerapi as dk
from conftest import wait_for
from peers import start_prometheus
from test_replicas import IMAGE, service_conf, status, wait_ready


class Load:
    """Threads that keep asking a replica to burn CPU until stopped."""

    def __init__(self, addrs, threads=3, ms=200):
        self.addrs, self.stop_ev = addrs, threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(i, ms), daemon=True)
                        for i in range(threads)]
        for t in self.threads:
            t.start()

    def run(self, i, ms):
        while not self.stop_ev.is_set():
            addr = self.addrs[i % len(self.addrs)]
            try:
                urllib.request.urlopen(f"http://{addr}/work?ms={ms}", timeout=5).read()
            except OSError:
                time.sleep(0.05)

    def stop(self):
        self.stop_ev.set()
        for t in self.threads:
            t.join(timeout=10)


CPU_POLICY = dict(metric="docker_cpu", cpus="0.5", min_replicas=1, max_replicas=3,
                  scale_up_threshold=50, scale_down_threshold=15, scale_up_for="0s",
                  scale_down_for="2s", scale_up_cooldown="2s", scale_down_cooldown="1s")


def test_docker_cpu_load_scales_up_and_back_to_min(daemon_factory, svc):
    d = daemon_factory(service_conf(svc, **CPU_POLICY)).start()
    s = wait_ready(d, svc, 1)
    load = Load([s["replicas"][0]["address"]])
    try:
        wait_for(lambda: status(d, svc)["desired"] >= 2, timeout=30, interval=0.3,
                 what="scale up under CPU load")
        s = status(d, svc)
        assert s["last_decision"]["direction"] == "up"
        assert "scale up" in s["last_decision"]["reason"]
    finally:
        load.stop()
    wait_for(lambda: status(d, svc)["desired"] == 1, timeout=40, interval=0.3,
             what="scale back to min without load")
    wait_for(lambda: len(dk.containers(svc)) == 1, timeout=30, what="one container left")
    log = d.log()
    assert "scale up 1 -> 2" in log and "scale down" in log
    metrics = d.get("/metrics")[1]
    assert f'dockscale_scale_events_total{{service="{svc}",direction="up"}}' in metrics
    # cAdvisor's label set (doc/api.md, "cAdvisor series"), in the order /metrics writes it
    cid = dk.containers(svc)[0]["Id"]
    labels = (f'{{container="{svc}",container_label_io_dockscale_service="{svc}",'
              f'dockscale_service="{svc}",id="/docker/{cid}",image="{IMAGE}",name="{svc}-1"}}')
    assert f'container_cpu_usage_seconds_total{labels} ' in metrics
    assert f'container_memory_usage_bytes{labels} ' in metrics


def test_prometheus_query_drives_scaling_and_outage_holds(daemon_factory, svc, tmp_path):
    d = daemon_factory(service_conf(svc, metric="docker_cpu", min_replicas=1)).start()
    prom = start_prometheus(str(tmp_path), d.port)
    try:
        query = (f'100 * sum(rate(container_cpu_usage_seconds_total'
                 f'{{dockscale_service="{svc}"}}[5s]))')
        policy = dict(CPU_POLICY, metric="prometheus", query=query, cpus=0)
        d.write_config(service_conf(svc, **policy) +
                       f"[prometheus]\nurl = {prom.url}\ntimeout = 2s\n")
        d.signal(__import__("signal").SIGHUP)
        d.wait_log("reload:")
        s = wait_ready(d, svc, 1)
        load = Load([s["replicas"][0]["address"]], threads=2)
        try:
            wait_for(lambda: status(d, svc)["desired"] >= 2, timeout=45, interval=0.3,
                     what="scale up from the PromQL value")
        finally:
            load.stop()
        assert "(prometheus;" in d.log()
        # Prometheus goes away: missing data holds the count, never scales down.
        prom.stop()
        held = status(d, svc)["desired"]

        def missing():
            return int(d.get("/metrics")[1].split(
                f'dockscale_metric_missing_total{{service="{svc}"}} ')[1].split()[0])
        before = missing()
        # Passes that evaluate without data: the count stays where it is all along.
        d.wait_passes(3, hold=lambda: status(d, svc)["desired"] == held,
                      what=f"desired {held} while Prometheus is down")
        wait_for(lambda: missing() >= before + 2, timeout=10, what="two evaluations missing data")
        assert f'dockscale_metric_value{{service="{svc}"}} NaN' in d.get("/metrics")[1]
        assert "missing data" in status(d, svc)["last_decision"]["reason"]
    finally:
        prom.stop()


def test_dead_prometheus_holds_the_count(daemon_factory, svc):
    from conftest import free_port
    dead = free_port()
    d = daemon_factory(service_conf(svc, metric="prometheus", query="up", min_replicas=2,
                                    scale_down_for="0s", scale_down_cooldown="0s") +
                       f"[prometheus]\nurl = http://127.0.0.1:{dead}\ntimeout = 1s\n").start()
    wait_ready(d, svc, 2)
    d.wait_passes(3, hold=lambda: status(d, svc)["desired"] == 2 and
                  len(dk.containers(svc)) == 2, what="two replicas without data")
    assert "missing data" in status(d, svc)["last_decision"]["reason"]
    assert "missing data" in d.log()


def test_dry_run_creates_nothing(daemon_factory, svc):
    d = daemon_factory(service_conf(svc, min_replicas=2), args=["--dry-run"]).start()
    wait_for(lambda: (dk.containers(svc) == [] or pytest.fail("a dry run made a container"))
             and "dry-run: would" in d.log(), timeout=10, what="dry-run: would")
    d.wait_passes(2, hold=lambda: dk.containers(svc) == [], what="no container")
    assert d.stop() == 0


def test_dry_run_decides_and_logs_on_adopted_replicas(daemon_factory, svc):
    live = daemon_factory(service_conf(svc, **CPU_POLICY)).start()
    s = wait_ready(live, svc, 1)
    addr = s["replicas"][0]["address"]
    assert live.stop() == 0
    shadow = daemon_factory(service_conf(svc, **CPU_POLICY), args=["--dry-run"]).start()
    load = Load([addr])
    try:
        shadow.wait_log("dry-run: would scale up", timeout=30)
    finally:
        load.stop()
    assert len(dk.containers(svc)) == 1


def test_once_runs_one_pass_and_exits(daemon_factory, svc):
    d = daemon_factory(service_conf(svc, min_replicas=1), args=["--once"]).start(wait=False)
    assert d.proc.wait(timeout=60) == 0, d.log()
    assert len(dk.running(svc)) == 1
    assert "pass complete" in d.log()
