"""Phase 4: the wake listener attacked as a client on the internet would attack it (issue
28; doc/waking.md has the limits checked here, include/wake.h their values).

One daemon, two services at `min_replicas = 0` with a wake listener each: `held`, whose
replica never turns ready (dockscale-demo:nohc probed on /nope), so a whole request there
can only be held (wake_timeout 5 s); and `awake`, woken by a first request at the start,
whose listener relays to its replica at once (the demo app's /sleep and /bytes).

A watcher in a process of its own (the harness's threads never delay its clock) polls
every 100 ms over the whole phase: /healthz on a new connection, the daemon's VmRSS, its
open descriptors and soft RLIMIT_NOFILE, the wake connections and their cap (one /metrics
page), and that the process is alive. Properties: no /healthz missed, and each answered
within 100 ms once the time the daemon and the watcher spent runnable without a CPU is
taken out (/proc/PID/schedstat; the raw latencies are reported too: this machine runs
other suites beside this one); RSS growth over the baseline <= the 64 MiB buffer budget
+ RSS_SLACK; descriptors <= the soft limit; connections <= the cap. The daemon, the
watcher and the harness run at nice -10 so that the other suites delay them less.
Whether the daemon holds a connection is looked up in the kernel (sock_diag, as `ss`
does) every 100 ms: the daemon's end has an inode from accept() to close(); one still in
the kernel's backlog, or closed and being finished by the kernel, has none.

Scenarios, each a row with its counts and each time against its deadline:
1. flood: the daemon's soft fd limit lowered to 1024 (`prlimit`, soft only: raising a
   lowered hard limit needs CAP_SYS_RESOURCE), so the cap is (1024 - 512) / 2 = 256, then
   3000 idle connections: the listeners sit at the cap with accepting paused, each one
   accepted is cut with 408 at 10 s and closed 2 s later (the attacker never closes), and
   the backlog's are then taken; when the flood stops, everything is released within 1 s.
2. slow bodies: 200 heads with `Content-Length: 1048576` (each read by the daemon before
   any body is sent), then all of each body but 64 bytes at 1 Gbit/s, then a byte a
   second (whole after 64 s, past the 30 s body deadline). The bulk spends the 64 MiB
   budget: those that fit are cut with 408 at 30 s after their head, the others get 503
   "memory" when their buffer cannot grow.
3. unread answers: 30 clients with a 4 KiB receive buffer GET /bytes?kb=12288 from the
   awake service and never read: each is closed 30 s after the daemon's last progress
   (its send queue plus the client's receive queue stops growing).
4. a silent replica: 30 clients GET /sleep?ms=120000: 504 at 60 s.
5. hang-ups in every state: close, and close with SO_LINGER 0 (a reset), while the head is
   read, while the body is read, held, waiting for the replica's answer, and while the
   answer streams: each released within 1 s (the daemon's end of the connection closed,
   and its connection to the replica; connections, held and relaying back to what they
   were), counted as client_gone.
6. held past wake_timeout: 503 with Retry-After: 5 and a JSON error at 5 s after arrival.
3, 4 and 2 run together (3 and 4 first: their answer windows come out of the same budget
the slow bodies then spend), 5 and 6 while 4 waits for its 60 s; about 95 s in all. A
deadline D is met when the event falls in [D - 0.2 s, D + 0.25 s]: the listener's 50 ms
tick, the harness's 100 ms polls, and 100 ms for scheduling.
CHAOS_QUICK=1: 1500 flood connections for one round, 100 slow bodies, 20 unread and 20
silent clients, one hang-up per state and kind (the deadlines are the daemon's).
Each scenario's connections (times from their sending) are written to wake-*.jsonl and
the watcher's polls to wake-watch.jsonl in the temp dir.
"""
import collections
import fcntl
import json
import multiprocessing
import os
import re
import resource
import selectors
import socket
import struct
import subprocess
import termios
import threading
import time
import traceback

from common import QUICK, ChaosDaemon, dk, pct, service_name, stop_all, wait_for
from conftest import free_port
from test_replicas import NOHC, service_conf
from test_wake_hardening import exchange

PHASE = "wake"
# The demo app with /echo, /bytes and /sleep (tests/app/app.c); `make test-image` builds it.
IMAGE = os.environ.get("DOCKSCALE_TEST_IMAGE", "dockscale-demo:latest")
MIB = 1 << 20
# include/wake.h (doc/waking.md).
HEAD_S, BODY_S, ANSWER_S, SEND_S, LINGER_S = 10, 30, 60, 30, 2
BUDGET = 64 * MIB
BODY_MAX = MIB
WAKE_TIMEOUT_S = 5          # the held service's wake_timeout
RETRY_AFTER = b"Retry-After: 5\r\n"
TICK_S, POLL_S, SCHED_S = 0.05, 0.1, 0.1
EARLY_S, LATE_S = POLL_S + SCHED_S, TICK_S + POLL_S + SCHED_S
RELEASE_S = 1.0
HEALTHZ_MAX_S = 0.1
NICE = -10
# What the daemon's RSS may grow beyond the buffer budget: what the budget does not count
# (malloc's rounding and the holes of a fragmented heap: glibc moves its mmap threshold up
# to a freed 1 MiB buffer, so later ones come from the heap; the pages the API builds for
# /metrics and the status meanwhile). A quarter of the budget; measured here, the growth
# stayed under the buffers' own peak (doc/chaos.md).
RSS_SLACK = 16 * MIB

FLOOD_NOFILE = 1024
FLOOD_CAP = (FLOOD_NOFILE - min(FLOOD_NOFILE // 2, 640)) // 2   # wake.c wake_conn_cap()
FLOOD_N = 1500 if QUICK else 3000
# One round (10 s to the 408, 2 s of linger) and the backlog's first taken; or two rounds.
FLOOD_S = HEAD_S + LINGER_S + 2 if QUICK else 2 * (HEAD_S + LINGER_S) + 2
SLOW_N = 100 if QUICK else 200
SLOW_LEFT = 64              # body bytes dripped a second each
UNREAD_N = SILENT_N = 20 if QUICK else 30
HANGUP_REPS = 1 if QUICK else 3
EXPIRE_N = 10

STATES = ("reading the head", "reading the body", "held", "waiting for the answer",
          "answer streaming")


# ---- the daemon seen from outside ---------------------------------------------------------

def api_get(port, path, timeout=1.0):
    """(status, body) of GET path on a new connection, as a monitor would ask it."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
                  .encode())
        data = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
    m = re.match(rb"HTTP/1\.[01] (\d{3}) ", data)
    return (int(m.group(1)) if m else 0), data.split(b"\r\n\r\n", 1)[-1]


METRIC_RE = re.compile(r'^(dockscale_wake_[a-z_]+)(?:\{service="([^"]+)"'
                       r'(?:,reason="([a-z_]+)")?\})? (\S+)$', re.M)


def wake_metrics(text):
    """{(name, service, reason): value} of the dockscale_wake_* lines."""
    return {(n, s, r): float(v) for n, s, r, v in METRIC_RE.findall(text)}


def nofile(pid):
    with open(f"/proc/{pid}/limits") as f:
        m = re.search(r"^Max open files\s+(\d+)\s+(\d+)", f.read(), re.M)
    return int(m.group(1)), int(m.group(2))


def nfds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


# The kernel's sockets through sock_diag (what `ss` uses): /proc/net/tcp lists every
# socket of the machine, 45,000 here (TIME_WAITs of the suites running beside this one):
# 0.2-0.5 s a read, and even a dump filtered by port walks them all (50 ms). An exact
# lookup of one connection is a hash lookup; a poll asks for all of them in one go.
SOCK_DIAG_BY_FAMILY, NLMSG_ERROR, NLMSG_DONE = 20, 2, 3
NLM_F_REQUEST, NLM_F_DUMP = 1, 0x300
TCP_ESTABLISHED, TCP_LISTEN = 1, 10
LOOPBACK = socket.inet_aton("127.0.0.1") + bytes(12)
NOCOOKIE = struct.pack("=III", 0, 0xFFFFFFFF, 0xFFFFFFFF)   # idiag_if, idiag_cookie


def diag_req(sport, dport, seq, flags, extra=b""):
    req = (struct.pack("=BBBxI", socket.AF_INET, socket.IPPROTO_TCP, 0, 0xFFFFFFFF)
           + struct.pack("!HH", sport, dport) + LOOPBACK + LOOPBACK + NOCOOKIE + extra)
    return struct.pack("=IHHII", 16 + len(req), SOCK_DIAG_BY_FAMILY, flags, seq, 0) + req


def diag_replies(s, want):
    """{seq: (state, local port, remote port, receive queue, send queue, inode), or None
    for an error (ENOENT: no such socket)}, until `want` replies came (or NLMSG_DONE)."""
    out = {}
    buf = bytearray(65536)
    while len(out) < want:
        n = s.recv_into(buf)
        data = buf[:n]
        off = 0
        while off + 16 <= n:
            ln, typ, _, seq = struct.unpack_from("=IHHI", data, off)
            if typ == NLMSG_DONE:
                return out
            if typ == NLMSG_ERROR:
                out[seq] = None        # ENOENT: no such connection
            else:
                sport, dport = struct.unpack_from("!HH", data, off + 20)
                rq, wq, _, inode = struct.unpack_from("=IIII", data, off + 72)
                out[seq] = (data[off + 17], sport, dport, rq, wq, inode)
            off += (ln + 3) & ~3
    return out


def lookup(pairs):
    """{(listener port, client port): (state, receive queue, send queue), or None} for
    loopback connections: None unless the daemon has accepted it and not yet closed it
    (its end has an inode; one in the backlog has none yet, one it closed and the kernel
    finishes has none any more); else the state of the daemon's end (CLOSE_WAIT once the
    client's FIN came), the bytes the client sent that the daemon has not read, and the
    bytes the daemon wrote that the client has not acknowledged."""
    out = {}
    pairs = list(pairs)
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 4) as s:  # NETLINK_SOCK_DIAG
        for i in range(0, len(pairs), 64):  # each reply is an skb: 64 fit the buffer
            chunk = pairs[i:i + 64]
            s.sendto(b"".join(diag_req(lp, cp, k, NLM_F_REQUEST)
                              for k, (lp, cp) in enumerate(chunk)), (0, 0))
            got = diag_replies(s, len(chunk))
            for k, key in enumerate(chunk):
                r = got.get(k)
                # no connection: the lookup falls back to the listener itself
                held = r is not None and r[0] != TCP_LISTEN and r[5] != 0
                out[key] = (r[0], r[3], r[4]) if held else None
    return out


def relays(replica_port, handed=True):
    """Local ports of the daemon's connections to the replica: all it holds open, or with
    `handed` only the established ones whose request went out whole (nothing left to
    send). A dump filtered by the remote port; the replica's port is the daemon's only
    peer there (and, briefly, its health probe's)."""
    # inet_diag bytecode: remote port equal; true jumps to the end (kept), false past it.
    bc = struct.pack("=BBHBBH", 12, 8, 12, 0, 0, replica_port)
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 4) as s:
        s.sendto(diag_req(0, replica_port, 1, NLM_F_REQUEST | NLM_F_DUMP,
                          struct.pack("=HH", 4 + len(bc), 1) + bc), (0, 0))
        out = set()
        while True:
            data = s.recv(65536)
            off = 0
            while off + 16 <= len(data):
                ln, typ = struct.unpack_from("=IH", data, off)
                if typ in (NLMSG_DONE, NLMSG_ERROR):
                    return out
                state = data[off + 17]
                sport, dport = struct.unpack_from("!HH", data, off + 20)
                wq, _, inode = struct.unpack_from("=III", data, off + 76)
                if dport == replica_port and inode and (
                        not handed or (state == TCP_ESTABLISHED and wq == 0)):
                    out.add(sport)
                off += (ln + 3) & ~3


def schedstat(pid):
    """(CPU seconds, seconds waiting for a CPU while runnable) of a process's main thread
    (the daemon's event loop)."""
    try:
        with open(f"/proc/{pid}/schedstat") as f:
            cpu, wait = f.read().split()[:2]
        return int(cpu) / 1e9, int(wait) / 1e9
    except OSError:
        return 0.0, 0.0


def watch(pid, port, path, stop_ev):
    """The watcher (a process of its own): one JSON line per 100 ms poll. With /healthz,
    the time the daemon and the watcher spent runnable but without a CPU meanwhile: the
    part of the latency the machine's other work, not the daemon's, accounts for."""
    with open(path, "w") as out:
        while not stop_ev.is_set():
            t = time.monotonic()
            r = {"t": t}
            d0, w0 = schedstat(pid), schedstat("self")
            try:
                r["hz_ok"] = api_get(port, "/healthz")[0] == 200
            except OSError:
                r["hz_ok"] = False
            r["hz"] = time.monotonic() - t
            d1, w1 = schedstat(pid), schedstat("self")
            r["hz_wait"] = (d1[1] - d0[1]) + (w1[1] - w0[1])
            r["cpu"] = d1[0]
            try:
                with open(f"/proc/{pid}/status") as f:
                    st = f.read()
                r["alive"] = re.search(r"^State:\s+Z", st, re.M) is None
                r["rss"] = int(re.search(r"^VmRSS:\s+(\d+) kB", st, re.M).group(1)) * 1024
                r["fds"] = nfds(pid)
                r["soft"] = nofile(pid)[0]
            except (OSError, AttributeError):  # gone, or a zombie without VmRSS
                r["alive"] = False
            try:
                m = wake_metrics(api_get(port, "/metrics")[1].decode())
                r["conns"] = sum(v for k, v in m.items() if k[0] == "dockscale_wake_connections")
                r["cap"] = m.get(("dockscale_wake_connections_limit", "", ""))
                r["buf"] = m.get(("dockscale_wake_buffer_bytes", "", ""))
                r["buf_limit"] = m.get(("dockscale_wake_buffer_bytes_limit", "", ""))
            except OSError:
                pass
            out.write(json.dumps(r) + "\n")
            out.flush()
            stop_ev.wait(max(0.0, t + POLL_S - time.monotonic()))


class Tracker(threading.Thread):
    """Looks the client connections it was told about up every 100 ms: when the daemon
    was first seen holding each (accepted) and first seen without it after that (closed);
    both up to one poll late."""

    def __init__(self):
        super().__init__(daemon=True)
        self.lock = threading.Lock()
        self.recs = {}
        self.stop_ev = threading.Event()

    def watch(self, key):
        rec = {"acc": None, "gone": None}
        with self.lock:
            self.recs[key] = rec
        return rec

    def run(self):
        while not self.stop_ev.is_set():
            with self.lock:
                todo = [(k, r) for k, r in self.recs.items() if r["gone"] is None]
            try:
                held = lookup(k for k, _ in todo)
            except OSError:
                held = None
            now = time.monotonic()
            for key, rec in todo if held is not None else ():
                if held[key] is not None:
                    if rec["acc"] is None:
                        rec["acc"] = now
                elif rec["acc"] is not None:
                    rec["gone"] = now
            self.stop_ev.wait(POLL_S)

    def stop(self):
        self.stop_ev.set()
        self.join(timeout=10)


class Conn:
    """One client: its socket; when it sent (t0); when the first byte of the answer and the
    end came; the answer's start; the Tracker's record of the daemon's end (acc, gone)."""

    def __init__(self, sock, tracker, listener):
        self.sock = sock
        self.port = sock.getsockname()[1]
        self.rec = tracker.watch((listener, self.port))
        self.t0 = time.monotonic()
        self.first = self.end = self.grew = self.head_read = None
        self.data = b""
        self.inq = 0        # unread answers: what the daemon has written so far
        self.dead = False   # slow bodies: sending failed

    def code(self):
        m = re.match(rb"HTTP/1\.1 (\d{3}) ", self.data)
        return int(m.group(1)) if m else 0


class Crowd(threading.Thread):
    """Reads whatever the listener answers the clients added to it."""

    def __init__(self):
        super().__init__(daemon=True)
        self.sel = selectors.EpollSelector()
        self.lock = threading.Lock()
        self.pending = []
        self.stop_ev = threading.Event()

    def add(self, c):
        with self.lock:
            self.pending.append(c)
        return c

    def run(self):
        while not self.stop_ev.is_set():
            with self.lock:
                new, self.pending = self.pending, []
            for c in new:
                self.sel.register(c.sock, selectors.EVENT_READ, c)
            for key, _ in self.sel.select(0.02):
                c = key.data
                try:
                    b = c.sock.recv(65536)
                except (BlockingIOError, socket.timeout):
                    continue
                except OSError:
                    b = b""
                now = time.monotonic()
                if b:
                    if c.first is None:
                        c.first = now
                    if len(c.data) < 4096:
                        c.data += b
                else:
                    c.end = now
                    self.sel.unregister(c.sock)

    def stop(self):
        self.stop_ev.set()
        self.join(timeout=10)
        self.sel.close()


class Ticker(threading.Thread):
    """Every `period`: fn(); for the slow bodies' drip and the unread clients' queues."""

    def __init__(self, fn, period):
        super().__init__(daemon=True)
        self.fn, self.period = fn, period
        self.stop_ev = threading.Event()

    def run(self):
        while not self.stop_ev.is_set():
            self.fn()
            self.stop_ev.wait(self.period)

    def stop(self):
        self.stop_ev.set()
        self.join(timeout=10)


def close_all(conns):
    for c in conns:
        c.sock.close()


def span(xs):
    xs = [x for x in xs if x is not None]
    return f"{min(xs):.2f}-{max(xs):.2f} s" if xs else "none"


def in_window(x, deadline, extra=0.0):
    return x is not None and deadline - EARLY_S <= x <= deadline + LATE_S + extra


def window(deadline):
    return f"[{deadline - EARLY_S:g}, {deadline + LATE_S:g}] s"


def settle(conds, t0, timeout):
    """Polls the named conditions every 10 ms until all hold at once: (seconds from t0,
    or None at the timeout; {name: seconds from t0 since when it held, if it held last})."""
    since = {}
    deadline = time.monotonic() + timeout
    while True:
        held = {}
        for name, fn in conds.items():
            try:
                held[name] = bool(fn())
            except Exception:  # the daemon busy: not yet
                held[name] = False
        now = time.monotonic()   # each held at some point before now
        for name, ok in held.items():
            if ok:
                since.setdefault(name, round(now - t0, 3))
            else:
                since.pop(name, None)
        if all(held.values()):
            return now - t0, since
        if now > deadline:
            return None, since
        time.sleep(0.01)


# ---- the phase ----------------------------------------------------------------------------

class Wake:
    def __init__(self, tmp):
        self.tmp = tmp
        self.held, self.awake = service_name(), service_name()
        self.hport, self.aport = free_port(), free_port()
        self.addr_h, self.addr_a = ("127.0.0.1", self.hport), ("127.0.0.1", self.aport)
        self.d = self.tracker = self.watcher = self.nice0 = None
        self.stop_ev = multiprocessing.Event()
        self.samples_path = os.path.join(tmp, "wake-watch.jsonl")
        self.rows = []
        self.windows = {}

    def setup(self):
        # The daemon (started from this thread), the watcher and the harness's threads
        # inherit it: the other suites on the machine delay them less (measured with it:
        # the run-queue waits of the daemon and the watcher with each slow /healthz).
        self.nice0 = os.getpriority(os.PRIO_PROCESS, 0)
        os.setpriority(os.PRIO_PROCESS, 0, NICE)
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < FLOOD_N + 1000:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, FLOOD_N + 1000), hard))
        for s in (self.held, self.awake):
            dk.cleanup(s)
        up = os.path.join(self.tmp, "wake-%s.upstream")
        body = (service_conf(self.held, image=NOHC, health_path="/nope", min_replicas=0,
                             max_replicas=1, wake_listen=f"127.0.0.1:{self.hport}",
                             wake_timeout=f"{WAKE_TIMEOUT_S}s", start_timeout="600s",
                             upstream_file=up % self.held, upstream_name=f"up_{self.held}")
                + service_conf(self.awake, image=IMAGE, min_replicas=0, max_replicas=1,
                               wake_listen=f"127.0.0.1:{self.aport}",
                               upstream_file=up % self.awake, upstream_name=f"up_{self.awake}"))
        self.d = ChaosDaemon(self.tmp, body, name="wake")
        self.d.start()
        self.pid = self.d.proc.pid
        code, out = exchange(f"127.0.0.1:{self.aport}", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
                             timeout=60)
        if code != 200:
            raise AssertionError(f"the first request did not wake {self.awake}: {out[:200]!r}")
        wait_for(lambda: self.d.status(self.awake)["ready"] == 1, timeout=20,
                 what="the woken replica")
        addr = self.d.status(self.awake)["replicas"][0]["address"]
        self.replica = int(addr.rsplit(":", 1)[1])
        # Forked before any thread of the harness runs.
        self.watcher = multiprocessing.get_context("fork").Process(
            target=watch, args=(self.pid, self.d.port, self.samples_path, self.stop_ev),
            daemon=True)
        self.watcher.start()
        self.tracker = Tracker()
        self.tracker.start()
        wait_for(lambda: len(self.samples()) >= 10, timeout=10, what="the watcher's polls")
        rss = [x["rss"] for x in self.samples() if "rss" in x]
        self.rss0 = pct(rss, 50)
        self.t_start = time.monotonic()

    def samples(self, t0=None, t1=None):
        out = []
        with open(self.samples_path) as f:
            for line in f:
                try:
                    x = json.loads(line)
                except ValueError:  # a line being written
                    continue
                if (t0 is None or x["t"] >= t0) and (t1 is None or x["t"] <= t1):
                    out.append(x)
        return out

    def rss_growth(self, t0, t1):
        rss = [x["rss"] for x in self.samples(t0, t1) if "rss" in x]
        return (max(rss) - self.rss0) / MIB if rss else float("nan")

    def counts(self):
        m = wake_metrics(api_get(self.d.port, "/metrics", timeout=2)[1].decode())
        out = {}
        for svc in (self.held, self.awake):
            for k in ("connections", "held_requests", "relaying_requests"):
                out[(svc, k)] = m.get((f"dockscale_wake_{k}", svc, ""), -1)
        for r in ("client_gone", "memory", "wake_timeout", "request_timeout", "upstream",
                  "send_timeout"):
            out[r] = sum(m.get(("dockscale_wake_refused_total", s, r), 0)
                         for s in (self.held, self.awake))
        out["paused"] = m.get(("dockscale_wake_accept_paused_total", "", ""), 0)
        return out

    def dump(self, name, conns):
        """Each connection's times (s from its send) to wake-NAME.jsonl in the temp dir."""
        with open(os.path.join(self.tmp, f"wake-{name}.jsonl"), "w") as f:
            for c in conns:
                rel = (lambda x: None if x is None else round(x - c.t0, 3))
                f.write(json.dumps({"port": c.port, "t0": round(c.t0 - self.t_start, 3),
                                    "code": c.code(), "first": rel(c.first), "end": rel(c.end),
                                    "acc": rel(c.rec["acc"]), "gone": rel(c.rec["gone"]),
                                    "grew": rel(c.grew), "sent": c.inq}) + "\n")

    def row(self, prop, fig, ok):
        self.rows.append((PHASE, prop, fig, ok))
        print(f"chaos: wake: {prop}: {fig} -> {'info' if ok is None else 'ok' if ok else 'FAIL'}",
              flush=True)

    # ---- 1. connection flood --------------------------------------------------------------

    def flood(self):
        pid = self.pid
        soft, _ = nofile(pid)
        c0 = self.counts()
        self.d.note(f"wake flood: soft fd limit {FLOOD_NOFILE}, {FLOOD_N} idle connections")
        subprocess.run(["prlimit", f"--pid={pid}", f"--nofile={FLOOD_NOFILE}:"], check=True)
        crowd = Crowd()
        crowd.start()
        conns = []
        paused = polls = max_conns = unanswered = 0
        t0 = time.monotonic()
        try:
            for _ in range(FLOOD_N):
                s = socket.socket()
                s.setblocking(False)
                s.connect_ex(self.addr_h)
                conns.append(crowd.add(Conn(s, self.tracker, self.hport)))
            t_sent = time.monotonic()
            while time.monotonic() - t0 < FLOOD_S:
                polls += 1
                try:
                    w = self.d.status(self.held, timeout=2)["wake"]
                except Exception:  # the API starved of descriptors (issue 28, finding 1)
                    unanswered += 1
                    continue
                paused += not w.get("accepting", True)
                max_conns = max(max_conns, w.get("connections", 0))
                time.sleep(0.2)
            t_stop = time.monotonic()
            cap = wake_metrics(api_get(self.d.port, "/metrics", timeout=2)[1].decode()).get(
                ("dockscale_wake_connections_limit", "", ""), 0)
        finally:
            crowd.stop()
            t_close = time.monotonic()
            close_all(conns)

            # The client's FIN reaches the daemon's end of each connection the kernel had
            # set up, and the daemon must see it leave. One whose handshake the full
            # backlog left half done (the client's last ACK dropped: the client thought it
            # connected, the listener held a request) is set up by the client's FIN or a
            # retransmission without the FIN reaching it (its state says): to the daemon
            # an idle connection, cut at its head deadline.
            def ends():
                return {k: q for k, q in lookup((self.hport, c.port) for c in conns).items()
                        if q is not None}
            release, since = settle({
                "the daemon's ends the FIN reached closed": lambda: all(
                    q[0] == TCP_ESTABLISHED for q in ends().values()),
                "accepting": lambda: self.d.status(self.held, timeout=2)["wake"].get(
                    "accepting", True)}, t_close, 15)
            left = ends()
            stragglers = [c for c in conns if (self.hport, c.port) in left]
            everything, since2 = settle({
                "the daemon's ends closed": lambda: not ends(),
                "connections 0": lambda: self.counts()[(self.held, "connections")] <= 0},
                t_close, HEAD_S + LINGER_S + 5)
            if release is None or release > RELEASE_S or everything is None:
                print(f"chaos: wake flood release {release} ({since}), everything "
                      f"{everything} ({since2})", flush=True)
            subprocess.run(["prlimit", f"--pid={pid}", f"--nofile={soft}:"], check=True)
        c1 = self.counts()
        self.windows["flood"] = (t0, time.monotonic())
        self.dump("flood", conns)
        acc = [c for c in conns if c.rec["acc"] is not None]
        answered = [c for c in conns if c.first is not None]
        codes = collections.Counter(c.code() for c in answered)
        cuts = [c.first - c.rec["acc"] for c in acc if c.first is not None]
        late = [x for x in cuts if not in_window(x, HEAD_S)]
        due = [c for c in acc if c.rec["acc"] <= t_stop - HEAD_S - LATE_S]
        uncut = [c for c in due if c.first is None]
        closed = [c.rec["gone"] - c.rec["acc"] for c in acc if c.rec["gone"] is not None
                  and c.first is not None]
        print(f"chaos: wake flood: {FLOOD_N} connections opened in {t_sent - t0:.2f} s; "
              f"accepted {len(acc)}, answers {dict(codes)}, cut {span(cuts)} after accept, "
              f"closed {span(closed)} after accept; release {release}", flush=True)
        self.row(f"flood: {FLOOD_N} idle connections, soft fd limit {FLOOD_NOFILE}: the "
                 f"listeners sit at their cap ({FLOOD_CAP}), accepting paused, the backlog "
                 f"taken as connections end",
                 f"reported cap {cap:g}; connections max {max_conns} (status, 200 ms "
                 f"polls), {max(x.get('conns', 0) for x in self.samples(t0, t_stop)):g} "
                 f"(the watcher's /metrics); "
                 f"accepting false in {paused} of {polls} polls (unanswered {unanswered}); "
                 f"accept pauses "
                 f"+{c1['paused'] - c0['paused']:g}; {len(acc)} accepted over {FLOOD_S} s "
                 f"({len(acc) / FLOOD_CAP:.1f} x the cap); RSS growth max "
                 f"{self.rss_growth(*self.windows['flood']):.1f} MiB",
                 cap == FLOOD_CAP and max_conns == FLOOD_CAP and paused > 0
                 and not unanswered and len(acc) > FLOOD_CAP)
        self.row(f"flood: each idle connection cut with 408 at {HEAD_S} s after accept "
                 f"(accept seen by the 100 ms poll), within {window(HEAD_S)}",
                 f"{codes.get(408, 0)} cut at {span(cuts)}; outside the window {len(late)}; "
                 f"other answers {sum(v for k, v in codes.items() if k != 408)}"
                 f"{' ' + str(dict(codes)) if set(codes) - {408} else ''}; accepted "
                 f">{HEAD_S + LATE_S:g} s before the end but never cut {len(uncut)}; closed "
                 f"{span(closed)} after accept (+{LINGER_S} s linger)",
                 codes.get(408, 0) > 0 and not late and not uncut and set(codes) <= {408})
        try:
            wait_for(lambda: all(c.rec["gone"] for c in stragglers if c.rec["acc"]),
                     timeout=2, what="the stragglers seen gone")
        except AssertionError:
            pass
        held_on = [c.rec["gone"] - max(c.rec["acc"], t_close) if c.rec["gone"] else None
                   for c in stragglers if c.rec["acc"]]
        self.row(f"flood: when it stops, each connection whose client's FIN reached the "
                 f"daemon's end released within {RELEASE_S:g} s (and accepting); any whose "
                 f"half-done handshake the FIN did not complete (to the daemon an idle "
                 f"connection) by its head deadline + linger ({HEAD_S + LINGER_S} s) "
                 f"+ {LATE_S:g} s",
                 f"{'not within 15 s' if release is None else f'{release:.2f} s'}; "
                 f"{len(stragglers)} without the FIN, gone {span(held_on)} after the close; "
                 f"all, 0 connections: "
                 f"{'not in time' if everything is None else f'{everything:.2f} s'}; "
                 f"client_gone +{c1['client_gone'] - c0['client_gone']:g}",
                 release is not None and release <= RELEASE_S and everything is not None
                 and all(x is not None and x <= HEAD_S + LINGER_S + LATE_S for x in held_on))

    # ---- 2, 3, 4 together; then 5 and 6 -----------------------------------------------------

    def start_silent(self, crowd):
        req = b"GET /sleep?ms=120000 HTTP/1.1\r\nHost: x\r\n\r\n"
        out = []
        for _ in range(SILENT_N):
            s = socket.create_connection(self.addr_a, timeout=10)
            c = Conn(s, self.tracker, self.aport)
            s.sendall(req)
            c.t0 = time.monotonic()
            out.append(crowd.add(c))
        return out

    def start_unread(self):
        req = b"GET /bytes?kb=12288 HTTP/1.1\r\nHost: x\r\n\r\n"
        out = []
        for _ in range(UNREAD_N):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.settimeout(10)
            s.connect(self.addr_a)
            c = Conn(s, self.tracker, self.aport)
            s.sendall(req)
            c.t0 = time.monotonic()
            out.append(c)
        return out

    def queue_poll(self, conns):
        """What the daemon has written to each unread client so far: the client's receive
        queue plus the daemon's unacknowledged send queue (nothing is ever read, so the sum
        grows exactly when the daemon's send() takes bytes); when it last grew."""
        live = [c for c in conns if c.rec["gone"] is None]
        sent = lookup((self.aport, c.port) for c in live)
        now = time.monotonic()
        buf = bytearray(4)
        for c in live:
            try:
                fcntl.ioctl(c.sock.fileno(), termios.FIONREAD, buf)
            except OSError:
                continue
            q = sent[(self.aport, c.port)]
            if q is None:
                continue
            n = struct.unpack("i", buf)[0] + q[2]
            if n > c.inq:
                c.inq, c.grew = n, now

    def start_slow(self, crowd):
        """The heads first, each read by the daemon before any body is sent (its body
        deadline starts then: between c.t0 and c.head_read); then the bodies, paced as a
        1 Gbit/s link would carry them."""
        head = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % BODY_MAX
        bulk = b"b" * (BODY_MAX - SLOW_LEFT)
        out = []
        for _ in range(SLOW_N):
            s = socket.create_connection(self.addr_h, timeout=10)
            c = Conn(s, self.tracker, self.hport)
            s.sendall(head)
            out.append(crowd.add(c))
        unread = {(self.hport, c.port): c for c in out}

        def heads_read():
            now = time.monotonic()
            for key, q in lookup(unread).items():
                if q is not None and q[1] == 0:
                    unread.pop(key).head_read = now
            return not unread
        wait_for(heads_read, timeout=10, interval=0.005, what="the heads read")
        t = time.monotonic()
        for c in out:
            try:
                c.sock.sendall(bulk)
            except OSError:  # refused and closed (503 "memory", then 2 s of linger)
                c.dead = True
            t += len(bulk) * 8 / 1e9
            time.sleep(max(0.0, t - time.monotonic()))
        return out

    @staticmethod
    def drip(conns):
        for c in conns:
            if c.first is None and not c.dead:
                try:
                    c.sock.send(b"b", socket.MSG_DONTWAIT)
                except OSError:
                    c.dead = True

    def overlapped(self):
        def ended(c):  # closed by the daemon (or at accept, before the tracker saw it)
            return c.rec["gone"] is not None or (c.rec["acc"] is None and c.end is not None)
        crowd = Crowd()
        crowd.start()
        silent, unread, slow = [], [], []
        queues = drip = None
        try:
            c0 = self.counts()
            t0 = time.monotonic()
            self.d.note("wake: silent replica, unread answers, then slow bodies")
            silent = self.start_silent(crowd)
            unread = self.start_unread()
            queues = Ticker(lambda: self.queue_poll(unread), POLL_S)
            queues.start()
            # Their answer windows are charged before the slow bodies spend the budget.
            try:
                wait_for(lambda: len(relays(self.replica)) >= SILENT_N + UNREAD_N,
                         timeout=15, what="the relays of 3 and 4")
            except AssertionError as e:  # their rows say what became of them
                print(f"chaos: wake: {e}", flush=True)
            t_slow = time.monotonic()
            slow = self.start_slow(crowd)
            t_slow_sent = time.monotonic()
            drip = Ticker(lambda: self.drip(slow), 1.0)
            drip.start()
            wait_for(lambda: all(ended(c) for c in slow + unread),
                     timeout=BODY_S + LINGER_S + 20, interval=0.2,
                     what="the slow bodies and the unread answers ended")
            t_slow_end = time.monotonic()
            drip.stop()
            queues.stop()
            close_all(slow + unread)
            self.windows["slow"] = (t_slow, t_slow_end)
            self.windows["unread"] = (t0, t_slow_end)
            c1 = self.counts()
            self.dump("slow", slow)
            self.dump("unread", unread)
            self.report_slow(slow, c0, c1, t_slow_sent - t_slow)
            self.report_unread(unread)
            wait_for(lambda: self.counts()[(self.held, "connections")] <= 0, timeout=10,
                     what="the held service's listener idle")
            self.hangups()
            self.expire(crowd)
            wait_for(lambda: all(c.first is not None for c in silent),
                     timeout=ANSWER_S + 20 - (time.monotonic() - t0), interval=0.2,
                     what="the silent replica's 504s")
            wait_for(lambda: all(c.rec["gone"] is not None for c in silent), timeout=5,
                     interval=0.2, what="the silent relays closed")
            self.windows["silent"] = (t0, time.monotonic())
            self.dump("silent", silent)
            self.report_silent(silent, c0, self.counts())
        finally:
            for t in (drip, queues):
                if t is not None and t.is_alive():
                    t.stop()
            crowd.stop()
            close_all(silent + unread + slow)

    def report_slow(self, slow, c0, c1, send_s):
        codes = collections.Counter(c.code() for c in slow)
        memory = [c for c in slow if c.code() == 503 and b"memory" in c.data]
        at_accept = [c for c in slow if not c.data and c.end is not None]
        cut = [c for c in slow if c.code() == 408]
        times = [c.first - c.t0 for c in cut]
        late = [c for c in cut if not in_window(c.first - c.t0, BODY_S, c.head_read - c.t0)]
        read = [c.head_read - c.t0 for c in slow]
        other = len(slow) - len(memory) - len(at_accept) - len(cut)
        buf = [x["buf"] for x in self.samples(*self.windows["slow"]) if "buf" in x]
        self.row(f"slow bodies: {len(slow)} heads of a 1 MiB body, all of it but {SLOW_LEFT} "
                 f"bytes, then a byte a second: the buffers within the 64 MiB budget, 503 "
                 f"\"memory\" past it",
                 f"bodies sent in {send_s:.1f} s; held until cut {len(cut)}, 503 memory "
                 f"{len(memory)}, closed at accept (no room for one more connection) "
                 f"{len(at_accept)} (refused memory +{c1['memory'] - c0['memory']:g}), other "
                 f"{other}{' ' + str(dict(codes)) if other else ''}; buffers max "
                 f"{max(buf, default=0) / MIB:.1f} MiB; RSS growth max "
                 f"{self.rss_growth(*self.windows['slow']):.1f} MiB (with 3 and 4 running)",
                 other == 0 and cut and memory and max(buf, default=0) <= BUDGET
                 and c1["memory"] - c0["memory"] == len(memory) + len(at_accept))
        self.row(f"slow bodies: each held one cut with 408 at {BODY_S} s after its head "
                 f"was read (sent, then seen read by a 5 ms poll), within {window(BODY_S)} "
                 f"of its sending + the time to see it read",
                 f"{len(cut)} at {span(times)} after the head was sent; heads seen read "
                 f"{max(read) * 1000:.0f} ms after sending at most; outside the window "
                 f"{len(late)}", bool(cut) and not late)

    def report_unread(self, unread):
        times = [c.rec["gone"] - c.grew if c.grew is not None else None for c in unread]
        late = [x for x in times if not in_window(x, SEND_S)]
        self.row(f"unread answers: {len(unread)} clients (4 KiB receive buffer) of a 12 MiB "
                 f"answer that never read: each closed {SEND_S} s after the daemon's last "
                 f"progress (its send queue and the client's receive queue, 100 ms polls), "
                 f"within {window(SEND_S)}",
                 f"closed at {span(times)}; outside the window {len(late)}; written to each "
                 f"before it stopped {min(c.inq for c in unread)}-"
                 f"{max(c.inq for c in unread)} bytes; "
                 f"RSS growth max {self.rss_growth(*self.windows['unread']):.1f} MiB "
                 f"(with 2 and 4 running)",
                 not late)

    def report_silent(self, silent, c0, c1):
        codes = collections.Counter(c.code() for c in silent)
        times = [c.first - c.t0 for c in silent if c.code() == 504]
        late = [x for x in times if not in_window(x, ANSWER_S)]
        self.row(f"silent replica: {len(silent)} clients GET /sleep?ms=120000: 504 at "
                 f"{ANSWER_S} s after the request went to the replica, within "
                 f"{window(ANSWER_S)}",
                 f"{codes.get(504, 0)} 504 at {span(times)}; outside the window {len(late)}; "
                 f"other answers {sum(v for k, v in codes.items() if k != 504)}; refused "
                 f"upstream +{c1['upstream'] - c0['upstream']:g}",
                 codes.get(504, 0) == len(silent) and not late)

    # ---- 5. hang-ups --------------------------------------------------------------------------

    def hangup(self, state, reset):
        """(seconds to release, or None) for one client leaving in `state`."""
        pre, relays_pre = self.counts(), relays(self.replica, False)
        to_awake = state in ("waiting for the answer", "answer streaming")
        svc, port = (self.awake, self.aport) if to_awake else (self.held, self.hport)
        s = socket.socket()
        if state == "answer streaming":
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(5)
        try:
            s.connect((self.addr_a if to_awake else self.addr_h))
            key = (port, s.getsockname()[1])
            want = {(svc, "connections"): 1}
            if state == "reading the head":
                s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
            elif state == "reading the body":
                s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"
                          + b"b" * 1000)
            elif state == "held":
                s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                want[(svc, "held_requests")] = 1
            elif state == "waiting for the answer":
                s.sendall(b"GET /sleep?ms=120000 HTTP/1.1\r\nHost: x\r\n\r\n")
                want[(svc, "relaying_requests")] = 1
            else:
                s.sendall(b"GET /bytes?kb=12288 HTTP/1.1\r\nHost: x\r\n\r\n")
                got = 0
                while got < 65536:
                    b = s.recv(65536)
                    if not b:
                        raise AssertionError("the answer ended early")
                    got += len(b)
                want[(svc, "relaying_requests")] = 1

            def there():
                c = self.counts()
                return (lookup([key])[key] is not None
                        and all(c[k] == pre[k] + v for k, v in want.items() if pre[k] >= 0)
                        and (not to_awake or relays(self.replica) - relays_pre))
            wait_for(there, timeout=5, interval=0.01, what=f"a client {state}")
            if reset:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        finally:
            t0 = time.monotonic()
            s.close()
        keys = [k for k in pre if isinstance(k, tuple) and pre[k] >= 0]  # those it has
        # Its descriptors: the daemon's end of the connection (no inode once closed) and,
        # relayed, its connection to the replica. (The daemon's descriptor count is no
        # measure: its keep-alive health probes and its Docker calls come and go.)
        took, since = settle({
            "the daemon's end closed": lambda: lookup([key])[key] is None,
            "its relay closed": lambda: not to_awake or not relays(self.replica, False)
            - relays_pre,
            "counts back": lambda: all(c[k] == pre[k] for c in [self.counts()]
                                       for k in keys)}, t0, 5)
        if took is None or took > RELEASE_S:
            print(f"chaos: wake hang-up {state}{' (reset)' if reset else ''}: released "
                  f"{took}; each condition true since {since}; before {pre}; now "
                  f"{self.counts()}", flush=True)
        return took

    def hangups(self):
        c0 = self.counts()
        t0 = time.monotonic()
        self.d.note("wake: hang-ups in every state")
        res = collections.defaultdict(list)
        for _ in range(HANGUP_REPS):
            for state in STATES:
                for reset in (False, True):
                    res[(state, reset)].append(self.hangup(state, reset))
        c1 = self.counts()
        self.windows["hangups"] = (t0, time.monotonic())
        n = sum(len(v) for v in res.values())
        allx = [x for v in res.values() for x in v]
        bad = [f"{st}{' (reset)' if r else ''}" for (st, r), v in res.items()
               for x in v if x is None or x > RELEASE_S]
        worst = {st: max((x for r in (False, True) for x in res[(st, r)] if x is not None),
                         default=None) for st in STATES}
        per = "; ".join(f"{st} {'n/a' if x is None else f'{x * 1000:.0f} ms'}"
                        for st, x in worst.items())
        gone = c1["client_gone"] - c0["client_gone"]
        self.row(f"hang-ups: {n} clients leave (close, and reset by SO_LINGER 0; "
                 f"{HANGUP_REPS} of each) in every state: each released within "
                 f"{RELEASE_S:g} s (the daemon's end closed, and its relay; connections, "
                 f"held, relaying back), counted as client_gone",
                 f"slowest per state: {per}; median "
                 f"{(pct(allx, 50) or 0) * 1000:.0f} ms; "
                 f"not released in time {len(bad)}{' (' + ', '.join(bad) + ')' if bad else ''}"
                 f"; client_gone +{gone:g} of {n}",
                 not bad and gone == n)

    # ---- 6. held past wake_timeout ------------------------------------------------------------

    def expire(self, crowd):
        c0 = self.counts()
        t0 = time.monotonic()
        self.d.note("wake: held past wake_timeout")
        conns = []
        for _ in range(EXPIRE_N):
            t = time.monotonic()   # the request's arrival is the connection's accept
            s = socket.create_connection(self.addr_h, timeout=10)
            c = Conn(s, self.tracker, self.hport)
            c.t0 = t
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            conns.append(crowd.add(c))
        try:
            wait_for(lambda: all(c.end is not None for c in conns),
                     timeout=WAKE_TIMEOUT_S + LINGER_S + 10, interval=0.05,
                     what="the held requests answered")
        except AssertionError:
            pass
        c1 = self.counts()
        self.windows["expire"] = (t0, time.monotonic())
        self.dump("expire", conns)
        good = [c for c in conns if c.code() == 503 and RETRY_AFTER in c.data
                and b'{"error": ' in c.data]
        times = [c.first - c.t0 for c in good]
        late = [x for x in times if not in_window(x, WAKE_TIMEOUT_S)]
        self.row(f"held past wake_timeout ({WAKE_TIMEOUT_S} s): {EXPIRE_N} requests get 503 "
                 f"with Retry-After: 5 and a JSON error, within {window(WAKE_TIMEOUT_S)} of "
                 f"their arrival",
                 f"{len(good)} of {len(conns)} at {span(times)}; outside the window "
                 f"{len(late)}; refused wake_timeout "
                 f"+{c1['wake_timeout'] - c0['wake_timeout']:g}",
                 len(good) == EXPIRE_N and not late
                 and c1["wake_timeout"] - c0["wake_timeout"] == EXPIRE_N)
        close_all(conns)

    # ---- the watcher's properties -------------------------------------------------------------

    def report_watch(self):
        xs = self.samples()
        n = len(xs)
        hz = [x["hz"] for x in xs]
        own = [max(0.0, x["hz"] - x["hz_wait"]) for x in xs]
        missed = [x for x in xs if not x["hz_ok"]]
        over = [x for x in xs if x["hz"] > HEALTHZ_MAX_S]

        def where(x):
            return "/".join(k for k, (a, b) in self.windows.items() if a <= x["t"] <= b) or "-"
        self.row(f"/healthz on a new connection every 100 ms over the whole phase: none "
                 f"missed, each within {HEALTHZ_MAX_S * 1000:.0f} ms but the time the daemon "
                 f"or the watcher waited for a CPU (/proc/PID/schedstat)",
                 f"max {max(hz) * 1000:.0f} ms, median {pct(hz, 50) * 1000:.1f} ms over {n} "
                 f"polls; over {HEALTHZ_MAX_S * 1000:.0f} ms {len(over)}"
                 + (" (" + ", ".join(f"{x['hz'] * 1000:.0f} ms of which {x['hz_wait'] * 1000:.0f}"
                                     f" waiting, {where(x)}" for x in over[:6]) + ")"
                    if over else "")
                 + f"; without the waits max {max(own) * 1000:.0f} ms; missed {len(missed)}",
                 n > 0 and not missed and max(own) <= HEALTHZ_MAX_S)
        rss = [x["rss"] for x in xs if "rss" in x]
        grow = (max(rss) - self.rss0) / MIB
        buf = [x["buf"] for x in xs if x.get("buf") is not None]
        self.row(f"VmRSS growth over its baseline, max <= 64 MiB budget + {RSS_SLACK // MIB} "
                 f"MiB slack (allocator; the API's pages)",
                 f"baseline {self.rss0 / MIB:.1f} MiB, max {max(rss) / MIB:.1f} MiB: "
                 f"+{grow:.1f} MiB; wake buffers max {max(buf, default=0) / MIB:.1f} MiB of "
                 f"{BUDGET // MIB}; per scenario: "
                 + ", ".join(f"{k} +{self.rss_growth(*w):.1f}" for k, w in self.windows.items()),
                 grow * MIB <= BUDGET + RSS_SLACK and max(buf, default=0) <= BUDGET)
        over = [x for x in xs if "fds" in x and x["fds"] > x["soft"]]
        fl = [x for x in xs if "fds" in x and x["soft"] == FLOOD_NOFILE]
        self.row("open descriptors <= the soft RLIMIT_NOFILE at every poll",
                 f"max {max(x['fds'] for x in xs if 'fds' in x)} (soft "
                 f"{max(x['soft'] for x in xs if 'soft' in x)}); during the flood max "
                 f"{max((x['fds'] for x in fl), default=0)} of {FLOOD_NOFILE}; over {len(over)}",
                 not over)
        capx = [x for x in xs if x.get("cap") is not None]
        above = [x for x in capx if x["conns"] > x["cap"]]
        self.row("wake connections <= dockscale_wake_connections_limit at every poll",
                 f"max {max((x['conns'] for x in capx), default=0):g} (limit "
                 f"{min((x['cap'] for x in capx), default=0):g}-"
                 f"{max((x['cap'] for x in capx), default=0):g}); above {len(above)} of "
                 f"{len(capx)} polls", bool(capx) and not above)
        dead = [x for x in xs if not x.get("alive")]
        alive = self.d.proc.poll() is None and self.d.proc.pid == self.pid
        self.row("the daemon alive at every poll, the same process at the end",
                 f"{n - len(dead)} of {n} polls; "
                 + ("same process" if alive else "DIED or replaced"),
                 not dead and alive)

    def run(self):
        self.setup()
        t0 = time.monotonic()
        for name, fn in (("flood", self.flood), ("slow bodies, unread answers, silent "
                                                 "replica, hang-ups, wake_timeout",
                                                 self.overlapped)):
            try:
                fn()
            except Exception as e:  # reported; the watcher's rows still follow
                traceback.print_exc()
                self.row(f"{name}: ran to its end", f"error: {e}".replace("\n", " ")[:300],
                         False)
        print(f"chaos: wake: scenarios took {time.monotonic() - t0:.0f} s", flush=True)
        self.stop_watch()
        self.report_watch()
        return self.rows

    def stop_watch(self):
        self.stop_ev.set()
        if self.watcher is not None:
            self.watcher.join(timeout=10)
            if self.watcher.is_alive():
                self.watcher.terminate()

    def close(self):
        self.stop_watch()
        stop_all(self.tracker, self.d)
        for s in (self.held, self.awake):
            dk.cleanup(s)
        if self.nice0 is not None:
            os.setpriority(os.PRIO_PROCESS, 0, self.nice0)


def run(tmp):
    w = Wake(tmp)
    try:
        rows = w.run()
    finally:
        w.close()
    return rows, w.d.logpath
