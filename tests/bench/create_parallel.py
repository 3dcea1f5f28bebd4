#!/usr/bin/python3
"""create_parallel (doc/replicas.md, "Parallel creates"; doc/benchmarks.md, "Scale curves"):
one service of R replicas converging from zero with create_parallel = 1, 8, 16 against
the engine's own create + start of R containers by 16 threads over its socket, measured
in the same run. Converged: R ready and R servers in the service's nginx upstream file
(scale.py's wait_converged). The image is the demo's with a 30 s HEALTHCHECK interval
(built as dockscale-demo:parcreate, removed after), readiness the daemon's probe.

BENCH_PARCREATE_R (default 40), BENCH_PARCREATE_VALUES (default 1,8,16).
"""
import os
import subprocess
import sys
import tempfile
import time

from common import BenchDaemon, fmt_ratio, on_sigterm, remove_bench_containers, service_name
from footprint import build_image as footprint_image
from scale import (ENGINE_CONNS, NginxMany, engine_run, remove_services,
                   wait_converged)
from test_replicas import service_conf

TAG = "parcreate"
IMAGE = "dockscale-demo:parcreate"  # the demo with a 30 s HEALTHCHECK, removed after
R = int(os.environ.get("BENCH_PARCREATE_R", "40"))
VALUES = [int(v) for v in os.environ.get("BENCH_PARCREATE_VALUES", "1,8,16").split(",")]


def engine(image):
    svc = service_name(TAG + "-engine")
    try:
        return engine_run(svc, [f"{svc}-{i}" for i in range(R)], ENGINE_CONNS, image)
    finally:
        remove_services([svc])


def daemon(tmp, image, par):
    name = service_name(TAG)
    ngx = NginxMany(tmp, [0])
    d = None
    try:
        body = service_conf(name, image=image, min_replicas=R, max_replicas=R, metric="none",
                            start_timeout="120s", drain="0s", stop_timeout="2s",
                            upstream_file=ngx.files[0], upstream_name="up_0",
                            create_parallel=par) + ngx.section()
        d = BenchDaemon(tmp, body, name=f"d-par{par}", interval="5s")
        t0 = time.monotonic()
        d.start(wait=False)
        return wait_converged(d, [name], R, ngx, None, t0, timeout=300)
    finally:
        if d is not None:
            try:
                d.stop(timeout=60)
            except AssertionError:
                pass
        ngx.stop()
        remove_services([name])


def main():
    on_sigterm()
    tmp = tempfile.mkdtemp(prefix="bench-parcreate-")
    remove_bench_containers(f"bench-{TAG}")
    footprint_image(IMAGE)
    try:
        return measure(tmp, IMAGE)
    finally:
        subprocess.run(["docker", "rmi", IMAGE], capture_output=True, check=False)


def measure(tmp, image):
    eng_cs, eng_ans = engine(image)
    print(f"engine {ENGINE_CONNS}-way create+start of {R}: {eng_cs:.2f} s, answering "
          f"{eng_ans:.2f} s", flush=True)
    rows = []
    for par in VALUES:
        s = daemon(tmp, image, par)
        rows.append((par, s))
        print(f"create_parallel = {par}: converged in {s:.2f} s, "
              f"{fmt_ratio(s / eng_ans)} the engine's answering", flush=True)
    print(f"\n| 1 x {R} | converge (s) | / engine {ENGINE_CONNS}-way answering "
          f"({eng_ans:.2f} s) |\n|---|---|---|")
    for par, s in rows:
        print(f"| create_parallel = {par} | {s:.2f} | {fmt_ratio(s / eng_ans)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
