"""Phase `rollout`: kill -9 at random points of a rolling update, under load.

One daemon (min 1, max 4, desired 3 through the API, rollout_surge 1, rollout_min_healthy
2 s, drain 1 s) with a real nginx in front of its service. A calibration rollout (no
kill) measures how long one takes; then each run changes the definition (the env) by
SIGHUP, kills the daemon with SIGKILL a uniform random time into that span, restarts it
at once on the same configuration and lock, and waits for the rollout to finish. A light
client POSTs through nginx with `Connection: close` over the whole run (nginx never
retries a POST on another replica, so a request sent to a gone replica is a client
error). Checked per run (doc/chaos.md):
- desired stays 3: at every 100 ms poll after the restart and at the end (issue 28,
  finding 9: a surge replica running at the kill became desired);
- the rollout completes: every replica of the new generation, rollout idle, 3 ready,
  the upstream listing exactly them, no labelled container the daemon does not track
  (no orphan);
- 0 non-2xx answers and 0 client errors;
- over the whole phase (Docker and the upstream file polled every 100 ms): never more
  containers of the service (any state) than max + surge, never an invalid upstream
  nor one listing a replica that no longer runs; no upstream error in nginx's log.
"""
import re
import signal
import threading
import time

from common import (Monitor, converged, dk, fmt_s, http, nginx_test, nginx_upstream_errors,
                    pct, service_name, setup_service, stop_all, wait_converged)

PHASE = "rollout"
DESIRED, MAX, SURGE = 3, 4, 1
GEN = "io.dockscale.generation"
TARGET = "io.dockscale.rollout-target"
DONE_TIMEOUT = 90
POLL = 0.1


class RolloutMonitor(Monitor):
    """The Monitor's per-poll properties with max + surge as the bound on running
    replicas, and one more: containers in any state (leaving ones count) above it."""

    def __init__(self, svc, ngx):
        super().__init__(svc, MAX + SURGE, ngx.upstream_file, f"up_{svc}", period=POLL)
        self.above_all = 0
        self.examples["above_all"] = []

    def poll(self):
        super().poll()
        with self.lock:
            n = len(self.last[0])
            if n > MAX + SURGE:
                self.above_all += 1
                self._example("above_all", f"{n} containers > max + surge {MAX + SURGE}")


class Load(threading.Thread):
    """Clients POSTing through nginx with `Connection: close`, one request at a time
    each; counts answers that are not 2xx and requests that got no answer."""

    def __init__(self, url, clients=2):
        super().__init__(daemon=True)
        self.url, self.clients = url, clients
        self.lock = threading.Lock()
        self.stop_ev = threading.Event()
        self.n = self.non2xx = self.errors = 0
        self.examples = []

    def client(self):
        while not self.stop_ev.is_set():
            try:
                code = http("POST", self.url, body={"chaos": "rollout"},
                            headers={"Connection": "close"}, timeout=5)[0]
                err = None if 200 <= code < 300 else f"HTTP {code}"
            except Exception as e:  # a reset or refused connection is a drop too
                code, err = None, repr(e)
            with self.lock:
                self.n += 1
                if err is not None:
                    if code is None:
                        self.errors += 1
                    else:
                        self.non2xx += 1
                    if len(self.examples) < 5:
                        self.examples.append(f"{time.strftime('%H:%M:%S')} {err}")
            self.stop_ev.wait(0.002)

    def run(self):
        threads = [threading.Thread(target=self.client, daemon=True)
                   for _ in range(self.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    def figures(self):
        with self.lock:
            return self.n, self.non2xx, self.errors

    def stop(self):
        self.stop_ev.set()
        self.join(timeout=15)


def with_env(body, value):
    out, k = re.subn(r"(?m)^env = .*$", f"env = {value}", body)
    assert k == 1, body
    return out


def gens(svc):
    return {c["Labels"].get(GEN) for c in dk.containers(svc)}


def finished(d, svc, ngx, gen):
    """The status once the rollout is over: idle on a generation other than gen (the one
    rolled from), converged on DESIRED (the upstream exactly the ready replicas, no
    container it does not track), every container of the new generation."""
    s = converged(d, svc, ngx, DESIRED)
    if not s or s["rollout"]["state"] != "idle" or s["rollout"]["generation"] == gen:
        return None
    if gens(svc) != {s["rollout"]["generation"]}:
        return None
    return s


def wait_finished(d, svc, ngx, gen, desired_seen):
    """Seconds until finished(), polling every POLL and noting every desired count the
    status shows once the first list was merged; None at the deadline."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < DONE_TIMEOUT:
        try:
            s = d.status(svc, timeout=2)
            if s["replicas"] or s["desired"]:
                desired_seen.append(s["desired"])
            if finished(d, svc, ngx, gen):
                return time.monotonic() - t0
        except Exception:  # the daemon restarting, Docker busy: the next poll
            pass
        time.sleep(POLL)
    return None


def one_run(i, runs, d, svc, ngx, span, rng):
    """One rollout with a kill -9 in it (no kill when span is None: calibration)."""
    log_at = nginx_upstream_errors(ngx)[2]
    gen0 = d.status(svc)["rollout"]["generation"]
    r = {"run": i, "notes": [], "kill": None, "surge_at_kill": False, "desired_bad": 0}
    load = Load(ngx.url + "/")
    load.start()
    t0 = time.monotonic()
    d.write_config(with_env(d.body, f"COLOR=run{i}"))
    d.note(f"rollout run {i}: SIGHUP" + (f", kill -9 after {span:.2f} s" if span else ""))
    d.signal(signal.SIGHUP)
    desired_seen = []
    if span is not None:
        time.sleep(span)
        d.kill9()
        at_kill = [c for c in dk.containers(svc) if c["State"] == "running"]
        leaving = [c for c in at_kill if ".retiring-" in c["Names"][0]]
        new = [c for c in at_kill if c["Labels"].get(GEN) != gen0]
        # The surge in use: more replicas running than desired, not counting leaving ones.
        r["surge_at_kill"] = len(at_kill) - len(leaving) > DESIRED
        r.update(kill=span, running=len(at_kill), new=len(new), leaving=len(leaving),
                 labelled=sum(1 for c in new if c["Labels"].get(TARGET) == str(DESIRED)))
        d.note(f"rollout run {i}: restart")
        d.start()
    done = wait_finished(d, svc, ngx, gen0, desired_seen)
    r["done"] = done
    r["total"] = time.monotonic() - t0
    load.stop()
    r["requests"], r["non2xx"], r["errors"] = load.figures()
    if load.examples:
        r["notes"].append("client: " + "; ".join(load.examples[:3]))
    r["desired_bad"] = sum(1 for x in desired_seen if x != DESIRED)
    try:
        s = d.status(svc)
        r["desired_end"] = s["desired"]
        ids = {x["id"] for x in s["replicas"]}
    except Exception as e:
        r["desired_end"], ids = None, set()
        r["notes"].append(f"status unreadable: {e}")
    r["orphans"] = len([c for c in dk.containers(svc) if c["Id"] not in ids])
    if r["desired_bad"]:
        r["notes"].append(f"desired not {DESIRED} in {r['desired_bad']} poll(s): "
                          f"{sorted(set(desired_seen))}")
    if done is None:
        r["notes"].append(f"rollout not finished within {DONE_TIMEOUT} s")
    r["ngx_errors"], ex, _ = nginx_upstream_errors(ngx, log_at)
    if r["ngx_errors"]:
        r["notes"].append(f"nginx failed {r['ngx_errors']} time(s) to reach a replica: {ex[0]}")
    what = "calibration" if span is None else f"run {i}/{runs}"
    kill = "no kill" if span is None else (
        f"kill at {span:.2f}s (running {r['running']}, new {r['new']}, leaving "
        f"{r['leaving']}{', surge running' if r['surge_at_kill'] else ''})")
    print(f"chaos: rollout {what}: {kill}; finished {fmt_s(done)} after the "
          f"{'restart' if span is not None else 'SIGHUP'}; desired {r['desired_end']}; "
          f"{r['requests']} requests, {r['non2xx']} non-2xx, {r['errors']} errors"
          + ("; " + "; ".join(r["notes"]) if r["notes"] else ""), flush=True)
    return r


def recover(d, svc, ngx):
    """After a run that did not finish: one more kill -9 and restart, and desired asked
    for again, so the next run starts from a known state; False if even that fails."""
    d.kill9()
    d.start()
    d.scale(svc, DESIRED)
    return wait_converged(d, svc, ngx, DESIRED, 90) is not None


def run(tmp, rng, runs):
    svc = service_name()
    dk.cleanup(svc)
    ngx, d = setup_service(tmp, svc, MAX, daemon_name="rollout", rollout_surge=SURGE,
                           rollout_min_healthy="2s", env="COLOR=start")
    mon = RolloutMonitor(svc, ngx)
    res, calib, aborted = [], None, None
    try:
        d.start()
        mon.start()
        d.scale(svc, DESIRED)
        if wait_converged(d, svc, ngx, DESIRED, 60, serving=True) is None:
            raise AssertionError(f"the service never served {DESIRED} replicas through nginx")
        calib = one_run(0, runs, d, svc, ngx, None, rng)
        if calib["done"] is None:
            raise AssertionError("the calibration rollout (no kill) did not finish")
        span = calib["done"]
        for i in range(1, runs + 1):
            r = one_run(i, runs, d, svc, ngx, rng.uniform(0, span), rng)
            res.append(r)
            if r["done"] is None and not recover(d, svc, ngx):
                aborted = f"stopped after run {i}: the service did not converge again"
                break
        counts = mon.counts()
        counts["above_all"] = mon.above_all
        ok_t, _ = nginx_test(ngx)
    finally:
        stop_all(mon, d, ngx)
        dk.cleanup(svc)
    return rows(res, calib, counts, mon, aborted, runs, ok_t), d.logpath


def rows(res, calib, c, mon, aborted, runs, ok_t):
    n = len(res)

    def runs_of(rs):
        return ", ".join(str(r["run"]) for r in rs[:10]) + (" ..." if len(rs) > 10 else "")

    surge = [r for r in res if r["surge_at_kill"]]
    bad_desired = [r for r in res if r["desired_bad"] or r["desired_end"] != DESIRED]
    unfinished = [r for r in res if r["done"] is None]
    reqs = sum(r["requests"] for r in res)
    non2xx = sum(r["non2xx"] for r in res)
    errors = sum(r["errors"] for r in res)
    orphans = sum(r["orphans"] for r in res)
    ngx_runs = [r for r in res if r["ngx_errors"]]
    ngx_errors = sum(r["ngx_errors"] for r in res)
    done = [r["done"] for r in res]
    out = [
        (PHASE, f"runs ({DESIRED} replicas, surge {SURGE}, env change by SIGHUP), kill "
         "point uniform in a rollout's span (the calibration rollout)",
         f"{n} of {runs}; span {fmt_s(calib['done'] if calib else None)}; kills "
         f"{min((r['kill'] for r in res), default=0):.2f}-"
         f"{max((r['kill'] for r in res), default=0):.2f} s; surge replica running at "
         f"the kill in {len(surge)}" + (f"; {aborted}" if aborted else ""),
         n >= runs and not aborted),
        (PHASE, f"desired {DESIRED} at every poll after the restart and at the end",
         f"{n - len(bad_desired)} of {n} runs" +
         (f" (not in runs {runs_of(bad_desired)})" if bad_desired else ""), not bad_desired),
        (PHASE, "polls above max + surge: containers in any state / running",
         f"{c['above_all']} / {c['above_max']} of {c['polls']} (most seen "
         f"{c['max_all']} / {c['max_running']}; max + surge {MAX + SURGE})",
         c["above_all"] == 0 and c["above_max"] == 0),
        (PHASE, "POSTs through nginx, `Connection: close`: non-2xx / no answer",
         f"{non2xx} / {errors} of {reqs}", non2xx == 0 and errors == 0),
        (PHASE, f"rollouts completed within {DONE_TIMEOUT} s of the restart; orphans",
         f"{n - len(unfinished)} of {n}" +
         (f" (not in runs {runs_of(unfinished)})" if unfinished else "") + f"; {orphans}",
         not unfinished and orphans == 0),
        (PHASE, "polls with an invalid upstream / one listing a replica that no longer "
         "runs; `nginx -t` at the end",
         f"{c['invalid']} / {c['stale']} of {c['polls']}; {'ok' if ok_t else 'failed'}",
         c["invalid"] == 0 and c["stale"] == 0 and ok_t),
        (PHASE, "nginx error.log: requests sent to a replica no longer there",
         f"{ngx_errors}" + (f" (runs {runs_of(ngx_runs)})" if ngx_runs else ""),
         ngx_errors == 0),
        (PHASE, "restart to rollout finished (median / max); calibration rollout",
         f"{fmt_s(pct(done, 50))} / {fmt_s(max((x for x in done if x), default=None))}; "
         f"{fmt_s(calib['done'] if calib else None)}", None),
    ]
    for key in ("above_all", "above_max", "invalid", "stale"):
        for ex in mon.examples[key]:
            print(f"chaos: rollout {key}: {ex}", flush=True)
    return out
