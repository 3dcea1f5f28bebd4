"""Phase `sleep`: kill -9 and a hand's removal around a service that sleeps paused.

One daemon (sleep = pause, min 0, max 2, wake_listen, drain 0 s) with a real nginx in
front. Each run puts the service to sleep through the API (scale to 0: its replica drains
and is paused), then, in turn:
- asleep: kill -9 of the daemon while the service sleeps, restart on the same config and
  lock: the paused container is adopted paused (status asleep, never in the upstream over
  the passes after the restart), and a request through nginx wakes that same container;
- waking: a request through nginx, and kill -9 a random 0-400 ms into its wake; restart;
  a request through nginx is answered 200 (the request in flight at the kill may get an
  error: its connection died with the daemon);
- removed: `docker rm -f` of the paused container, then a request through nginx: a new
  replica answers it.
After each run: exactly one container of the service, ready and running, listed alone in
the upstream. Over the whole phase (Docker and the file polled every 100 ms): the upstream
never lists an address that is not a running, unpaused replica's (or the wake listener),
and never more running replicas than max.
"""
import threading
import time

from common import Monitor, converged, dk, fmt_s, http, pct, service_name, setup_service, \
    stop_all, wait_for
from conftest import free_port

PHASE = "sleep"
MAX = 2
KINDS = ("asleep", "waking", "removed")


class SleepMonitor(Monitor):
    """The Monitor's properties, the wake listener's address being a fine member."""

    def __init__(self, svc, ngx, wake):
        super().__init__(svc, MAX, ngx.upstream_file, f"up_{svc}", period=0.1)
        self.wake = wake

    def poll(self):
        super().poll()
        with self.lock:
            # the parent counted the wake listener as stale: take those polls back
            ex = self.examples["stale"]
            if ex and ex[-1].split(" file lists ")[1].startswith(f"['{self.wake}']"):
                self.stale -= 1
                ex.pop()


def asleep(d, svc):
    s = d.status(svc, timeout=2)
    ctrs = dk.containers(svc)
    return (s["desired"] == 0 and s["sleep"]["asleep"] and len(ctrs) == 1 and
            ctrs[0]["State"] == "paused" and s)


def get(ngx, timeout=30):
    code, body, _ = http("GET", ngx.url + "/", timeout=timeout)
    return code, str(body).strip()


def run(tmp, rng, runs):
    svc = service_name()
    wake = f"127.0.0.1:{free_port()}"
    dk.cleanup(svc)
    ngx, d = setup_service(tmp, svc, MAX, daemon_name="sleep", min_replicas=0, sleep="pause",
                           wake_listen=wake, drain="0s")
    mon = SleepMonitor(svc, ngx, wake)
    rows, answered, same, woke_s, bad = [], 0, 0, [], []
    try:
        d.start()
        wait_for(lambda: wake in open(ngx.upstream_file).read() and
                 "nginx runs the new upstream" in d.log(), timeout=15, interval=0.1,
                 what="nginx running the wake upstream")
        mon.start()
        for i in range(runs):
            kind = KINDS[i % len(KINDS)]
            code, body = get(ngx)
            if code != 200:
                bad.append(f"run {i}: first request {code}")
                continue
            d.scale(svc, 0)
            wait_for(lambda: asleep(d, svc), timeout=30, interval=0.1, what="asleep, paused")
            paused_id = dk.containers(svc)[0]["Id"]
            if kind == "asleep":
                d.note(f"run {i}: kill -9 while asleep")
                d.kill9()
                d.start()
                d.wait_passes(3, hold=lambda: asleep(d, svc), what="adopted asleep and paused")
            elif kind == "waking":
                out = []
                th = threading.Thread(target=lambda: out.append(get(ngx)), daemon=True)
                th.start()
                time.sleep(rng.uniform(0, 0.4))
                d.note(f"run {i}: kill -9 while waking")
                d.kill9()
                th.join(40)
                d.start()
            else:
                d.note(f"run {i}: paused container removed by hand")
                dk.remove(paused_id)
            t0 = time.monotonic()
            code, body = get(ngx)
            if code == 200:
                answered += 1
                woke_s.append(time.monotonic() - t0)
                if kind == "asleep" and body == paused_id[:12]:
                    same += 1
            else:
                bad.append(f"run {i} ({kind}): {code} {body[:80]}")
            d.scale(svc, 1)
            try:
                wait_for(lambda: converged(d, svc, ngx, 1), timeout=30, interval=0.1,
                         what="one replica, ready, alone in the upstream")
            except AssertionError:
                bad.append(f"run {i} ({kind}): did not converge")
    finally:
        mon.stop()
        stop_all(d, ngx)
        dk.cleanup(svc)
    c = mon.counts()
    asleep_runs = len([i for i in range(runs) if KINDS[i % len(KINDS)] == "asleep"])
    rows.append((PHASE, "a request after each kill or removal answered 200",
                 f"{answered}/{runs}" + (f"; {bad[:3]}" if bad else ""), answered == runs))
    rows.append((PHASE, "kill -9 while asleep: the same paused container wakes",
                 f"{same}/{asleep_runs}", same == asleep_runs))
    rows.append((PHASE, "the upstream never lists a paused or stopped replica",
                 f"{c['stale']} of {c['polls']} polls" +
                 (f"; {mon.examples['stale'][:2]}" if c["stale"] else ""), c["stale"] == 0))
    rows.append((PHASE, "never more running replicas than max, the file always valid",
                 f"max {c['max_running']}, {c['invalid']} invalid", c["above_max"] == 0 and
                 c["invalid"] == 0))
    rows.append((PHASE, "request to 200 after the event (median, p90)",
                 f"{fmt_s(pct(woke_s, 50))}, {fmt_s(pct(woke_s, 90))}", None))
    return rows, d.logpath
