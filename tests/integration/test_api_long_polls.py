"""Long polls (`GET /api/v1/events?wait=`) cannot lock other clients out (doc/api.md, "Event
history" and "API limits"): a long poll whose client leaves is released at once, and one
address cannot hold more than its share of the waiting slots. Other addresses of
127.0.0.0/8 are loopback too: the tests use them as other clients."""
import json
import re
import signal
import socket
import time

from conftest import http, wait_for

PER_IP = 64         # connections per client address (doc/api.md, "API limits")
WAITERS = 64        # long polls waiting at once
WAITERS_PER_ADDR = 16
FUTURE = 10 ** 9    # since= an id the ring will not reach: nothing matches, the poll waits
PROMPT = 2.0        # "at once": seconds the daemon gets to notice a client has left


def send_poll(port, src, query=f"since={FUTURE}&wait=60s"):
    """A long poll from source address src; returns its socket (the answer unread)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(src, 0))
    s.sendall(f"GET /api/v1/events?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    return s


def answer(s, timeout):
    """The status, headers (lower-case names) and JSON body of the answer on s, or None
    when nothing came within timeout seconds."""
    s.settimeout(timeout)
    got = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
            head, sep, body = got.partition(b"\r\n\r\n")
            n = re.search(rb"(?im)^content-length:\s*(\d+)", head)
            if sep and n and len(body) >= int(n.group(1)):
                break
    except socket.timeout:
        pass
    if not got:
        return None  # nothing within the time, or closed without an answer
    head, _, body = got.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    hdrs = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
    return int(lines[0].split(" ")[1]), hdrs, json.loads(body)


def metric(d, name, src="127.0.0.9"):
    """A sample of the daemon's /metrics, read from an address of its own; None when the
    daemon has no such series."""
    s = socket.create_connection(("127.0.0.1", d.port), timeout=5, source_address=(src, 0))
    try:
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        got = b""
        while chunk := s.recv(65536):
            got += chunk
    finally:
        s.close()
    m = re.search(rf"(?m)^{re.escape(name)} (\S+)$", got.decode(errors="replace"))
    return float(m.group(1)) if m else None


def healthz_from(d, src):
    """/healthz from src: its status, or the error when the connection was refused."""
    try:
        s = socket.create_connection(("127.0.0.1", d.port), timeout=1, source_address=(src, 0))
    except OSError as e:
        return repr(e)
    try:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        a = answer(s, 1)
        return a[0] if a else "no answer"
    except OSError as e:
        return repr(e)
    finally:
        s.close()


def test_64_long_polls_whose_clients_left_lock_no_one_out(daemon_factory):
    """Finding 8: one process sends 64 long polls and exits; every other client of the
    same address is answered at once, and the waiters are gone from the daemon."""
    d = daemon_factory().start()
    socks = [send_poll(d.port, "127.0.0.1") for _ in range(PER_IP)]
    # The daemon has taken them in (on a daemon without the gauge, go on: the requests
    # are in its sockets either way).
    wait_for(lambda: metric(d, "dockscale_api_long_polls") in (None, WAITERS_PER_ADDR),
             timeout=5, what=f"{WAITERS_PER_ADDR} long polls held")
    for s in socks:  # the client exits
        s.close()
    t0 = time.monotonic()
    while (code := healthz_from(d, "127.0.0.1")) != 200:
        assert time.monotonic() - t0 < PROMPT, \
            f"/healthz from 127.0.0.1 after the long-polling client left: {code}"
        time.sleep(0.02)
    took = time.monotonic() - t0
    code, text, _ = http("GET", d.url + "/metrics", timeout=PROMPT)
    assert code == 200 and "dockscale_up 1" in text
    wait_for(lambda: metric(d, "dockscale_api_long_polls") == 0, timeout=PROMPT,
             interval=0.02, what="no long poll left waiting")
    assert metric(d, "dockscale_api_long_polls_abandoned_total") >= WAITERS_PER_ADDR
    # A 65th long poll from the same address is taken and answered at its end.
    s = send_poll(d.port, "127.0.0.1", f"since={FUTURE}&wait=1s")
    try:
        got = answer(s, 5)
    finally:
        s.close()
    assert got is not None and got[0] == 200 and got[2]["events"] == [], got
    print(f"/healthz answered {took * 1000:.0f} ms after the 64 clients left")


def test_released_long_polls_free_the_global_slots(daemon_factory):
    """64 long polls from four addresses fill every waiting slot; once their clients
    leave, a new long poll is held again instead of 503."""
    d = daemon_factory().start()
    srcs = [f"127.0.3.{i}" for i in range(1, 5)]
    socks = [send_poll(d.port, srcs[i % 4]) for i in range(WAITERS)]
    # The 65th (a fifth address) finds every slot taken: all 64 are held.
    def full():
        s = send_poll(d.port, "127.0.3.5")
        try:
            got = answer(s, 2)
        finally:
            s.close()
        return got if got is not None and got[0] == 503 else None
    busy = wait_for(full, timeout=10, what="the 64 long polls held (a 65th refused)")
    for s in socks:
        s.close()

    def held_again():
        s = send_poll(d.port, "127.0.3.5", f"since={FUTURE}&wait=1s")
        try:
            return answer(s, 5)
        finally:
            s.close()
    got = wait_for(lambda: (lambda a: a if a and a[0] == 200 else None)(held_again()),
                   timeout=PROMPT + 1, interval=0.05, what="a long poll held again")
    assert got[2]["events"] == []
    assert metric(d, "dockscale_api_long_polls") == 0
    assert busy[1].get("retry-after", "").isdigit() and "error" in busy[2], busy


def test_one_address_holds_at_most_its_share_of_waiters(daemon_factory):
    d = daemon_factory().start()
    mine = [send_poll(d.port, "127.0.4.1") for _ in range(WAITERS_PER_ADDR)]
    wait_for(lambda: metric(d, "dockscale_api_long_polls") in (None, WAITERS_PER_ADDR),
             timeout=5, what=f"{WAITERS_PER_ADDR} long polls held")
    # One more from that address: refused at once, JSON, with Retry-After, and the
    # connection closed (it does not keep a slot of the address either).
    extra = send_poll(d.port, "127.0.4.1")
    got = answer(extra, 3)
    assert got is not None, "the long poll over the per-address cap was held"
    code, hdrs, body = got
    assert code == 429 and "error" in body and hdrs["retry-after"].isdigit(), got
    assert hdrs.get("connection", "").lower() == "close", hdrs
    assert extra.recv(1) == b""
    extra.close()
    # The global cap still has room: another address is held.
    other = send_poll(d.port, "127.0.4.2")
    wait_for(lambda: metric(d, "dockscale_api_long_polls") == WAITERS_PER_ADDR + 1,
             timeout=5, what="the other address's long poll held")
    assert answer(other, 0.3) is None
    # Everything else from the capped address is answered.
    assert healthz_from(d, "127.0.4.1") == 200
    assert metric(d, "dockscale_api_long_polls_refused_total{reason=\"per_address\"}",
                  src="127.0.4.1") == 1
    assert metric(d, "dockscale_api_long_polls_refused_total{reason=\"busy\"}") == 0
    for s in mine + [other]:
        s.close()


def test_a_waiter_that_stays_gets_its_events(daemon_factory):
    """Nine long polls leave, the tenth stays: it is still held, and answered by the
    next matching event (a reload)."""
    d = daemon_factory().start()
    last = http("GET", d.url + "/api/v1/events")[1]["last_id"]
    polls = [send_poll(d.port, "127.0.5.1", f"since={last}&type=reload&wait=60s")
             for _ in range(10)]
    wait_for(lambda: metric(d, "dockscale_api_long_polls") in (None, 10), timeout=5,
             what="10 long polls held")
    for s in polls[:9]:
        s.close()
    wait_for(lambda: metric(d, "dockscale_api_long_polls") == 1, timeout=PROMPT,
             interval=0.02, what="the nine that left released")
    stay = polls[9]
    assert answer(stay, 0.3) is None, "the one that stayed was answered early"
    d.signal(signal.SIGHUP)
    got = answer(stay, 5)
    stay.close()
    assert got is not None and got[0] == 200, got
    assert [e["type"] for e in got[2]["events"]] == ["reload"], got
