#!/usr/bin/python3
"""Long polls that lock other clients out (doc/api.md, "API limits"; issue 28, finding 8):
one client sends 64 `GET /api/v1/events?wait=60s` from 127.0.0.1 and exits; how long
until /healthz from 127.0.0.1 is answered again, and how long the daemon still counts
the waiters. $DOCKSCALED is the binary under test; $DOCKSCALED_BASELINE, when set, is
measured the same way in the same run (e.g. a build from before the fix).

    DOCKSCALED=$PWD/build/dockscaled DOCKSCALED_BASELINE=/path/to/old/dockscaled \\
        /usr/bin/python3 tests/bench/longpoll_lockout.py
"""
import os
import socket
import tempfile
import time

from common import BenchDaemon, on_sigterm

import conftest  # noqa: E402 (tests/integration, via common)

POLLS = 64
LIMIT_S = 75.0  # past the 60 s wait: the old daemon lets go when the waits end


def healthz(port):
    """True when /healthz from 127.0.0.1 is answered 200 within a second."""
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=1)
    except OSError:
        return False
    try:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        got = s.recv(64)
        return got.startswith(b"HTTP/1.1 200")
    except OSError:
        return False
    finally:
        s.close()


def waiting(port):
    """dockscale_api_long_polls, or None when the daemon has no such gauge."""
    s = socket.create_connection(("127.0.0.1", port), timeout=2)
    try:
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        got = b""
        while chunk := s.recv(65536):
            got += chunk
    finally:
        s.close()
    for line in got.decode(errors="replace").splitlines():
        if line.startswith("dockscale_api_long_polls "):
            return int(float(line.split()[1]))
    return None


def measure(binary):
    """(seconds until /healthz answered, seconds until no waiter was counted or None)."""
    with tempfile.TemporaryDirectory(prefix="dockscale-lockout-") as tmp:
        d = BenchDaemon(tmp, "")
        old = conftest.BINARY
        conftest.BINARY = binary  # Daemon.start runs the module's BINARY
        try:
            d.start()
            socks = []
            for _ in range(POLLS):
                s = socket.create_connection(("127.0.0.1", d.port), timeout=5)
                s.sendall(b"GET /api/v1/events?since=1000000000&wait=60s HTTP/1.1\r\n"
                          b"Host: 127.0.0.1\r\n\r\n")
                socks.append(s)
            time.sleep(0.5)  # the client exits half a second after sending: its pace
            for s in socks:
                s.close()
            t0 = time.monotonic()
            while not healthz(d.port):
                if time.monotonic() - t0 > LIMIT_S:
                    return None, None
                time.sleep(0.01)
            answered = time.monotonic() - t0
            while (n := waiting(d.port)) is not None and n > 0:
                time.sleep(0.01)
            return answered, (time.monotonic() - t0 if n is not None else None)
        finally:
            conftest.BINARY = old
            d.stop()


def main():
    on_sigterm()
    runs = [("this build", os.environ["DOCKSCALED"])]
    if os.environ.get("DOCKSCALED_BASELINE"):
        runs.append(("baseline", os.environ["DOCKSCALED_BASELINE"]))
    for what, binary in runs:
        t, gone = measure(binary)
        shown = f"{t * 1000:.1f} ms" if t is not None else f"> {LIMIT_S:.0f} s"
        print(f"{what} ({binary}): /healthz from 127.0.0.1 answered {shown} after the "
              f"{POLLS} long-polling clients left" + (
                  f"; no waiter counted after {gone * 1000:.1f} ms" if gone is not None
                  else ""), flush=True)


if __name__ == "__main__":
    main()
