"""Phase 1: kill -9 at random points of scale cycles, then restart and check adoption.

One daemon (min 1, max 4, drain 1 s, stop_timeout 2 s) with a real nginx in front of its
service. Each run asks for a new count through the API, kills the daemon with SIGKILL a
random time into the change, restarts it at once on the same config and lock, and then:
- settles: with no new request, waits until the restarted daemon holds a steady state
  (converged on its own desired count for 2.5 s in a row). Every replica that was running
  at the kill and was not on its way out (no stop issued by Docker events; for a
  scale-down, still in the upstream file) must still be there with the same id, and no
  new container may have been created (adoption, not replacement; a created replica
  here is a scale-down reversed when the run was a scale-down);
- re-requests the count (doc/replicas.md, "Restart safety": after a restart the desired
count is
  what was running) and waits until it converged: exactly that many ready replicas, no
  other labelled container, the upstream listing exactly them; `nginx -t` passes.
Over the whole phase the Monitor counts polls with more running replicas than max, an
invalid upstream file, or a file listing a replica that no longer runs. Lingerers hold a
half-sent request on each replica, so a stop takes up to stop_timeout as a real app's
drain would, and a kill lands in a stop phase often enough.
"""
import json
import time
import urllib.parse

from common import (Lingerers, Monitor, converged, dk, fmt_s, host_addrs, nginx_test,
                    nginx_upstream_errors, pct, servers, service_name, setup_service, stop_all,
                    traffic_prober, wait_converged)

PHASE = "kill -9"
MAX = 4
SETTLE_HOLD = 2.5   # > stop_timeout: a replica Docker was still stopping exits within it
SETTLE_TIMEOUT = 40
CONVERGE_TIMEOUT = 45
STOP_ACTIONS = {"kill", "stop", "die", "destroy"}


def stop_issued(svc, since_ns, until_ns):
    """Ids of the service's containers that Docker started to stop (or killed) in the
    window, from the engine's own event log."""
    q = urllib.parse.urlencode({
        "since": f"{since_ns / 1e9:.9f}", "until": f"{until_ns / 1e9:.9f}",
        "filters": json.dumps({"type": ["container"], "label": [f"{dk.LABEL}={svc}"]})})
    code, body = dk.call("GET", "/events?" + q, timeout=15)
    if code != 200:
        raise AssertionError(f"events: {code} {body}")
    events = [body] if isinstance(body, dict) else \
        [json.loads(line) for line in (body or "").splitlines() if line.strip()]
    return {e.get("id") or e.get("Actor", {}).get("ID") for e in events
            if e.get("Action") in STOP_ACTIONS}


def read_file(path):
    with open(path) as f:
        return f.read()


def settle(d, svc, ngx):
    """(seconds, status) once the restarted daemon is converged on its own desired count
    with the same replicas for SETTLE_HOLD in a row; (None, None) at the deadline."""
    t0 = time.monotonic()
    since, ids = None, None
    while time.monotonic() - t0 < SETTLE_TIMEOUT:
        try:
            s = converged(d, svc, ngx, d.status(svc, timeout=2)["desired"])
        except Exception:
            s = None
        now = time.monotonic()
        cur = sorted(r["id"] for r in s["replicas"]) if s else None
        if not s:
            since, ids = None, None
        elif cur != ids:
            since, ids = now, cur
        elif now - since >= SETTLE_HOLD:
            return since - t0, s
        time.sleep(0.1)
    return None, None


def one_run(i, runs, d, svc, ngx, cur, rng):
    log_at = nginx_upstream_errors(ngx)[2]
    target = rng.choice([n for n in range(1, MAX + 1) if n != cur])
    down = target < cur
    # Kill anywhere in the change: creations are serialized (~1.5 s each with the demo
    # image's 1 s HEALTHCHECK); a scale-down drains 1 s then stops (up to 2 s).
    span = 3.5 if down else 1.6 * (target - cur) + 0.5
    delay = rng.uniform(0, span)
    r = {"run": i, "from": cur, "to": target, "down": down, "delay": delay, "notes": []}
    d.note(f"run {i + 1}: scale {cur} -> {target}, kill -9 after {delay:.2f} s")
    t0_ns = time.time_ns()
    d.scale(svc, target)
    time.sleep(delay)
    d.kill9()
    kill_ns = time.time_ns()
    at_kill = dk.containers(svc)
    in_file = set(servers(read_file(ngx.upstream_file)))
    stopping = stop_issued(svc, t0_ns - 1_000_000_000, kill_ns)
    running = {c["Id"]: c for c in at_kill if c["State"] == "running"}
    survivors = {cid for cid, c in running.items() if cid not in stopping
                 and (not down or host_addrs(c) & in_file)}
    known = {c["Id"] for c in at_kill}
    r.update(survivors=len(survivors), at_kill=len(running), stopping=len(stopping & known))

    t_restart = time.monotonic()
    d.note(f"run {i + 1}: restart")
    try:
        d.start()
    except AssertionError as e:
        r["notes"].append(f"restart failed: {e}")
        r.update(converged=None, lost=len(survivors), new=0, orphans=None, nginx_t=True,
                 ngx_errors=0)
        return r
    settle_s, s = settle(d, svc, ngx)
    if s:
        after = {x["id"] for x in s["replicas"]}
    else:
        after = {c["Id"] for c in dk.containers(svc) if c["State"] == "running"}
    r["settle"] = settle_s
    r["lost"] = len(survivors - after)
    r["new"] = len(after - known)
    if settle_s is None:
        r["notes"].append("did not settle before the re-request")
    if r["lost"]:
        r["notes"].append(f"{r['lost']} surviving replica(s) gone after restart")
    if r["new"]:
        r["notes"].append(f"{r['new']} container(s) created by the restarted daemon before "
                          f"any request" + (" (scale-down reversed)" if down else ""))
    d.note(f"run {i + 1}: settled ({fmt_s(settle_s)}); re-request {target}")
    d.scale(svc, target)
    conv = wait_converged(d, svc, ngx, target, CONVERGE_TIMEOUT)
    r["converged"] = None if conv is None else time.monotonic() - t_restart
    try:
        ids = {x["id"] for x in d.status(svc)["replicas"]}
    except Exception as e:  # reported as non-converged; the orphans count as all
        ids = set()
        r["notes"].append(f"status unreadable: {e}")
    r["orphans"] = len([c for c in dk.containers(svc) if c["Id"] not in ids])
    if conv is None:
        r["notes"].append(f"not converged on {target} within {CONVERGE_TIMEOUT} s "
                          f"(orphans {r['orphans']})")
    r["ngx_errors"], ex, _ = nginx_upstream_errors(ngx, log_at)
    if r["ngx_errors"]:
        r["notes"].append(f"nginx failed {r['ngx_errors']} time(s) to reach a replica: {ex[0]}")
    ok, out = nginx_test(ngx)
    r["nginx_t"] = ok
    if not ok:
        r["notes"].append("nginx -t failed: " + out.strip().splitlines()[-1])
    print(f"chaos: kill run {i + 1}/{runs}: {cur}->{target} kill at {delay:.2f}s "
          f"(running {len(running)}, stopping {r['stopping']}, survivors {len(survivors)}); "
          f"settle {fmt_s(settle_s)}, converged {fmt_s(r['converged'])}"
          + ("; " + "; ".join(r["notes"]) if r["notes"] else ""), flush=True)
    return r


def recover(d, svc, ngx, n):
    """After a run that did not converge: one more kill -9 and restart, so the next run
    starts from a known state; False when even that does not converge."""
    d.kill9()
    d.start()
    d.scale(svc, n)
    return wait_converged(d, svc, ngx, n, 60) is not None


def run(tmp, rng, runs):
    svc = service_name()
    dk.cleanup(svc)
    ngx, d = setup_service(tmp, svc, MAX, daemon_name="kill9")
    mon = Monitor(svc, MAX, ngx.upstream_file, f"up_{svc}")
    ling = Lingerers(mon)
    traffic = traffic_prober(ngx)
    res = []
    aborted = None
    try:
        d.start()
        mon.start()
        ling.start()
        if wait_converged(d, svc, ngx, 1, 60, serving=True) is None:
            raise AssertionError("the service never served 1 replica through nginx")
        traffic.start()
        cur = 1
        for i in range(runs):
            r = one_run(i, runs, d, svc, ngx, cur, rng)
            res.append(r)
            cur = r["to"]
            if r["converged"] is None and not recover(d, svc, ngx, cur):
                aborted = f"stopped after run {i + 1}: the service did not converge again"
                break
        counts = mon.counts()
        counts["traffic"] = traffic.figures()
    finally:
        if traffic.is_alive():
            traffic.stop()
        stop_all(ling, mon, d, ngx)
        dk.cleanup(svc)
    return rows(res, counts, mon, aborted, runs), d.logpath


def rows(res, c, mon, aborted, runs):
    n = len(res)
    downs = sum(r["down"] for r in res)
    nonconv = [r for r in res if r["converged"] is None]
    orphans = sum(r["orphans"] or 0 for r in res)
    survivors = sum(r["survivors"] for r in res)
    lost = sum(r["lost"] for r in res)
    new_runs = [r for r in res if r["new"]]
    reversed_ = [r for r in new_runs if r["down"]]
    bad_t = sum(not r["nginx_t"] for r in res)
    ngx_runs = [r for r in res if r["ngx_errors"]]
    ngx_errors = sum(r["ngx_errors"] for r in res)
    conv = [r["converged"] for r in res]

    def runs_of(rs):
        return ", ".join(str(r["run"] + 1) for r in rs[:10]) + (" ..." if len(rs) > 10 else "")

    out = [
        (PHASE, "runs (scale-downs / scale-ups), kill point uniform in the change",
         f"{n} of {runs} ({downs} / {n - downs}); delays "
         f"{min((r['delay'] for r in res), default=0):.2f}-"
         f"{max((r['delay'] for r in res), default=0):.2f} s"
         + (f"; {aborted}" if aborted else ""), n >= runs and not aborted),
        (PHASE, "orphans (labelled containers the restarted daemon never adopted/removed)",
         str(orphans), orphans == 0),
        (PHASE, "polls with more running replicas than max_replicas",
         f"{c['above_max']} of {c['polls']} (max running seen {c['max_running']}, "
         f"max labelled in any state {c['max_all']})", c["above_max"] == 0),
        (PHASE, "polls with an invalid or empty upstream file; `nginx -t` failures",
         f"{c['invalid']} of {c['polls']}; {bad_t} of {n}", c["invalid"] == 0 and bad_t == 0),
        (PHASE, "polls with the upstream listing a replica that no longer runs",
         f"{c['stale']} of {c['polls']}", c["stale"] == 0),
        (PHASE, "nginx error.log: requests nginx sent to a replica no longer there "
         "(GET / every 20 ms through nginx)",
         f"{ngx_errors} in {len(ngx_runs)} runs" + (f" (runs {runs_of(ngx_runs)})"
                                                   if ngx_runs else "")
         + f"; {c['traffic'][1]} of {c['traffic'][0]} requests without a 200",
         ngx_errors == 0),
        (PHASE, "non-converged runs (count and upstream within "
         f"{CONVERGE_TIMEOUT} s of the re-request)",
         f"{len(nonconv)}" + (f" (runs {runs_of(nonconv)})" if nonconv else ""), not nonconv),
        (PHASE, "adopted ids kept (survivors of the kill still there, same id)",
         f"{survivors - lost} of {survivors}", lost == 0),
        (PHASE, "runs where the restarted daemon created replicas before any request",
         f"{len(new_runs)} ({len(reversed_)} scale-downs reversed)"
         + (f" (runs {runs_of(new_runs)})" if new_runs else ""), not new_runs),
        (PHASE, "restart to converged (median / max)",
         f"{fmt_s(pct(conv, 50))} / {fmt_s(max((x for x in conv if x), default=None))}", None),
    ]
    for key in ("above_max", "invalid", "stale"):
        for ex in mon.examples[key]:
            print(f"chaos: kill -9 {key}: {ex}", flush=True)
    return out
