#!/usr/bin/python3
"""Rolling updates (doc/rollouts.md) under load through a real nginx.

dockscale: 4 replicas of the demo image, a definition change (env VERSION=1 -> 2) sent
with SIGHUP while wrk runs, measured until every replica is replaced: non-2xx, socket
errors, and the rollout's duration. Three loads: GET with `Connection: close`, GET with
keep-alive, and POST (post.lua, `Connection: close`), which nginx never retries on
another server.
Baselines in the same run:
- docker-compose (Debian's 1.29) recreating the same 4-replica service after the same
  env change (`docker-compose up -d --scale web=4`), nginx's upstream rewritten to the
  new containers' addresses as soon as compose returns (what a deploy script does);
- the floor of a rollout: 4 x (create + start + healthy of one replica through the
  Engine API, measured under the same load right after the rollout) / rollout_surge.
And a failing version (never healthy): rolled back, counted errors, old ids unchanged.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid

from common import (HERE, IMAGE, NOHC, BenchDaemon, command, create_container, dk, emit,
                    fmt_ratio, get_text, median, on_sigterm, remove_bench_containers,
                    service_name, stop_proc, wait_for, wait_healthy,
                    write_upstream)
from drops import errors, finish  # same wrk totals, same error count
from peers import Nginx
from test_nginx import servers
from test_replicas import service_conf, wait_ready

SCRIPT = "rollout.py"
N = 4
WRK_MAX_S = 300
LOADS = [("GET, Connection: close", False, False), ("GET, keep-alive", True, False),
         ("POST, Connection: close", False, True)]


def start_load(url, keepalive, post):
    args = ["wrk", "-t2", "-c8", f"-d{WRK_MAX_S}s", "--latency"]
    if post:
        args += ["-s", os.path.join(HERE, "post.lua")]
    if not keepalive:
        args += ["-H", "Connection: close"]
    return subprocess.Popen(args + [url], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def describe(r):
    c, rd, w, t = r["sock"]
    return (f"{r['non2xx']} non-2xx, socket errors {c}/{rd}/{w}/{t} in {r['requests']} "
            f"requests")


def floor_one():
    """create + start + healthy of one replica, straight through the Engine API (the
    median of 2)."""
    svc = service_name("rofloor")
    times = []
    try:
        for i in range(2):
            t0 = time.monotonic()
            cid = create_container(f"{svc}-{i}", svc)
            assert dk.start(cid) == 204
            wait_healthy(cid)
            times.append(time.monotonic() - t0)
            dk.remove(cid)
    finally:
        dk.cleanup(svc)
    return median(times)


def conf(svc, ngx, version, image=IMAGE, **kw):
    # max_replicas leaves room so a draining replica never holds the next creation: the
    # duration then measures the rollout, not the drain.
    opts = dict(image=image, env=f"VERSION={version}", min_replicas=N, max_replicas=2 * N,
                drain="1s", stop_timeout="5s", start_timeout="30s",
                rollout_min_healthy="0s", upstream_file=ngx.upstream_file,
                upstream_name=f"up_{svc}")
    opts.update(kw)
    return service_conf(svc, **opts) + ngx.nginx_section()


def ids(svc):
    return sorted(c["Id"] for c in dk.containers(svc))


def run_dockscale(tmp, keepalive, post):
    svc = service_name("roll")
    ngx = Nginx(tmp, f"up_{svc}")
    d = load = None
    try:
        d = BenchDaemon(tmp, conf(svc, ngx, 1), name=f"d-{svc}").start()
        wait_ready(d, svc, N, timeout=90)
        wait_for(lambda: len(servers(ngx.upstream())) == N, timeout=15, what="upstream")
        wait_for(lambda: get_text(ngx.url + "/")[0] == 200, timeout=10, what="serving")
        old = ids(svc)
        load = start_load(ngx.url + "/work?ms=5" if post else ngx.url + "/", keepalive, post)
        time.sleep(1.0)
        d.write_config(conf(svc, ngx, 2))
        t0 = time.monotonic()
        d.signal(signal.SIGHUP)

        def done():
            s = d.get(f"/api/v1/services/{svc}")[1]
            return (s["ready"] == N and s["rollout"]["state"] == "idle"
                    and s["rollout"]["updated"] == N)
        # The rollout is over when every new replica serves and no outdated one is
        # counted; the last one's drain and stop come after.
        wait_for(done, timeout=180, interval=0.05, what="rollout done")
        took = time.monotonic() - t0
        wait_for(lambda: not set(ids(svc)) & set(old), timeout=60, what="old ones gone")
        # The floor under the same load: one replica straight through the Engine API.
        one = floor_one()
        res = finish(load)
        load = None
        res["took"], res["one"] = took, one
        return res
    finally:
        stop_proc(load, signal.SIGINT)
        if d is not None:
            d.stop()
        ngx.stop()
        dk.cleanup(svc)


def compose_file(path, version):
    with open(path, "w") as f:
        f.write("version: '2.4'\nservices:\n  web:\n"
                f"    image: {IMAGE}\n    environment:\n      VERSION: '{version}'\n"
                "    labels:\n      io.dockscale.bench: 'compose'\n")


def compose_ctrs(project):
    import json
    import urllib.parse
    q = urllib.parse.urlencode({"filters": json.dumps(
        {"label": [f"com.docker.compose.project={project}"]})})
    code, body = dk.call("GET", "/containers/json?" + q)
    assert code == 200, body
    return body


def compose_addrs(project):
    out = []
    for c in compose_ctrs(project):
        nets = dk.inspect(c["Id"])["NetworkSettings"]["Networks"]
        out.append(next(iter(nets.values()))["IPAddress"] + ":8080")
    return sorted(out)


def run_compose(tmp, keepalive, post):
    project = "benchroll" + uuid.uuid4().hex[:6]
    cdir = os.path.join(tmp, project)
    os.makedirs(cdir)
    cf = os.path.join(cdir, "docker-compose.yml")
    ngx = Nginx(tmp, f"up_{project}")
    ngx.upstream_name = f"up_{project}"
    load = None
    dc = ["docker-compose", "-p", project, "-f", cf]
    try:
        compose_file(cf, 1)
        subprocess.run(dc + ["up", "-d", "--scale", f"web={N}"], check=True,
                       capture_output=True)
        for c in compose_ctrs(project):
            wait_healthy(c["Id"], timeout=60)
        write_upstream(ngx, compose_addrs(project))
        wait_for(lambda: get_text(ngx.url + "/")[0] == 200, timeout=10, what="serving")
        load = start_load(ngx.url + "/work?ms=5" if post else ngx.url + "/", keepalive, post)
        time.sleep(1.0)
        compose_file(cf, 2)
        t0 = time.monotonic()
        subprocess.run(dc + ["up", "-d", "--scale", f"web={N}"], check=True,
                       capture_output=True)
        write_upstream(ngx, compose_addrs(project))
        took = time.monotonic() - t0
        res = finish(load)
        load = None
        res["took"] = took
        return res
    finally:
        stop_proc(load, signal.SIGINT)
        ngx.stop()
        subprocess.run(dc + ["down", "-t", "1"], capture_output=True)


def run_failing(tmp):
    svc = service_name("rofail")
    ngx = Nginx(tmp, f"up_{svc}")
    d = load = None
    try:
        body = conf(svc, ngx, 1, image=NOHC, start_timeout="5s")
        d = BenchDaemon(tmp, body, name=f"d-{svc}").start()
        wait_ready(d, svc, N, timeout=90)
        wait_for(lambda: len(servers(ngx.upstream())) == N, timeout=15, what="upstream")
        wait_for(lambda: get_text(ngx.url + "/")[0] == 200, timeout=10, what="serving")
        old = ids(svc)
        load = start_load(ngx.url + "/", False, False)
        time.sleep(1.0)
        # Listens on 9999; the probe asks 8080: never ready.
        d.write_config(conf(svc, ngx, 3, image=NOHC, start_timeout="5s",
                            env="PORT=9999"))
        d.signal(signal.SIGHUP)
        wait_for(lambda: d.get(f"/api/v1/services/{svc}")[1]["rollout"]["state"]
                 == "rolled_back" and ids(svc) == old, timeout=120, interval=0.1,
                 what="rolled back")
        res = finish(load)
        load = None
        res["unchanged"] = ids(svc) == old
        return res
    finally:
        stop_proc(load, signal.SIGINT)
        if d is not None:
            d.stop()
        ngx.stop()
        dk.cleanup(svc)


def main():
    on_sigterm()
    tmp = tempfile.mkdtemp(prefix="bench-rollout-")
    remove_bench_containers()
    took, ones = [], []
    for label, keepalive, post in LOADS:
        ds = run_dockscale(tmp, keepalive, post)
        print(f"dockscale, {label}: {describe(ds)}, {ds['took']:.1f} s", flush=True)
        cp = run_compose(tmp, keepalive, post)
        print(f"docker-compose, {label}: {describe(cp)}, {cp['took']:.1f} s", flush=True)
        took.append(ds["took"])
        ones.append(ds["one"])
        e_ds, e_cp = errors(ds), errors(cp)
        emit(f"rollout of {N} replicas under wrk -t2 -c8, {label}",
             describe(ds), "docker-compose up -d: " + describe(cp),
             f"{e_ds} vs {e_cp} failed requests", command(SCRIPT))
    ratios = [t / (N * o) for t, o in zip(took, ones)]  # rollout_surge = 1
    emit(f"rollout duration, {N} replicas, surge 1, rollout_min_healthy 0s, under each "
         "load above (median of 3)", f"{median(took):.1f} s",
         f"floor {N} x create+start+healthy of one replica under the same load: "
         f"{N * median(ones):.1f} s", fmt_ratio(median(ratios)), command(SCRIPT))
    fail = run_failing(tmp)
    emit("a never-healthy version under wrk (GET, Connection: close)",
         f"rolled back; {describe(fail)}; old ids unchanged: {fail['unchanged']}",
         "-", "-", command(SCRIPT))
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
