"""Host headroom (doc/headroom.md): a replica starts only if the host's MemAvailable less
[daemon] reserve_memory covers it, the higher priority first; a blocked start is an event
and an explain line; scale-downs are never held."""
import signal
import threading
import time

import pytest

import dockerapi as dk
from conftest import wait_for
from test_replicas import NOHC, service_conf, status

MiB = 1024 * 1024
# Each replica's `memory`: large beside what a replica and its shim really take of
# MemAvailable (a few MiB) and beside the host's own moves (tens of MiB: the engine is
# shared, doc/testing.md), so that a slot is a slot.
MEM = 256 * MiB
# What is left beyond the slots a phase means to open: half a slot either way.
MARGIN = 128 * MiB


def mem_available():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no MemAvailable in /proc/meminfo")


class Watch:
    """Polls MemAvailable all along the test against the reserve in force."""

    def __init__(self):
        self.reserve = 0
        self.low = None
        self.stop = threading.Event()
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        while not self.stop.is_set():
            m, r = mem_available(), self.reserve
            if r and m < r and self.low is None:
                self.low = (m, r)
            time.sleep(0.05)

    def done(self):
        self.stop.set()
        self.t.join()
        assert self.low is None, f"MemAvailable {self.low[0]} fell below the reserve {self.low[1]}"


def reserve_line(reserve):
    return f"reserve_memory = {reserve}\n"


def reload(d, reserve, watch):
    # The lower of the two reserves holds while the new one is on its way in.
    watch.reserve = min(watch.reserve, reserve) if watch.reserve else reserve
    before = d.log().count(" applied (")
    d.daemon_extra = reserve_line(reserve)
    d.write_config(d.body)
    d.signal(signal.SIGHUP)
    wait_for(lambda: d.log().count(" applied (") > before, timeout=10, what="reload applied")
    watch.reserve = reserve


def current(d, name):
    s = status(d, name)
    return s["current"]


def events(d, name):
    return d.get(f"/api/v1/events?service={name}&type=replica&limit=1000")[1]["events"]


def blocked_events(d, name):
    return [e for e in events(d, name) if "blocked: host headroom" in e["message"]]


@pytest.mark.alone  # MemAvailable is the host's: other tests' replicas would move it
def test_priority_first_blocked_explained_scale_down_free(daemon_factory, svc):
    hi, lo = svc + "hi", svc + "lo"
    for n in (hi, lo):
        dk.cleanup(n)
    watch = Watch()
    try:
        conf = (service_conf(hi, image=NOHC, health_path="/health", memory="256m",
                             min_replicas=1, max_replicas=6, priority=10) +
                service_conf(lo, image=NOHC, health_path="/health", memory="256m",
                             min_replicas=1, max_replicas=6, priority=0))
        # Room for both floors and one slot more: lo's floor (priority 0) is checked.
        r0 = mem_available() - 3 * MEM - MARGIN
        watch.reserve = r0
        d = daemon_factory(conf, daemon_extra=reserve_line(r0)).start()
        wait_for(lambda: status(d, hi)["ready"] == 1 and status(d, lo)["ready"] == 1,
                 timeout=40, what="both floors ready")

        # Phase 1: no slot left (less than one replica beyond the two running).
        reload(d, mem_available() - 2 * MEM - MARGIN, watch)
        assert d.post(f"/api/v1/services/{lo}/scale", body={"replicas": 4})[0] == 200
        assert d.post(f"/api/v1/services/{hi}/scale", body={"replicas": 4})[0] == 200
        for n in (hi, lo):
            wait_for(lambda n=n: blocked_events(d, n), timeout=15,
                     what=f"{n}: a blocked start in the events")
        d.wait_passes(3, hold=lambda: current(d, hi) == 1 and current(d, lo) == 1,
                      what="no start while nothing fits")
        # One event per blocked episode, not one per pass.
        assert len(blocked_events(d, hi)) == 1 and len(blocked_events(d, lo)) == 1
        ex = d.get(f"/api/v1/services/{lo}/explain")[1]
        assert ex["blocking"].startswith("blocked: host headroom, needs 256 MiB, "), ex
        assert any(line.startswith("blocked: host headroom") for line in ex["lines"]), ex
        h = status(d, lo)["headroom"]
        assert h["priority"] == 0 and h["blocked"].startswith("blocked: host headroom")
        assert h["blocked_total"] == 1
        m = d.get("/metrics")[1]
        assert f'dockscale_headroom_blocked{{service="{lo}"}} 1' in m
        assert f'dockscale_headroom_blocked_total{{service="{lo}"}} 1' in m

        # Phase 2: exactly three more slots: all three to the higher priority.
        reload(d, mem_available() - 2 * MEM - 3 * MEM - MARGIN, watch)
        wait_for(lambda: status(d, hi)["ready"] == 4, timeout=60, what=f"{hi}: 4 ready")
        d.wait_passes(3, hold=lambda: current(d, lo) == 1 and current(d, hi) == 4,
                      what="the lower priority waits; the higher has its four")
        assert len(dk.containers(lo)) == 1
        h = status(d, lo)["headroom"]
        assert h["blocked"] is not None, h
        assert status(d, hi)["headroom"]["blocked"] is None
        ex = d.get(f"/api/v1/services/{lo}/explain")[1]
        assert "host headroom" in (ex["blocking"] or ""), ex

        # Scale-downs are never held: the higher one gives two back while lo is blocked,
        # and lo starts into what they freed.
        assert d.post(f"/api/v1/services/{hi}/scale", body={"replicas": 2})[0] == 200
        wait_for(lambda: len(dk.containers(hi)) == 2, timeout=30, what=f"{hi} down to 2")
        wait_for(lambda: status(d, lo)["ready"] >= 2, timeout=60,
                 what=f"{lo}: a replica in the room freed")
        # And a blocked service scales down too.
        wait_for(lambda: status(d, lo)["headroom"]["blocked"] is not None or
                 current(d, lo) == 4, timeout=30, what=f"{lo} blocked again or done")
        assert d.post(f"/api/v1/services/{lo}/scale", body={"replicas": 1})[0] == 200
        wait_for(lambda: len(dk.containers(lo)) == 1, timeout=30, what=f"{lo} down to 1")
        wait_for(lambda: status(d, lo)["headroom"]["blocked"] is None, timeout=15,
                 what=f"{lo}: the blocked episode over")
        watch.done()
    finally:
        watch.stop.set()
        daemon_factory.kill_all()
        for n in (hi, lo):
            dk.cleanup(n)


@pytest.mark.alone  # MemAvailable is the host's
def test_unpause_waits_for_headroom(daemon_factory, svc, tmp_path):
    """sleep = pause: waking the paused replica is a start, held like a creation."""
    from conftest import free_port
    from peers import Nginx
    from test_sleep_pause import paused, sleeping_conf
    nginx = Nginx(str(tmp_path), f"up_{svc}")
    watch = Watch()
    try:
        conf = sleeping_conf(svc, nginx, f"127.0.0.1:{free_port()}", memory="256m")
        watch.reserve = 1 * MiB
        d = daemon_factory(conf, daemon_extra=reserve_line(1 * MiB)).start()
        d.post(f"/api/v1/services/{svc}/scale", body={"replicas": 1})
        s = wait_for(lambda: (st := status(d, svc))["ready"] == 1 and st, timeout=30,
                     what="one ready replica")
        cid = s["replicas"][0]["id"]
        d.post(f"/api/v1/services/{svc}/scale", body={"replicas": 0})
        wait_for(lambda: paused(cid) and status(d, svc)["current"] == 0, timeout=20,
                 what="paused at zero")

        # Less than one replica left: the wake (a scale to 1) waits, paused.
        reload(d, mem_available() - MARGIN, watch)
        assert d.post(f"/api/v1/services/{svc}/scale", body={"replicas": 1})[0] == 200
        wait_for(lambda: blocked_events(d, svc), timeout=15, what="a blocked unpause")
        d.wait_passes(3, hold=lambda: paused(cid), what="still paused while blocked")
        assert status(d, svc)["headroom"]["blocked"].startswith(
            "blocked: host headroom, needs 256 MiB, ")

        # Room again: the same container is unpaused and serves.
        reload(d, 1 * MiB, watch)
        wait_for(lambda: not paused(cid) and status(d, svc)["ready"] == 1, timeout=30,
                 what="unpaused once the host has room")
        assert [r["id"] for r in status(d, svc)["replicas"]] == [cid]
        assert status(d, svc)["headroom"]["blocked"] is None
        watch.done()
    finally:
        watch.stop.set()
        daemon_factory.kill_all()
        nginx.stop()
