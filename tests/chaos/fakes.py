"""Peers that misbehave on purpose, on 127.0.0.1 or a unix socket of the harness's own:
a Prometheus that lies, and a Docker socket that can be made to hang. Neither touches
the real dockerd: the proxy only stops forwarding to it."""
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def _vector(*values, t=None):
    t = time.time() if t is None else t
    return {"status": "success", "data": {"resultType": "vector", "result": [
        {"metric": {"i": str(i)}, "value": [t, v]} for i, v in enumerate(values)]}}


def _big_vector(n):
    head = b'{"status":"success","data":{"resultType":"vector","result":['
    one = b'{"metric":{"__name__":"x","instance":"i%06d"},"value":[1700000000,"99"]}'
    return head + b",".join(one % i for i in range(n)) + b"]}}"


# (kind, HTTP status, body). A lenient parser would read 99 from many of these, which is
# above the chaos service's scale_up_threshold: taking one as a value shows both as a
# metric and as a scale-up. Every one of them must be missing data (doc/scaling.md, "The
# metric").
LIES = [
    ("NaN", 200, _vector("NaN")),
    ("+Inf", 200, _vector("+Inf")),
    ("-Inf", 200, _vector("-Inf")),
    ("overflow 1e400", 200, _vector("1e400")),
    ("value not a string", 200, _vector(99)),
    ("value with trailing junk", 200, _vector("99abc")),
    ("value after form feed", 200, _vector("\f99")),
    ("empty value", 200, _vector("")),
    ("two series", 200, _vector("99", "99")),
    ("matrix", 200, {"status": "success", "data": {"resultType": "matrix", "result": [
        {"metric": {}, "values": [[1, "99"]]}]}}),
    ("no status", 200, {"data": _vector("99")["data"]}),
    ("status error", 200, {"status": "error", "errorType": "execution", "error": "boom"}),
    ("HTTP 500 with a value", 500, _vector("99")),
    ("HTML", 200, b"<html><body>502 Bad Gateway</body></html>"),
    ("empty body", 200, b""),
    ("truncated JSON", 200, json.dumps(_vector("99")).encode()[:40]),
    ("NUL in body", 200, json.dumps(_vector("99")).encode().replace(b"success", b"succ\0ess")),
    ("nested 100k deep", 200, b"[" * 100000 + b"]" * 100000),
    ("short body (Content-Length lies)", 200, "short"),
    ("huge: 100k series, 7 MB", 200, "big"),
    ("slow: answers after 5 s", 200, "slow"),
]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        self.server.fake.answer(self)

    do_POST = do_GET


class FakePrometheus:
    """Answers every request with LIES[kind] for the current kind (set_kind) and counts
    the requests per kind as they arrive."""

    def __init__(self, port):
        self.kind = 0
        self.served = {}
        self.lock = threading.Lock()
        self.big = _big_vector(100000)
        self.srv = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self.srv.daemon_threads = True
        self.srv.fake = self
        self.thread = threading.Thread(target=self.srv.serve_forever, daemon=True)
        self.thread.start()

    def set_kind(self, i):
        with self.lock:
            self.kind = i

    def count(self, i):
        with self.lock:
            return self.served.get(i, 0)

    def answer(self, h):
        n = int(h.headers.get("Content-Length") or 0)
        if n:
            h.rfile.read(n)
        with self.lock:
            i = self.kind
            self.served[i] = self.served.get(i, 0) + 1  # counted as it arrives
        _, code, body = LIES[i]
        try:
            if body == "slow":
                time.sleep(5)
                body = _vector("99")
            if body == "big":
                body = self.big
            if isinstance(body, dict):
                body = json.dumps(body).encode()
            if body == "short":
                h.send_response(200)
                h.send_header("Content-Type", "application/json")
                h.send_header("Content-Length", "1000")
                h.end_headers()
                h.wfile.write(b'{"status":"succ')
                h.close_connection = True
            else:
                h.send_response(code)
                h.send_header("Content-Type", "application/json")
                h.send_header("Content-Length", str(len(body)))
                h.end_headers()
                h.wfile.write(body)
        except OSError:
            pass  # the daemon gave up (its timeout): fine

    def stop(self):
        self.srv.shutdown()
        self.srv.server_close()


class DockerProxy:
    """A unix socket that forwards to the real Docker socket until hang(): from then on
    it accepts connections and never answers, and connections already open forward
    nothing more. resume() drops every connection opened before it (as an engine that
    lost them) and forwards new ones again."""

    def __init__(self, path, upstream="/var/run/docker.sock"):
        self.path, self.upstream = path, upstream
        self.lock = threading.Lock()
        self.gen = 0            # bumped by hang(): connections of older generations freeze
        self.hung = False
        self.conns = []         # (generation, [sockets])
        self.resumed = threading.Event()
        self.resumed.set()
        self.ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.ls.bind(path)
        self.ls.listen(128)
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed:
            try:
                c, _ = self.ls.accept()
            except OSError:
                return
            with self.lock:
                gen, hung = self.gen, self.hung
                entry = (gen, [c], [0])  # generation, sockets, pumps finished
                self.conns.append(entry)
            if hung:
                continue  # accepted, never read, never answered
            try:
                u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                u.connect(self.upstream)
            except OSError:
                c.close()
                continue
            entry[1].append(u)
            for a, b in ((c, u), (u, c)):
                threading.Thread(target=self._pump, args=(a, b, gen, entry),
                                 daemon=True).start()

    def _pump(self, src, dst, gen, entry):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                with self.lock:
                    frozen = self.gen != gen
                if frozen:
                    self.resumed.wait()  # resume() closes this connection
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        with self.lock:
            entry[2][0] += 1
            last = entry[2][0] == 2
            if last and entry in self.conns:
                self.conns.remove(entry)
        if last:  # the other pump is out of recv(): the fds cannot be reused under it
            for s in (src, dst):
                s.close()

    def hang(self):
        with self.lock:
            self.gen += 1
            self.hung = True
            self.resumed.clear()

    def _drop_all(self):
        """Shut down every connection opened so far; their pumps then close them."""
        with self.lock:
            old, self.conns = self.conns, []
            self.gen += 1
            self.hung = False
        for _, socks, _ in old:
            for s in socks:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                if len(socks) == 1:
                    s.close()  # held while hung: no pump uses it
        self.resumed.set()

    def resume(self):
        self._drop_all()

    def stop(self):
        self.closed = True
        self.ls.close()
        self._drop_all()
