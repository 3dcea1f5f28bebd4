#!/usr/bin/python3
"""The wake listener under the attacks of issue 28, each measured on one or more builds
side by side (doc/waking.md, "Limits"). Not part of `make bench`: run
by hand, e.g. with the build before the limits and this one:

    tests/bench/wake_attack.py OLD/build/dockscaled build/dockscaled

Needs the demo image with /echo, /bytes and /sleep (`make test-image`) and a Docker
Engine. Prints one table: a row per attack, a column per build.
"""
import os
import socket
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))

import conftest  # noqa: E402
import dockerapi as dk  # noqa: E402
import test_wake_hardening as tw  # noqa: E402
from conftest import Daemon, free_port, wait_for  # noqa: E402
from test_replicas import NOHC, service_conf, status  # noqa: E402

MIB = 1024 * 1024


def daemon(binary, tmp, svc, awake):
    conftest.BINARY = binary
    wake = f"127.0.0.1:{free_port()}"
    if awake:
        conf = service_conf(svc, image=tw.IMAGE, min_replicas=0, max_replicas=1,
                            wake_listen=wake)
    else:
        conf = service_conf(svc, image=NOHC, health_path="/nope", min_replicas=0,
                            max_replicas=1, wake_listen=wake, start_timeout="60s")
    d = Daemon(tmp, conf, name=svc).start()
    if awake:
        code, out = tw.exchange(wake, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", timeout=60)
        assert code == 200, out
        wait_for(lambda: status(d, svc)["ready"] == 1, timeout=20, what="awake")
    return d, wake


def healthz_watch(d, stop, out):
    worst, fails = 0.0, 0
    while not stop.is_set():
        t = time.monotonic()
        try:
            ok = d.get("/healthz", timeout=2)[0] == 200
        except OSError:
            ok = False
        worst = max(worst, time.monotonic() - t)
        fails += not ok
        time.sleep(0.1)
    out.extend([worst, fails])


def flood(d, wake):
    """5,000 idle connections with the daemon's fd limit at 1,024: CPU and /healthz."""
    import subprocess
    subprocess.run(["prlimit", f"--pid={d.proc.pid}", "--nofile=1024:"], check=True)
    socks = tw.connect_many(wake, 5000)
    try:
        time.sleep(1)
        stop, res = threading.Event(), []
        w = threading.Thread(target=healthz_watch, args=(d, stop, res))
        cpu0 = tw.proc(d.proc.pid)[0]
        w.start()
        time.sleep(5)
        stop.set()
        w.join()
        cpu = (tw.proc(d.proc.pid)[0] - cpu0) / 5
    finally:
        tw.close_all(socks)
    return f"CPU {cpu * 100:.0f} %, /healthz max {res[0] * 1000:.0f} ms, {res[1]} failed"


def bodies(d, wake):
    """500 connections each holding an unfinished 1 MiB body: RSS growth."""
    rss0 = tw.proc(d.proc.pid)[1]
    head = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n"
    socks, peak = [], 0
    try:
        for _ in range(500):
            try:
                s = socket.create_connection(tw.addr_of(wake), timeout=5)
                s.settimeout(5)
                s.sendall(head + b"b" * (MIB - 1))
                socks.append(s)
            except OSError:
                pass
            peak = max(peak, tw.proc(d.proc.pid)[1] - rss0)
        for _ in range(20):
            peak = max(peak, tw.proc(d.proc.pid)[1] - rss0)
            time.sleep(0.1)
    finally:
        tw.close_all(socks)
    return f"RSS +{peak / MIB:.0f} MiB"


def relays_left(d, wake):
    """100 relays to a replica that takes 60 s, their clients gone: time to release."""
    fds0 = tw.proc(d.proc.pid)[2]
    socks = tw.connect_many(wake, 100, b"GET /sleep?ms=60000 HTTP/1.1\r\nHost: x\r\n\r\n")
    wait_for(lambda: tw.proc(d.proc.pid)[2] >= fds0 + 200, timeout=15, what="100 relays")
    peak = tw.proc(d.proc.pid)[2]
    tw.close_all(socks)
    t0 = time.monotonic()
    # Released: the 200 descriptors of the relays closed (others may come and go).
    while tw.proc(d.proc.pid)[2] > peak - 200 and time.monotonic() - t0 < 15:
        time.sleep(0.02)
    left = tw.proc(d.proc.pid)[2] - (peak - 200)
    took = time.monotonic() - t0
    return f"released in {took:.2f} s" if left <= 0 else f"{left} fds still open after 15 s"


def unread(d, wake):
    """20 clients that never read a 12 MiB answer: RSS growth."""
    rss0 = tw.proc(d.proc.pid)[1]
    socks = []
    for _ in range(20):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect(tw.addr_of(wake))
        s.sendall(b"GET /bytes?kb=12288 HTTP/1.1\r\nHost: x\r\n\r\n")
        socks.append(s)
    peak = 0
    for _ in range(40):
        peak = max(peak, tw.proc(d.proc.pid)[1] - rss0)
        time.sleep(0.1)
    tw.close_all(socks)
    return f"RSS +{peak / MIB:.1f} MiB"


def framing(d, wake):
    """The smuggling attempt of finding 5 and a 1 MiB body (finding 6)."""
    smuggle, _ = tw.exchange(wake, b"GET /echo HTTP/1.1\r\nX: y\n\nGET /smuggled HTTP/1.1\r\n"
                             b"Host: x\r\n\r\n")
    body = b"m" * MIB
    mib, _ = tw.exchange(wake, b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
                         % MIB + body, timeout=30)
    return f"smuggled: {smuggle}, 1 MiB body: {mib}"


def drip(d, wake):
    """20 connections dripping 60 KiB heads 4 bytes at a time: CPU."""
    head = b"GET / HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"p" * (60 * 1024 - 40)
    socks = [socket.create_connection(tw.addr_of(wake)) for _ in range(20)]
    cpu0, t0 = tw.proc(d.proc.pid)[0], time.monotonic()
    for k, i in enumerate(range(0, len(head), 4)):
        for s in socks:
            s.send(head[i:i + 4])
        pause = t0 + (k + 1) * 0.0003 - time.monotonic()
        if pause > 0:
            time.sleep(pause)
    wall = time.monotonic() - t0
    cpu = tw.proc(d.proc.pid)[0] - cpu0
    tw.close_all(socks)
    return f"CPU {cpu / wall * 100:.0f} % ({cpu:.2f} s in {wall:.1f} s)"


ATTACKS = [("1. 5,000 idle connections, fd limit 1,024", flood, False),
           ("2. 500 unfinished 1 MiB bodies", bodies, False),
           ("3. 100 relays whose clients left", relays_left, True),
           ("4. 20 unread 12 MiB answers", unread, True),
           ("5, 6. framing", framing, True),
           ("7. 20 heads dripped 4 bytes at a time", drip, False)]


def main():
    import tempfile
    import uuid
    binaries = sys.argv[1:] or [conftest.BINARY]
    rows = []
    for name, fn, awake in ATTACKS:
        row = [name]
        for b in binaries:
            svc = "w" + uuid.uuid4().hex[:8]
            tmp = tempfile.mkdtemp(prefix="wake-attack-")
            dk.cleanup(svc)
            d = None
            try:
                d, wake = daemon(b, tmp, svc, awake)
                row.append(fn(d, wake))
                if d.proc.poll() is not None:
                    row[-1] += f" (daemon exited {d.proc.returncode})"
            except Exception as e:  # a build that fails an attack still gets its row
                row.append(f"error: {e}"[:120])
            finally:
                if d is not None and d.proc.poll() is None:
                    d.proc.kill()
                    d.proc.wait()
                dk.cleanup(svc)
        rows.append(row)
        print(" | ".join(row), flush=True)
    print("\n| attack | " + " | ".join(binaries) + " |")
    print("|---" * (len(binaries) + 1) + "|")
    for r in rows:
        print("| " + " | ".join(r) + " |")


if __name__ == "__main__":
    main()
