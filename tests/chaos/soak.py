"""Phase 2: no-drop soak. wrk (-t2 -c8, `Connection: close`) through a real nginx at
constant load while the daemon scales its service 1 -> 3 -> 1 over and over through the
API (each step waited until converged: that many ready replicas, exactly them in the
upstream). Required: 0 non-2xx answers and 0 socket errors; the Monitor's properties hold
at every poll; `nginx -t` passes at the end."""
import signal
import time

from common import (Monitor, dk, fmt_s, nginx_test, nginx_upstream_errors, pct, service_name,
                    setup_service, stop_all, wait_converged)
from test_nginx import wrk, wrk_result

PHASE = "soak"
STEP_TIMEOUT = 60


def run(tmp, cycles):
    svc = service_name()
    dk.cleanup(svc)
    ngx, d = setup_service(tmp, svc, 3, daemon_name="soak")
    mon = Monitor(svc, 3, ngx.upstream_file, f"up_{svc}")
    load = None
    times = []
    stuck = None
    try:
        d.start()
        mon.start()
        if wait_converged(d, svc, ngx, 1, 60, serving=True) is None:
            raise AssertionError("the service never served 1 replica through nginx")
        log_at = nginx_upstream_errors(ngx)[2]
        load = wrk(ngx.url + "/", 3600, keepalive=False)
        time.sleep(1.0)
        t_start = time.monotonic()
        for i in range(cycles):
            t0 = time.monotonic()
            for n in (3, 1):
                d.scale(svc, n)
                if wait_converged(d, svc, ngx, n, STEP_TIMEOUT) is None:
                    stuck = f"cycle {i + 1}: not converged on {n} within {STEP_TIMEOUT} s"
                    break
            if stuck:
                print(f"chaos: soak {stuck}", flush=True)
                break
            times.append(time.monotonic() - t0)
            if (i + 1) % 10 == 0:
                print(f"chaos: soak cycle {i + 1}/{cycles}, median {pct(times, 50):.2f} s",
                      flush=True)
        minutes = (time.monotonic() - t_start) / 60
        time.sleep(1.0)  # a last stretch of load on the settled state
        load.send_signal(signal.SIGINT)
        reqs, non2xx, sock, out = wrk_result(load)
        load = None
        ok_t, t_out = nginx_test(ngx)
        ngx_errors, ex, _ = nginx_upstream_errors(ngx, log_at)
        c = mon.counts()
    finally:
        if load is not None:
            load.kill()
            load.wait()
        stop_all(mon, d, ngx)
        dk.cleanup(svc)
    for key in ("above_max", "invalid", "stale"):
        for ex in mon.examples[key]:
            print(f"chaos: soak {key}: {ex}", flush=True)
    if non2xx or any(sock):
        print("chaos: soak wrk output:\n" + out, flush=True)
    errs = sum(sock)
    for x in ex:
        print(f"chaos: soak nginx error.log: {x}", flush=True)
    return [
        (PHASE, "cycles 1 -> 3 -> 1 under wrk -t2 -c8, `Connection: close`",
         f"{len(times)} of {cycles} in {minutes:.1f} min, {reqs} requests; cycle median "
         f"{fmt_s(pct(times, 50))}" + (f"; {stuck}" if stuck else ""),
         len(times) == cycles),
        (PHASE, "non-2xx answers through nginx", str(non2xx), non2xx == 0),
        (PHASE, "socket errors (connect/read/write/timeout)",
         f"{errs} ({'/'.join(map(str, sock))})", errs == 0),
        (PHASE, "polls: above max / invalid upstream / upstream lists a stopped replica",
         f"{c['above_max']} / {c['invalid']} / {c['stale']} of {c['polls']}",
         c["above_max"] == 0 and c["invalid"] == 0 and c["stale"] == 0),
        (PHASE, "nginx error.log: requests nginx sent to a replica no longer there "
         "(retried, so no client saw them)", str(ngx_errors), ngx_errors == 0),
        (PHASE, "`nginx -t` at the end", "ok" if ok_t else t_out.strip()[-200:], ok_t),
    ], d.logpath
