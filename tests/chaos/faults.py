"""Phase 3: peer faults, each followed by the time the daemon takes to converge again.

One daemon runs the whole phase, with a real nginx in front of its service and a real
Prometheus behind its metric (`vector(50)`, between the thresholds: the policy holds).
Its Docker socket is a DockerProxy, its nginx test command a script that fails while a
flag file exists, and nginx's upstream directory a small tmpfs the harness can fill.
Each fault starts from 2 ready replicas; while it lasts, the nginx-side and Docker faults
also scale to 1 and then to 3 through the API, so the daemon has work that needs the
broken peer. After the fault ends, recovery is the time until the service converged on
the last request and nginx answers from exactly its ready replicas (for the Prometheus
faults: until the status shows the real value again).
For each fault: /healthz polled every 100 ms must answer within 1 s (the slowest answer
is reported), the daemon process must still be the same, the Monitor's per-poll
properties hold (no invalid upstream, no upstream listing a stopped replica, never above
max), and `nginx -t` passes after recovery. A fault that does not recover is followed by
a kill -9 and restart so that the next one starts clean.
"""
import os
import signal
import subprocess
import time

from common import (QUICK, Monitor, converged, dk, fmt_s, health_prober, nginx_children,
                    nginx_test, nginx_upstream_errors, service_name, setup_service, stop_all,
                    traffic_prober, wait_converged, wait_for)
from fakes import LIES, DockerProxy, FakePrometheus
from peers import start_prometheus

PHASE = "faults"
BASE, MAX = 2, 4
RECOVERY_TIMEOUT = 20 if QUICK else 45


class Faults:
    def __init__(self, tmp, seconds):
        self.tmp, self.seconds = tmp, seconds
        self.svc = service_name()
        self.flag = os.path.join(tmp, "nginx-check-fails")
        self.script = os.path.join(tmp, "nginx-test.sh")
        self.prom = self.proxy = self.ngx = self.d = self.mon = self.health = self.fake = None
        self.traffic = None
        self.mounted = False
        self.orphan_workers = []

    def setup(self):
        tmp = self.tmp
        self.prom = start_prometheus(tmp, 9)  # the scrape target does not matter here
        self.proxy = DockerProxy(os.path.join(tmp, "docker.sock"))
        extra = (f"[docker]\nsocket = {self.proxy.path}\ntimeout = 5s\n"
                 f"[prometheus]\nurl = {self.prom.url}\ntimeout = 2s\n")
        self.ngx, self.d = setup_service(
            tmp, self.svc, MAX, extra_conf=extra, nginx_opts={"test": self.script},
            daemon_name="faults", metric="prometheus", query="vector(50)",
            scale_up_for="0s", scale_down_for="0s")
        with open(self.script, "w") as f:
            f.write(f"#!/bin/sh\n[ -e {self.flag} ] && {{ echo 'chaos: check fails' >&2; "
                    f"exit 1; }}\nexec {self.ngx.command('-t')}\n")
        os.chmod(self.script, 0o755)
        self.updir = os.path.dirname(self.ngx.upstream_file)
        with open(self.ngx.upstream_file) as f:
            placeholder = f.read()
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0755", "tmpfs",
                        self.updir], check=True)
        self.mounted = True
        with open(self.ngx.upstream_file, "w") as f:
            f.write(placeholder)
        self.filler = os.path.join(self.updir, "filler.bin")
        self.mon = Monitor(self.svc, MAX, self.ngx.upstream_file, f"up_{self.svc}")
        self.health = health_prober(self.d)
        self.traffic = traffic_prober(self.ngx)

    # ---- the faults: (inject, restore) ------------------------------------------------

    def prom_stop(self):
        self.prom.stop()

    def prom_start(self):
        if self.fake is not None:
            self.fake.stop()
            self.fake = None
        self.prom.start()

    def prom_lie(self):
        self.prom.stop()
        self.fake = FakePrometheus(self.prom.port)

    def docker_hang(self):
        self.proxy.hang()

    def docker_resume(self):
        self.proxy.resume()

    def check_fail(self):
        open(self.flag, "w").close()

    def check_pass(self):
        os.unlink(self.flag)

    def disk_fill(self):
        with open(self.filler, "wb", buffering=0) as f:
            for chunk in (65536, 4096, 1):
                try:
                    while True:
                        f.write(b"\0" * chunk)
                except OSError:
                    pass

    def disk_free(self):
        os.unlink(self.filler)

    def nginx_kill(self):
        self.orphan_workers = nginx_children(self.ngx.proc.pid)
        self.ngx.proc.kill()
        self.ngx.proc.wait()
        self.ngx.logf.close()

    def nginx_restart(self):
        # The workers of the killed master still hold the port: retire them first.
        for w in self.orphan_workers:
            try:
                os.kill(w, signal.SIGQUIT)
            except ProcessLookupError:
                pass
        try:
            wait_for(lambda: not any(os.path.exists(f"/proc/{w}") for w in self.orphan_workers),
                     timeout=10, what="old nginx workers gone")
        except AssertionError:
            for w in self.orphan_workers:
                try:
                    os.kill(w, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.ngx.start()

    # ---- one fault ----------------------------------------------------------------------

    def prom_ok(self):
        return self.d.status(self.svc, timeout=2).get("metric") == 50

    def prom_recovered(self):
        """The real value is back and the service converged on whatever it wants now (a
        bad answer taken as a value may have changed that: reported apart)."""
        s = self.d.status(self.svc, timeout=2)
        return s.get("metric") == 50 and converged(self.d, self.svc, self.ngx, s["desired"],
                                                    serving=True)

    def baseline(self):
        """2 ready replicas served through nginx and the real value; a restart if not."""
        for attempt in (1, 2):
            try:
                self.d.scale(self.svc, BASE)
                if wait_converged(self.d, self.svc, self.ngx, BASE, 60, serving=True) \
                        is not None:
                    wait_for(self.prom_ok, timeout=20, what="the metric from Prometheus")
                    return None
            except AssertionError as e:
                print(f"chaos: faults baseline: {e}", flush=True)
            if attempt == 1:
                self.d.note("baseline not reached: kill -9 and restart")
                self.d.kill9()
                self.d.start()
        return "no baseline (2 ready, served, metric 50) even after a restart"

    def lie_rotation(self, res):
        """Each bad answer in turn, until the daemon asked twice (so it has seen one)."""
        for i, (kind, _, _) in enumerate(LIES):
            self.fake.set_kind(i)
            t0 = time.monotonic()
            while self.fake.count(i) < 2 and time.monotonic() - t0 < 9:
                self.watch_desired(res)
                time.sleep(0.05)
            m = self.status().get("metric")
            if m is not None:
                res["taken"].append(f"{kind} -> {m:g}")
            n, misses, max_s = self.health.figures()  # per kind: which answer stalls
            self.health.reset()
            res["lie_health"].append((kind, n, misses, max_s))

    def status(self):
        """The service's status, or {} when the daemon does not answer (reported by the
        /healthz and process checks, not raised here)."""
        try:
            return self.d.status(self.svc, timeout=2)
        except Exception:
            return {}

    def watch_desired(self, res):
        s = self.status()
        if s.get("desired", BASE) != BASE and not res["changed"]:
            why = (s.get("last_decision") or {}).get("reason", "?")
            res["changed"] = f"desired {BASE} -> {s['desired']} ({why})"

    def one(self, name, inject, restore, steps, final, prom=False, lies=False):
        res = {"name": name, "changed": None, "taken": [], "posts": [], "lie_health": []}
        why = self.baseline()
        if why:
            res["error"] = why
            return res
        c0 = self.mon.counts()
        pid = self.d.proc.pid
        self.d.note(f"fault {name}: begins")
        self.health.reset()
        self.traffic.reset()
        log_at = nginx_upstream_errors(self.ngx)[2]
        t0 = time.monotonic()
        inject()
        if lies:
            self.lie_rotation(res)
        else:
            todo = list(steps)
            while time.monotonic() - t0 < self.seconds:
                if todo and time.monotonic() - t0 >= todo[0][0]:
                    t1 = time.monotonic()
                    try:
                        code = self.d.post(f"/api/v1/services/{self.svc}/scale",
                                           body={"replicas": todo.pop(0)[1]},
                                           headers={"Content-Type": "application/json"},
                                           timeout=5)[0]
                    except OSError as e:
                        code = f"no answer ({e})"
                    res["posts"].append((code, time.monotonic() - t1))
                if prom:
                    self.watch_desired(res)
                time.sleep(0.1)
        restore()
        t_end = time.monotonic()
        self.d.note(f"fault {name}: ends")

        def done():
            if prom:
                return self.prom_recovered()
            return converged(self.d, self.svc, self.ngx, final, serving=True)
        try:
            wait_for(done, timeout=RECOVERY_TIMEOUT, interval=0.1, what="recovery")
            res["recovery"] = time.monotonic() - t_end
        except AssertionError:
            res["recovery"] = None
        # The whole fault and its recovery (the lying rotation read it per kind).
        figs = [f[1:] for f in res["lie_health"]] + [self.health.figures()]
        res["health"] = (sum(f[0] for f in figs), sum(f[1] for f in figs),
                         max(f[2] for f in figs))
        slow = [f"{k} {m * 1000:.0f} ms" for k, _, _, m in res["lie_health"] if m > 0.1]
        res["alive"] = self.d.proc.poll() is None and self.d.proc.pid == pid
        c1 = self.mon.counts()
        res["polls"] = {k: c1[k] - c0[k] for k in ("polls", "invalid", "stale", "above_max")}
        ids = {r["id"] for r in self.status().get("replicas", [])}
        res["orphans"] = len([c for c in dk.containers(self.svc) if c["Id"] not in ids])
        res["nginx_t"] = nginx_test(self.ngx)[0]
        res["ngx_errors"], ex, _ = nginx_upstream_errors(self.ngx, log_at)
        res["traffic"] = self.traffic.figures()
        for x in ex:
            print(f"chaos: fault {name}: nginx error.log: {x}", flush=True)
        print(f"chaos: fault {name}: recovery {fmt_s(res['recovery'])}, healthz max "
              f"{res['health'][2] * 1000:.0f} ms ({res['health'][1]} misses), alive "
              f"{res['alive']}, polls {res['polls']}, orphans {res['orphans']}, nginx -t "
              f"{res['nginx_t']}, nginx upstream errors {res['ngx_errors']}, requests "
              f"through nginx without a 200 {res['traffic'][1]} of {res['traffic'][0]}, "
              f"scale answers {[c for c, _ in res['posts']]}"
              + (f", desired changed: {res['changed']}" if res["changed"] else "")
              + (f", bad answers taken: {res['taken']}" if res["taken"] else "")
              + (f", /healthz over 100 ms while serving: {', '.join(slow)}" if slow else ""),
              flush=True)
        res["slow"] = slow
        if res["recovery"] is None or not res["alive"]:
            self.d.note(f"fault {name}: not recovered: kill -9 and restart")
            if self.d.proc.poll() is None:
                self.d.kill9()
            self.d.start()
        return res

    def run(self):
        s = self.seconds
        steps = [(0.5, 1), (s / 2, 3)]
        plan = [
            ("Prometheus stopped", self.prom_stop, self.prom_start, [], BASE, True, False),
            ("Prometheus lying (%d kinds of bad answer)" % len(LIES), self.prom_lie,
             self.prom_start, [], BASE, True, True),
            ("Docker socket hung", self.docker_hang, self.docker_resume, steps, 3, False, False),
            ("nginx check failing", self.check_fail, self.check_pass, steps, 3, False, False),
            ("disk full (upstream dir)", self.disk_fill, self.disk_free, steps, 3, False, False),
            ("nginx master killed", self.nginx_kill, self.nginx_restart, steps, 3, False, False),
        ]
        only = os.environ.get("CHAOS_FAULTS")  # e.g. "disk,nginx": a subset, by name
        if only:
            plan = [p for p in plan if any(w.lower() in p[0].lower() for w in only.split(","))]
        self.d.start()
        self.mon.start()
        self.health.start()
        self.traffic.start()
        return [self.one(*p) for p in plan]

    def close(self):
        if self.health is not None and self.health.is_alive():
            stop_all(self.health, self.mon, self.traffic)
        stop_all(self.d, self.fake)
        for w in self.orphan_workers:
            try:
                os.kill(w, signal.SIGKILL)
            except ProcessLookupError:
                pass
        stop_all(self.ngx, self.proxy)
        if self.prom is not None and self.prom.proc.poll() is None:
            self.prom.stop()
        if self.mounted:
            subprocess.run(["umount", self.updir])
        dk.cleanup(self.svc)


def rows(results):
    out = []
    for r in results:
        name = r["name"]
        if "error" in r:
            out.append((PHASE, name, r["error"], False))
            continue
        n, misses, max_s = r["health"]
        bad_posts = [p for p in r["posts"] if p[0] != 200 or p[1] > 1.0]
        out.append((PHASE, f"{name}: /healthz max latency, misses; daemon alive; API answers",
                    f"{max_s * 1000:.0f} ms, {misses} of {n} missed; "
                    f"{'alive' if r['alive'] else 'DIED or restarted'}"
                    + (f"; over 100 ms while serving: {', '.join(r['slow'])}"
                       if r["slow"] else "")
                    + (f"; scale requests answered {', '.join(str(c) for c, _ in r['posts'])}"
                       f" (slowest {max(t for _, t in r['posts']) * 1000:.0f} ms)"
                       if r["posts"] else ""),
                    max_s < 1.0 and misses == 0 and r["alive"] and not bad_posts))
        p = r["polls"]
        fine = (p["invalid"] == 0 and p["stale"] == 0 and p["above_max"] == 0
                and r["orphans"] == 0 and r["nginx_t"] and not r["changed"] and not r["taken"]
                and r["ngx_errors"] == 0)
        out.append((PHASE, f"{name}: nothing lost or half-written",
                    f"polls invalid/stale/above max {p['invalid']}/{p['stale']}/"
                    f"{p['above_max']} of {p['polls']}; orphans {r['orphans']}; nginx -t "
                    f"{'ok' if r['nginx_t'] else 'FAILED'}; nginx sent requests to a gone "
                    f"replica {r['ngx_errors']} times (GETs without a 200: "
                    f"{r['traffic'][1]} of {r['traffic'][0]})"
                    + (f"; {r['changed']}" if r["changed"] else "")
                    + (f"; bad answers taken as a value: {', '.join(r['taken'])}"
                       if r["taken"] else ""), fine))
        out.append((PHASE, f"{name}: recovery after the fault ends",
                    fmt_s(r["recovery"]) if r["recovery"] is not None
                    else f"not converged within {RECOVERY_TIMEOUT} s",
                    r["recovery"] is not None))
    return out


def run(tmp, seconds):
    f = Faults(tmp, seconds)
    try:
        f.setup()
        res = f.run()
    finally:
        f.close()
    return rows(res), f.d.logpath
