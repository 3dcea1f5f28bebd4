#!/usr/bin/python3
"""Reaction (SPEC §6): scale-up request -> Docker create call -> healthy -> serving
through a real nginx, next to the Docker Engine's own create+start(+healthy) time for
the same image and the same create body, measured in the same run.

dockscale: a firing Alertmanager webhook (POST /api/v1/alerts) and a manual
POST /api/v1/services/<name>/scale, N runs each; the daemon's own timings come from
`last_scale_up_ms` of GET /api/v1/services/<name>, and the client's from the first
response through nginx that carries the new replica's id. Baseline: create + start +
poll inspect until State.Health.Status == healthy through the Docker API, and then what a
script does next (write the upstream, `nginx -s reload`, first response through nginx).
"""
import os
import shutil
import sys
import tempfile
import time

from common import (IMAGE, BenchDaemon, command, create_container, dk, emit, fmt_ratio,
                    get_text, host_port, median, on_sigterm, ratio, remove_bench_containers,
                    service_name, wait_for, wait_healthy, write_upstream)
from peers import Nginx
from test_nginx import servers
from test_replicas import service_conf, status
from test_webhook import alert, payload

N = int(os.environ.get("BENCH_REACTION_N", "5"))
SCRIPT = "reaction.py"


def ms(t0, t1):
    return (t1 - t0) * 1000.0


def first_new_body(url, old, deadline_s=30.0):
    """Poll nginx until a 200 whose body (the replica's short id) is not in `old`."""
    deadline = time.perf_counter() + deadline_s
    while time.perf_counter() < deadline:
        try:
            code, body = get_text(url)
        except OSError:
            code, body = 0, ""
        if code == 200 and body.strip() and body.strip() not in old:
            return time.perf_counter(), body.strip()
        time.sleep(0.002)
    raise AssertionError(f"no new replica answered through {url} within {deadline_s}s")


def raw_base(svc, ngx):
    """The script's replica 1, so that its nginx goes 1 -> 2 servers like dockscale's."""
    cid = create_container(f"{svc}-0", svc)
    assert dk.start(cid) == 204
    ins = wait_healthy(cid)
    base = f"127.0.0.1:{host_port(ins)}"
    write_upstream(ngx, [base])
    wait_for(lambda: get_text(ngx.url + "/")[1].strip() == cid[:12], timeout=10,
             what="raw nginx serving the base replica")
    return cid, base


def raw_run(svc, i, ngx, base):
    """Docker API create + start + healthy, then upstream + reload + first response."""
    name = f"{svc}-{i}"
    t0 = time.perf_counter()
    cid = create_container(name, svc)
    t1 = time.perf_counter()
    try:
        assert dk.start(cid) == 204
        t2 = time.perf_counter()
        ins = wait_healthy(cid)  # polls inspect every 10 ms
        t3 = time.perf_counter()
        write_upstream(ngx, [base[1], f"127.0.0.1:{host_port(ins)}"])
        t4, body = first_new_body(ngx.url + "/", {base[0][:12]})
        assert body == cid[:12], (body, cid)
        return {"create": ms(t0, t1), "start": ms(t1, t2), "create_start": ms(t0, t2),
                "healthy": ms(t0, t3), "serving": ms(t0, t4)}
    finally:
        write_upstream(ngx, [base[1]])
        dk.remove(cid)


def wait_one(d, svc, ngx):
    def ok():
        s = status(d, svc)
        if not (s["ready"] == 1 and len(s["replicas"]) == 1 and len(dk.containers(svc)) == 1
                and len(servers(ngx.upstream())) == 1):
            return False
        # The file is written before nginx reloads it: wait for nginx itself.
        want = s["replicas"][0]["id"][:12]
        return all(get_text(ngx.url + "/")[1].strip() == want
                   for _ in range(4)) and s
    return wait_for(ok, timeout=40, interval=0.1, what=f"{svc} back at one replica")


def dockscale_run(d, svc, ngx, trigger, fp):
    s = wait_one(d, svc, ngx)
    old = {r["id"][:12] for r in s["replicas"]}
    prev = s["last_scale_up_ms"]["to_serving"]
    t0 = time.perf_counter()
    if trigger == "webhook":
        code, out, _ = d.post("/api/v1/alerts", body=payload([alert(svc, "scale_up", fp=fp)]))
        assert code == 200 and out["stepped"] == 1, out
    else:
        code, out, _ = d.post(f"/api/v1/services/{svc}/scale", body={"replicas": 2})
        assert code == 200 and out["desired"] == 2, out
    t_post = time.perf_counter()
    t_seen, new = first_new_body(ngx.url + "/", old)

    def reported():
        r = status(d, svc)["last_scale_up_ms"]
        return r["to_serving"] is not None and r["to_serving"] != prev and r
    r = wait_for(reported, timeout=20, what="last_scale_up_ms for this scale-up")
    s = status(d, svc)
    ids = {x["id"][:12]: x for x in s["replicas"]}
    assert new in ids and ids[new]["state"] == "ready", (new, s["replicas"])
    # Back to one (the newest goes first), fully out of the upstream and Docker.
    code, out, _ = d.post(f"/api/v1/services/{svc}/scale", body={"replicas": 1})
    assert code == 200, out
    wait_one(d, svc, ngx)
    return {"post": ms(t0, t_post), "create": r["to_create_call"], "healthy": r["to_healthy"],
            "serving": r["to_serving"], "client": ms(t0, t_seen)}


def main():
    on_sigterm()
    svc = service_name("react")
    raw_svc = service_name("rawreact")
    tmp = tempfile.mkdtemp(prefix="bench-reaction-")
    remove_bench_containers()
    ngx = raw_ngx = d = None
    raw, runs = [], {"webhook": [], "manual": []}
    try:
        ngx = Nginx(tmp, f"up_{svc}")
        ngx.upstream_name = f"up_{svc}"
        raw_ngx = Nginx(tmp, f"up_{raw_svc}")
        raw_ngx.upstream_name = f"up_{raw_svc}"
        body = service_conf(svc, image=IMAGE, min_replicas=1, max_replicas=2, metric="none",
                            drain="0s", stop_timeout="2s", scale_up_cooldown="0s",
                            scale_down_cooldown="0s", upstream_file=ngx.upstream_file,
                            upstream_name=f"up_{svc}") + ngx.nginx_section()
        d = BenchDaemon(tmp, body).start()
        wait_one(d, svc, ngx)
        base = raw_base(raw_svc, raw_ngx)
        for i in range(N):  # interleaved, so drift in the machine's load hits all three
            raw.append(raw_run(raw_svc, i + 1, raw_ngx, base))
            runs["webhook"].append(dockscale_run(d, svc, ngx, "webhook", f"bench{i}"))
            runs["manual"].append(dockscale_run(d, svc, ngx, "manual", None))
            print(f"run {i + 1}/{N}: raw {raw[-1]}\n  webhook {runs['webhook'][-1]}\n"
                  f"  manual {runs['manual'][-1]}", flush=True)
    finally:
        if d is not None:
            d.stop()
        for n in (ngx, raw_ngx):
            if n is not None:
                n.stop()
        dk.cleanup(svc)
        dk.cleanup(raw_svc)
    shutil.rmtree(tmp, ignore_errors=True)  # kept (logs) when the benchmark failed

    rm = {k: median([r[k] for r in raw]) for k in raw[0]}
    print(f"raw Docker API, median of {N}: create {rm['create']:.1f} ms, start "
          f"{rm['start']:.1f} ms, create+start {rm['create_start']:.1f} ms, "
          f"+healthy {rm['healthy']:.1f} ms, +upstream+reload+first response "
          f"{rm['serving']:.1f} ms")
    cs, csh, csr = rm["create_start"], rm["healthy"], rm["serving"]
    for trig, label in (("webhook", "webhook"), ("manual", "manual scale POST")):
        m = {k: median([r[k] for r in runs[trig]]) for k in runs[trig][0]}
        print(f"dockscale {trig}, median of {N}: request answered {m['post']:.1f} ms, "
              f"create call {m['create']:.1f} ms, healthy {m['healthy']:.1f} ms, nginx "
              f"reloaded {m['serving']:.1f} ms, first response via nginx {m['client']:.1f} ms")
        emit(f"reaction: {label} -> Docker create call (daemon, median of {N})",
             f"{m['create']:.1f} ms", f"{cs:.1f} ms raw create+start",
             fmt_ratio(ratio(m["create"], cs)), command(SCRIPT))
        emit(f"reaction: {label} -> replica healthy (daemon)",
             f"{m['healthy']:.0f} ms", f"{csh:.0f} ms raw create+start+healthy",
             fmt_ratio(ratio(m["healthy"], csh)), command(SCRIPT))
        emit(f"reaction: {label} -> nginx reloaded with it (daemon)",
             f"{m['serving']:.0f} ms", f"{csh:.0f} ms raw create+start+healthy",
             fmt_ratio(ratio(m["serving"], csh)), command(SCRIPT))
        emit(f"reaction: {label} -> first response from it via nginx (client)",
             f"{m['client']:.0f} ms", f"{csr:.0f} ms raw +upstream+reload+response",
             fmt_ratio(ratio(m["client"], csr)), command(SCRIPT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
