"""Phase 4: kill -9 mid-scale with `balancer = haproxy` under keep-alive load.

One daemon (min 1, max 4, drain 1 s, stop_timeout 2 s) with a real HAProxy 2.6 in front
of its service (servers added and deleted through the runtime API; doc/balancers.md "Choosing a
balancer"). Each run starts wrk (keep-alive, -t2 -c8) through HAProxy, asks for a new
count through the API (scale-ups and scale-downs of 1..4), kills the daemon with SIGKILL
a random time into the change (CHAOS_SEED replays the points), restarts it at once on
the same config and lock, waits until it holds a steady state, asks for the count again
and waits until it converged: exactly that many ready replicas, no other labelled
container, and HAProxy's servers of the service exactly those replicas at their
addresses, all enabled. wrk runs one more second on the converged state and stops.
Checked over every run:
- 0 non-2xx answers, from three sides: wrk's own counts (and its socket errors), the
  frontend's `hrsp_*` counters of `show stat`, and HAProxy's log (`option httplog`;
  `dontlog-normal` keeps only the requests that failed, with their termination state);
- server connections reused: at most 1 in 20 requests opens a new one (`connect` and
  `reuse` of the backend in `show stat`). Each new one is a new connection from
  docker-proxy to the replica and a TIME_WAIT for 60 s; without HAProxy's idle pool it
  was nearly one a request, and the local ports toward the busiest replica ran out
  (502 SH--; doc/balancers.md, "Choosing a balancer");
- no orphan, every run converged;
- polled every 100 ms over the whole phase: never more running replicas than max, never
  a server of the service taking requests (not in maint) at an address no running
  replica has.
Lingerers hold a half-sent request on each replica (directly, not through HAProxy), so a
stop lasts up to stop_timeout and a kill lands in a stop often enough.
"""
import os
import re
import signal
import subprocess
import threading
import time

from common import (ChaosDaemon, Lingerers, dk, env_int, fmt_s, host_addrs, pct,
                    service_name, stop_all, wait_for)
from peers import HAProxy
from test_nginx import wrk_result
from test_replicas import service_conf

PHASE = "haproxy"
MAX = 4
SETTLE_HOLD = 2.5    # > stop_timeout: a replica Docker was still stopping exits within it
SETTLE_TIMEOUT = 40
CONVERGE_TIMEOUT = 45
TAIL = 1.0           # load on the converged state before wrk stops
MAINT = 0x23         # srv_admin_state bits: forced, inherited or resolution maintenance
DRAIN = 0x18         # forced or inherited drain
# One failed request in HAProxy's httplog: "... fe be/srv Tq/Tw/Tc/Tr/Ta status bytes
# - - TERM ..." (doc/chaos.md, haproxy)
LOG_RE = re.compile(r"\[(\S+)\] fe (\S+)/(\S+) \S+ (-?\d+) \S+ \S+ \S+ (\S{4}) ")


def wrk_start(url, seconds=3600):
    return subprocess.Popen(["wrk", "-t2", "-c8", f"-d{seconds}s", url],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wrk_stop(proc):
    proc.send_signal(signal.SIGINT)
    return wrk_result(proc)


def stat_rows(hap):
    """`show stat` as dicts keyed by the CSV header (pxname, svname, hrsp_5xx, ...)."""
    text = hap.cmd("show stat")
    lines = [x for x in text.splitlines() if x.strip()]
    head = lines[0].lstrip("# ").split(",")
    return [dict(zip(head, line.split(","))) for line in lines[1:]]


def frontend_counts(hap):
    """Answers HAProxy's frontend sent to clients, by class, and the backend's errors."""
    out = {}
    for row in stat_rows(hap):
        if row.get("pxname") == "fe" and row.get("svname") == "FRONTEND":
            for k in ("hrsp_1xx", "hrsp_2xx", "hrsp_3xx", "hrsp_4xx", "hrsp_5xx",
                      "hrsp_other"):
                out[k] = int(row.get(k) or 0)
        elif row.get("pxname") == hap.backend and row.get("svname") == "BACKEND":
            for k in ("eresp", "econ", "wretr", "wredis", "connect", "reuse"):
                out[k] = int(row.get(k) or 0)
    return out


def non2xx(counts):
    return sum(v for k, v in counts.items() if k.startswith("hrsp_") and k != "hrsp_2xx")


def show(counts):
    """The counters worth a note: the answers that were not 2xx and the backend's errors."""
    return {k: v for k, v in counts.items()
            if v and k not in ("hrsp_2xx", "connect", "reuse")}


def log_offset(hap):
    return os.path.getsize(os.path.join(hap.dir, "stdout.log"))


def failed_requests(hap, offset):
    """HAProxy's log lines of failed requests from offset on: (status, term, server,
    accept date) each, and the end offset."""
    with open(os.path.join(hap.dir, "stdout.log"), "rb") as f:
        f.seek(offset)
        data = f.read()
    out = []
    for line in data.decode(errors="replace").splitlines():
        m = LOG_RE.search(line)
        if m:
            out.append((int(m.group(4)), m.group(5), m.group(3), m.group(1)))
    return out, offset + len(data)


def client_side(status, term):
    """A request the client itself ended (C: wrk stopping at the end of a run, with or
    without the answer's status line sent): not a failure of the balancer."""
    return term[0] == "C" and status in (-1, 200)


class HapMonitor(threading.Thread):
    """Polls Docker and HAProxy's `show servers state` every 100 ms over the whole phase.
    Docker first, then HAProxy: a server is deleted before its container is stopped and
    added after it is ready, so listing first gives no false alarm.
    - above_max: more running labelled containers than max;
    - stale: a server of the service not in maintenance at an address that no running
      replica has (HAProxy may route to a stopped replica).
    `last` holds the last container list, for Lingerers."""

    def __init__(self, svc, hap, max_replicas, period=0.1):
        super().__init__(daemon=True)
        self.svc, self.hap, self.max, self.period = svc, hap, max_replicas, period
        self.lock = threading.Lock()
        self.stop_ev = threading.Event()
        self.polls = self.above_max = self.stale = self.errors = 0
        self.examples = []
        self.last = ([], {})

    def poll(self):
        ctrs = dk.containers(self.svc)
        srv = self.hap.servers()
        running = [c for c in ctrs if c["State"] == "running"]
        live = set().union(*(host_addrs(c) for c in running)) if running else set()
        stale = {n: a for n, (a, adm) in srv.items()
                 if n.startswith(self.svc + "-") and not adm & MAINT and a not in live}
        with self.lock:
            self.polls += 1
            self.last = (ctrs, srv)
            if len(running) > self.max:
                self.above_max += 1
            if stale:
                self.stale += 1
                if len(self.examples) < 5:
                    self.examples.append(f"{time.strftime('%H:%M:%S')} servers {stale}; "
                                         f"running {sorted(live)}")

    def counts(self):
        with self.lock:
            return {"polls": self.polls, "above_max": self.above_max, "stale": self.stale,
                    "errors": self.errors}

    def run(self):
        while not self.stop_ev.is_set():
            try:
                self.poll()
            except Exception:  # Docker or HAProxy slow: a missed poll, counted
                with self.lock:
                    self.errors += 1
            self.stop_ev.wait(self.period)

    def stop(self):
        self.stop_ev.set()
        self.join(timeout=30)


def ours(hap, svc):
    return {n: v for n, v in hap.servers().items() if n.startswith(svc + "-")}


def converged(d, svc, hap, n=None):
    """The status (truthy) when the service runs exactly n (default: its desired count)
    ready replicas, Docker has exactly those containers, and HAProxy's servers of the
    service are exactly them, at their addresses, all taking requests."""
    s = d.status(svc, timeout=2)
    n = s["desired"] if n is None else n
    reps = s["replicas"]
    if s["desired"] != n or s["ready"] != n or len(reps) != n:
        return False
    if any(r["state"] != "ready" for r in reps):
        return False
    ctrs = dk.containers(svc)
    if sorted(c["Id"] for c in ctrs) != sorted(r["id"] for r in reps):
        return False
    if any(c["State"] != "running" for c in ctrs):
        return False
    srv = ours(hap, svc)
    if {k: a for k, (a, _) in srv.items()} != {r["name"]: r["address"] for r in reps}:
        return False
    if any(adm & (MAINT | DRAIN) for _, adm in srv.values()):
        return False
    return s


def wait_converged(d, svc, hap, n, timeout):
    t0 = time.monotonic()
    try:
        wait_for(lambda: converged(d, svc, hap, n), timeout=timeout, interval=0.1,
                 what="converged")
    except AssertionError:
        return None
    return time.monotonic() - t0


def settle(d, svc, hap):
    """Seconds until the restarted daemon holds its own desired count, converged, with
    the same replicas for SETTLE_HOLD in a row; None at the deadline."""
    t0 = time.monotonic()
    since, ids = None, None
    while time.monotonic() - t0 < SETTLE_TIMEOUT:
        try:
            s = converged(d, svc, hap)
        except Exception:
            s = None
        now = time.monotonic()
        cur = sorted(r["id"] for r in s["replicas"]) if s else None
        if not s:
            since, ids = None, None
        elif cur != ids:
            since, ids = now, cur
        elif now - since >= SETTLE_HOLD:
            return since - t0
        time.sleep(0.1)
    return None


def one_run(i, runs, d, svc, hap, cur, rng):
    target = rng.choice([n for n in range(1, MAX + 1) if n != cur])
    down = target < cur
    # Kill anywhere in the change: creations are serialized (~1.5 s each with the demo
    # image's 1 s HEALTHCHECK); a scale-down drains (observed, a few 100 ms) then stops
    # (up to stop_timeout 2 s with the lingerers).
    span = 3.5 if down else 1.6 * (target - cur) + 0.5
    delay = rng.uniform(0, span)
    r = {"run": i, "from": cur, "to": target, "down": down, "delay": delay, "notes": []}
    at_log = log_offset(hap)
    before = frontend_counts(hap)
    load = wrk_start(hap.url + "/")
    try:
        time.sleep(0.5)  # the load is running before the change
        d.note(f"run {i + 1}: scale {cur} -> {target}, kill -9 after {delay:.2f} s")
        d.scale(svc, target)
        time.sleep(delay)
        d.kill9()
        running = [c for c in dk.containers(svc) if c["State"] == "running"]
        d.note(f"run {i + 1}: restart")
        t_restart = time.monotonic()
        try:
            d.start()
        except AssertionError as e:
            r["notes"].append(f"restart failed: {e}")
        r["settle"] = settle(d, svc, hap) if d.proc.poll() is None else None
        if r["settle"] is None:
            r["notes"].append("did not settle before the re-request")
        d.note(f"run {i + 1}: settled ({fmt_s(r['settle'])}); re-request {target}")
        if d.proc.poll() is None:
            d.scale(svc, target)
            conv = wait_converged(d, svc, hap, target, CONVERGE_TIMEOUT)
        else:
            conv = None
        r["converged"] = None if conv is None else time.monotonic() - t_restart
        time.sleep(TAIL)
    finally:
        reqs, n2xx, sock, out = wrk_stop(load)
    r.update(reqs=reqs, wrk_non2xx=n2xx, sock=sock, at_kill=len(running))
    if n2xx or any(sock):
        r["notes"].append(f"wrk: {n2xx} non-2xx, socket errors {sock}")
    after = frontend_counts(hap)
    r["stat"] = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    r["stat_non2xx"] = non2xx(r["stat"])
    if r["stat_non2xx"]:
        r["notes"].append(f"show stat: {show(r['stat'])}")
    # wrk stopping aborts its requests in flight: HAProxy logs them, with no answer
    fails, _ = failed_requests(hap, at_log)
    r["log_fails"] = [x for x in fails if not client_side(x[0], x[1])]
    if r["log_fails"]:
        terms = {}
        for st, term, srv, _ in r["log_fails"]:
            terms[(st, term, srv)] = terms.get((st, term, srv), 0) + 1
        r["notes"].append(f"haproxy log: {terms} (first at {r['log_fails'][0][3]})")
    try:
        ids = {x["id"] for x in d.status(svc)["replicas"]}
    except Exception as e:
        ids = set()
        r["notes"].append(f"status unreadable: {e}")
    r["orphans"] = len([c for c in dk.containers(svc) if c["Id"] not in ids])
    if conv is None:
        r["notes"].append(f"not converged on {target} within {CONVERGE_TIMEOUT} s "
                          f"(orphans {r['orphans']})")
    print(f"chaos: haproxy run {i + 1}/{runs}: {cur}->{target} kill at {delay:.2f}s "
          f"(running {len(running)}); settle {fmt_s(r['settle'])}, converged "
          f"{fmt_s(r['converged'])}; {reqs} requests"
          + ("; " + "; ".join(r["notes"]) if r["notes"] else ""), flush=True)
    return r


def recover(d, svc, hap, n):
    """After a run that did not converge: one more kill -9 and restart, so the next run
    starts from a known state; False when even that does not converge."""
    d.kill9()
    d.start()
    d.scale(svc, n)
    return wait_converged(d, svc, hap, n, 60) is not None


def run(tmp, rng, runs):
    svc = service_name()
    dk.cleanup(svc)
    # wrk opens and closes one connection with no request as it starts: with this
    # option HAProxy neither logs nor counts it (it would be a 400 CR-- <BADREQ>)
    hap = HAProxy(tmp, f"be_{svc}", defaults=["option http-ignore-probes"])
    body = service_conf(svc, min_replicas=1, max_replicas=MAX, drain="1s", stop_timeout="2s",
                        start_timeout="20s", balancer="haproxy",
                        haproxy_backend=hap.backend) + hap.section()
    d = ChaosDaemon(tmp, body, name="haproxy")
    mon = HapMonitor(svc, hap, MAX)
    ling = Lingerers(mon)
    res = []
    aborted = None
    try:
        d.start()
        mon.start()
        ling.start()
        if wait_converged(d, svc, hap, 1, 60) is None:
            raise AssertionError("the service never served 1 replica through HAProxy")
        pid = hap.proc.pid
        cur = 1
        for i in range(runs):
            r = one_run(i, runs, d, svc, hap, cur, rng)
            res.append(r)
            cur = r["to"]
            if r["converged"] is None and not recover(d, svc, hap, cur):
                aborted = f"stopped after run {i + 1}: the service did not converge again"
                break
        counts = mon.counts()
        same_hap = hap.proc.pid == pid and hap.proc.poll() is None
    finally:
        stop_all(ling, mon, d, hap)
        hap.cleanup()
        dk.cleanup(svc)
    for ex in mon.examples:
        print(f"chaos: haproxy stale server: {ex}", flush=True)
    return rows(res, counts, aborted, runs, same_hap), d.logpath


def rows(res, c, aborted, runs, same_hap):
    n = len(res)
    downs = sum(r["down"] for r in res)
    reqs = sum(r["reqs"] for r in res)
    wrk_bad = sum(r["wrk_non2xx"] for r in res)
    sock = [sum(r["sock"][k] for r in res) for k in range(4)]
    stat_bad = sum(r["stat_non2xx"] for r in res)
    log_bad = sum(len(r["log_fails"]) for r in res)
    terms = {}
    for r in res:
        for st, term, _, _ in r["log_fails"]:
            terms[f"{st} {term}"] = terms.get(f"{st} {term}", 0) + 1
    connects = sum(r["stat"].get("connect", 0) for r in res)
    reuses = sum(r["stat"].get("reuse", 0) for r in res)
    bad_runs = [r for r in res if r["wrk_non2xx"] or any(r["sock"]) or r["stat_non2xx"]
                or r["log_fails"]]
    nonconv = [r for r in res if r["converged"] is None]
    orphans = sum(r["orphans"] for r in res)
    conv = [r["converged"] for r in res]

    def runs_of(rs):
        return ", ".join(str(r["run"] + 1) for r in rs[:10]) + (" ..." if len(rs) > 10 else "")

    return [
        (PHASE, "runs (scale-downs / scale-ups), kill point uniform in the change",
         f"{n} of {runs} ({downs} / {n - downs}); delays "
         f"{min((r['delay'] for r in res), default=0):.2f}-"
         f"{max((r['delay'] for r in res), default=0):.2f} s"
         + (f"; {aborted}" if aborted else ""), n >= runs and not aborted),
        (PHASE, "wrk keep-alive (-t2 -c8) through HAProxy: non-2xx / socket errors "
         "(connect/read/write/timeout)",
         f"{wrk_bad} / {sum(sock)} ({'/'.join(map(str, sock))}) in {reqs:,} requests"
         + (f" (runs {runs_of(bad_runs)})" if bad_runs else ""),
         wrk_bad == 0 and sum(sock) == 0),
        (PHASE, "HAProxy `show stat`: non-2xx answers of the frontend",
         str(stat_bad), stat_bad == 0),
        (PHASE, "HAProxy log (httplog): failed requests by status and termination state",
         f"{log_bad}" + (f" ({', '.join(f'{k}: {v}' for k, v in sorted(terms.items()))})"
                         if terms else ""), log_bad == 0),
        (PHASE, "server connections HAProxy opened / reused (`show stat`, backend): each "
         "new one is a TIME_WAIT behind docker-proxy (doc/balancers.md, \"Choosing a balancer\")",
         f"{connects:,} / {reuses:,} ({connects / max(1, connects + reuses):.1%} new)",
         connects <= (connects + reuses) / 20),
        (PHASE, "orphans / non-converged runs (replicas and HAProxy's servers within "
         f"{CONVERGE_TIMEOUT} s of the re-request)",
         f"{orphans} / {len(nonconv)}" + (f" (runs {runs_of(nonconv)})" if nonconv else ""),
         orphans == 0 and not nonconv),
        (PHASE, "polls: above max / a server taking requests at a stopped replica's address",
         f"{c['above_max']} / {c['stale']} of {c['polls']}",
         c["above_max"] == 0 and c["stale"] == 0),
        (PHASE, "HAProxy never reloaded or restarted", "same pid" if same_hap else "no",
         same_hap),
        (PHASE, "restart to converged (median / max)",
         f"{fmt_s(pct(conv, 50))} / {fmt_s(max((x for x in conv if x), default=None))}", None),
    ]


if __name__ == "__main__":
    # Alone: DOCKSCALED=build/dockscaled /usr/bin/python3 tests/chaos/haproxy_kill.py
    import random
    import sys
    import tempfile
    from common import on_sigterm
    on_sigterm()
    seed = int(os.environ.get("CHAOS_SEED") or random.SystemRandom().randrange(1 << 31))
    n = env_int("CHAOS_HAPROXY_RUNS", 20, 6)
    tmpd = tempfile.mkdtemp(prefix="chaos-hap-")
    print(f"chaos: seed {seed}, {n} runs, logs in {tmpd}", flush=True)
    out, _ = run(tmpd, random.Random(seed), n)
    for row in out:
        print(" | ".join(str(x) for x in row))
    sys.exit(1 if any(x[3] is False for x in out) else 0)
