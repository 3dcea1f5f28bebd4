#!/usr/bin/python3
"""Waking a sleeping service (doc/waking.md, "Sleeping: stop or pause"): a request to the
wake listener -> its 200, with sleep = pause (the same container unpaused and probed)
against the floor measured in the same run, Docker's own unpause + the first 200 from
the container (a plain client polling every 2 ms, same image), and against sleep = stop
(create + start) through the daemon. BENCH_PAUSE_N rounds each (default 10), the three
kinds interleaved round by round. Goal: pause <= 1.2 x the floor and under 100 ms.
Also the memory a paused replica holds (the status API's asleep.memory_bytes) beside
docker stats' figure for the floor's container while paused.
"""
import os
import shutil
import socket
import statistics
import tempfile
import time
import urllib.parse

from common import (NOHC, BenchDaemon, command, create_body, dk, emit, fmt_ratio, get_text,
                    host_port, on_sigterm, remove_bench_containers, service_name, wait_for)
from conftest import free_port
from test_replicas import service_conf, status

N = int(os.environ.get("BENCH_PAUSE_N", "10"))
SCRIPT = "pause_wake.py"


def ms(t0, t1):
    return (t1 - t0) * 1000.0


def p90(xs):
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(0.9 * (len(s) - 1))))]


def poll_200(url, deadline_s=30.0):
    deadline = time.perf_counter() + deadline_s
    while time.perf_counter() < deadline:
        try:
            code, body = get_text(url, timeout=1)
        except OSError:
            code, body = 0, ""
        if code == 200:
            return time.perf_counter(), body.strip()
        time.sleep(0.002)
    raise AssertionError(f"no 200 from {url} within {deadline_s}s")


def wake_get(addr, timeout=30.0):
    """GET / from the wake listener: (time the whole answer was in, status, body). It reads
    on to the listener's close before closing its side: a client that closes first, as
    soon as it has Content-Length bytes, can leave the listener believing a wake is still
    under way (reported with this benchmark; nginx's upstream side can do the same)."""
    host, port = addr.rsplit(":", 1)
    buf, t_in = b"", None
    with socket.create_connection((host, int(port)), timeout=timeout) as so:
        so.sendall(b"GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
        while True:
            chunk = so.recv(65536)
            if not chunk:
                break
            buf += chunk
            head, sep, body = buf.partition(b"\r\n\r\n")
            if sep and t_in is None:
                m = [ln for ln in head.split(b"\r\n") if ln.lower().startswith(b"content-length:")]
                if m and len(body) >= int(m[0].split(b":")[1]):
                    t_in = time.perf_counter()
    head, _, body = buf.partition(b"\r\n\r\n")
    code = int(head.split(b" ")[1]) if head.startswith(b"HTTP/") else 0
    return t_in or time.perf_counter(), code, body.decode(errors="replace")


class Floor:
    """A container of the same image run by hand: pause it, then unpause + first 200."""

    def __init__(self, svc):
        code, out = dk.call("POST", "/containers/create?name=" + urllib.parse.quote(
            f"{svc}-floor"), create_body(svc, NOHC))
        assert code == 201, out
        self.cid = out["Id"]
        assert dk.start(self.cid) in (204, 304)
        self.url = f"http://127.0.0.1:{host_port(dk.inspect(self.cid))}/"
        poll_200(self.url)

    def round(self):
        assert dk.call("POST", f"/containers/{self.cid}/pause")[0] == 204
        t0 = time.perf_counter()
        assert dk.call("POST", f"/containers/{self.cid}/unpause")[0] == 204
        t1, _ = poll_200(self.url)
        return ms(t0, t1)

    def paused_memory(self):
        assert dk.call("POST", f"/containers/{self.cid}/pause")[0] == 204
        try:
            code, st = dk.call("GET", f"/containers/{self.cid}/stats?stream=false")
            return st.get("memory_stats", {}).get("usage", 0) if code == 200 else 0
        finally:
            dk.call("POST", f"/containers/{self.cid}/unpause")


class Sleeper:
    """A daemon whose service sleeps (pause or stop) with a wake listener."""

    def __init__(self, tmp, svc, mode):
        self.svc, self.mode = svc, mode
        self.wake = f"127.0.0.1:{free_port()}"
        self.d = BenchDaemon(tmp, service_conf(
            svc, image=NOHC, min_replicas=0, max_replicas=1, wake_listen=self.wake,
            sleep=mode, upstream_file=os.path.join(tmp, f"{svc}.conf"),
            upstream_name=f"up_{svc.replace('-', '_')}"), name=f"d-{mode}")
        self.d.start()
        self.last = None
        self.to_healthy = []

    def asleep(self):
        s = status(self.d, self.svc)
        if s["current"] != 0 or s["ready"] != 0:
            return False
        if self.mode == "pause":
            return s["asleep"]["paused"] == 1 and s
        return s["replicas"] == [] and dk.containers(self.svc) == [] and s

    def sleep(self):
        self.d.post(f"/api/v1/services/{self.svc}/scale", body={"replicas": 0})
        return wait_for(self.asleep, timeout=60, interval=0.05, what=f"{self.svc} asleep")

    def round(self):
        self.sleep()
        t0 = time.perf_counter()
        t1, code, body = wake_get(self.wake)
        assert code == 200, (code, body)
        if self.mode == "pause" and self.last is not None:
            assert body.strip() == self.last, "pause woke another container"
        self.last = body.strip()
        # The daemon's own: the wake's scale-up to the replica ready (doc/api.md).
        self.to_healthy.append(status(self.d, self.svc)["last_scale_up_ms"]["to_healthy"])
        return ms(t0, t1)

    def stop(self):
        self.d.stop()


def summary(xs):
    return f"median {statistics.median(xs):.1f} ms, p90 {p90(xs):.1f} ms"


def main():
    on_sigterm()
    tmp = tempfile.mkdtemp(prefix="bench-pause-")
    svc = service_name("pause")
    floor = pause = stop = None
    ok = False
    try:
        floor = Floor(svc + "f")
        pause = Sleeper(tmp, svc + "p", "pause")
        stop = Sleeper(tmp, svc + "s", "stop")
        # The first wake of each: the replica is created then (not what is measured).
        pause.d.post(f"/api/v1/services/{pause.svc}/scale", body={"replicas": 1})
        wait_for(lambda: status(pause.d, pause.svc)["ready"] == 1, timeout=60)
        pause.round()
        res = {"floor": [], "pause": [], "stop": []}
        for i in range(N):
            res["floor"].append(floor.round())
            res["pause"].append(pause.round())
            res["stop"].append(stop.round())
            print(f"round {i + 1}: floor {res['floor'][-1]:.1f} ms, pause "
                  f"{res['pause'][-1]:.1f} ms, stop {res['stop'][-1]:.1f} ms", flush=True)
        pause.sleep()
        mem = wait_for(lambda: status(pause.d, pause.svc)["asleep"]["memory_bytes"],
                       timeout=30, what="the paused replica's memory")
        floor_mem = floor.paused_memory()
        fm, pm, sm = (statistics.median(res[k]) for k in ("floor", "pause", "stop"))
        cmd = command(SCRIPT)
        ph = pause.to_healthy[1:]  # the first was the warm-up's
        emit(f"sleep = pause: the wake's scale-up -> replica ready (daemon's to_healthy, "
             f"median of {N})", f"{statistics.median(ph):.1f} ms (p90 {p90(ph):.1f} ms)",
             f"{fm:.1f} ms: Docker unpause + first 200", fmt_ratio(statistics.median(ph) / fm),
             cmd)
        emit("sleep = pause: request -> 200 through the wake listener (median of "
             f"{N})", f"{pm:.1f} ms ({summary(res['pause'])})",
             f"{fm:.1f} ms: Docker unpause + first 200 ({summary(res['floor'])})",
             fmt_ratio(pm / fm), cmd, "goal <= 1.2x and < 100 ms")
        emit(f"sleep = stop: request -> 200 through the wake listener (median of {N})",
             f"{sm:.1f} ms ({summary(res['stop'])})", f"{pm:.1f} ms (sleep = pause)",
             fmt_ratio(sm / pm), cmd, "stop / pause")
        emit("memory held by one paused replica (demo app)", f"{mem / 1048576:.2f} MiB",
             f"{floor_mem / 1048576:.2f} MiB (docker stats of the floor's paused "
             "container)", fmt_ratio(mem / floor_mem if floor_mem else float("nan")), cmd)
        ok = True
    finally:
        for x in (pause, stop):
            if x is not None:
                x.stop()
        remove_bench_containers(svc)
        if ok or not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"pause_wake.py: logs kept in {tmp}", flush=True)


if __name__ == "__main__":
    main()
