"""Private Docker engines for the Swarm tests (doc/swarm.md).

Each engine is a dockerd of its own: its own network namespace (dss-N, a veth pair to the
bridge dss-br0 in the root namespace, address 10.199.15.1N/24 on a /24 no other interface
uses), UTS namespace (hostname dss-N), --data-root, --exec-root (its own managed
containerd), --pidfile and socket /run/dockscale-swarm-N/docker.sock, no bridge network,
no iptables. The host's own dockerd is never touched: it only `docker save`s the demo image.
Everything is removed again (engines, their containers' shims, mounts, namespaces, veths,
the bridge, the directories) on close(), at exit, and, for a crashed earlier run, on start.
"""
import atexit
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time

PREFIX = "dss"
BRIDGE = "dss-br0"
NET = "10.199.15"          # the lab's /24: checked unused before the bridge takes it
RUN = "/run/dockscale-swarm-"
LIB = "/var/lib/dockscale-swarm-"
IMAGE = os.environ.get("DOCKSCALE_TEST_IMAGE", "dockscale-demo:latest")
NODES_MAX = 3


def sh(*args, check=True, timeout=60, **kw):
    return subprocess.run(list(args), capture_output=True, text=True, check=check,
                          timeout=timeout, **kw)


def _pids_of_lab():
    """Processes started for the lab: dockerd, its containerd and the shims name our
    private paths on their command line."""
    out, mine = [], _ancestors()
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) in mine:
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if RUN in cmd or LIB in cmd:
            out.append(int(pid))
    return out


def _ancestors():
    """This process and its parents: never ours to kill, whatever their command line."""
    out, pid = set(), os.getpid()
    while pid > 1:
        out.add(pid)
        try:
            with open(f"/proc/{pid}/stat") as f:
                pid = int(f.read().split(")")[-1].split()[1])
        except (OSError, ValueError):
            break
    return out


def _mounts_of_lab():
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            mp = line.split()[4]
            if mp.startswith(RUN) or mp.startswith(LIB) or mp.startswith(f"/run/netns/{PREFIX}-"):
                out.append(mp)
    return sorted(out, key=len, reverse=True)


def cleanup():
    """Remove everything a lab (this one or a crashed one) made. Idempotent."""
    pids = _pids_of_lab()
    for p in pids:
        try:
            os.kill(p, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(os.path.exists(f"/proc/{p}") and
                                              not _zombie(p) for p in pids):
        time.sleep(0.1)
    for p in _pids_of_lab():
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for mp in _mounts_of_lab():
        sh("umount", "-l", mp, check=False)
    for i in range(1, NODES_MAX + 1):
        sh("ip", "netns", "del", f"{PREFIX}-{i}", check=False)
        sh("ip", "link", "del", f"{PREFIX}-v{i}", check=False)
        for d in (RUN + str(i), LIB + str(i)):
            shutil.rmtree(d, ignore_errors=True)
    sh("ip", "link", "del", BRIDGE, check=False)


def _zombie(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] == "Z"
    except OSError:
        return True


class _UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


class Node:
    def __init__(self, i):
        self.i = i
        self.name = f"{PREFIX}-{i}"
        self.addr = f"{NET}.1{i}"
        self.run = RUN + str(i)
        self.sock = f"{self.run}/docker.sock"
        self.host = f"unix://{self.sock}"
        self.proc = None
        self.logf = None

    def docker(self, *args, check=True, timeout=60):
        return sh("docker", "-H", self.host, *args, check=check, timeout=timeout)

    def api(self, method, path, body=None, timeout=10):
        """(status, parsed body) of the Engine API over its socket."""
        c = _UnixHTTP(self.sock, timeout)
        try:
            data = None if body is None else json.dumps(body)
            c.request(method, f"/v1.41{path}", body=data,
                      headers={"Content-Type": "application/json"} if data else {})
            r = c.getresponse()
            text = r.read().decode(errors="replace")
            try:
                return r.status, json.loads(text) if text else None
            except ValueError:
                return r.status, text
        finally:
            c.close()

    def up(self):
        return self.proc is not None and self.proc.poll() is None and \
            self.docker("version", "--format", "{{.Server.Version}}", check=False,
                        timeout=5).returncode == 0

    def start(self, logdir):
        os.makedirs(self.run, exist_ok=True)
        os.makedirs(LIB + str(self.i), exist_ok=True)
        self.logf = open(os.path.join(logdir, f"dockerd-{self.i}.log"), "ab")
        # ip netns exec would remount /sys (no cgroup mounts there: dockerd refuses to
        # start); nsenter enters the network namespace only.
        inner = (f"hostname {self.name} && exec nsenter --net=/run/netns/{self.name} "
                 f"dockerd --data-root {LIB}{self.i} --exec-root {self.run}/exec "
                 f"--pidfile {self.run}/docker.pid -H {self.host} --bridge=none "
                 f"--iptables=false --ip-masq=false --log-level=warn")
        self.proc = subprocess.Popen(["unshare", "--uts", "sh", "-c", inner],
                                     stdout=self.logf, stderr=subprocess.STDOUT)

    def stop(self, timeout=20):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def info(self):
        return json.loads(self.docker("info", "--format", "{{json .Swarm}}").stdout)


class Lab:
    """n private engines; swarm(managers) makes a cluster of them."""

    def __init__(self, n, logdir):
        assert 1 <= n <= NODES_MAX
        self.logdir = logdir
        self.nodes = [Node(i) for i in range(1, n + 1)]
        self.closed = False
        atexit.register(self.close)

    def start(self, timeout=60):
        cleanup()  # a crashed earlier run's leftovers
        used = sh("ip", "-br", "addr").stdout
        if f" {NET}." in used:
            raise RuntimeError(f"{NET}.0/24 is in use on this host:\n{used}")
        sh("ip", "link", "add", BRIDGE, "type", "bridge")
        sh("ip", "addr", "add", f"{NET}.1/24", "dev", BRIDGE)
        sh("ip", "link", "set", BRIDGE, "up")
        for n in self.nodes:
            v, p = f"{PREFIX}-v{n.i}", f"{PREFIX}-p{n.i}"
            sh("ip", "netns", "add", n.name)
            sh("ip", "link", "add", v, "type", "veth", "peer", "name", p)
            sh("ip", "link", "set", p, "netns", n.name)
            sh("ip", "link", "set", v, "master", BRIDGE, "up")
            sh("ip", "netns", "exec", n.name, "ip", "link", "set", "lo", "up")
            sh("ip", "netns", "exec", n.name, "ip", "addr", "add", f"{n.addr}/24", "dev", p)
            sh("ip", "netns", "exec", n.name, "ip", "link", "set", p, "up")
            n.start(self.logdir)
        deadline = time.monotonic() + timeout
        for n in self.nodes:
            while not n.up():
                if n.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"dockerd {n.name} did not come up: see "
                                       f"{self.logdir}/dockerd-{n.i}.log")
                time.sleep(0.2)
        # The demo image, from the host's engine (read only there).
        img = subprocess.run(["docker", "save", IMAGE], capture_output=True, check=True,
                             timeout=120).stdout
        for n in self.nodes:
            subprocess.run(["docker", "-H", n.host, "load"], input=img, check=True,
                           capture_output=True, timeout=120)
        return self

    def swarm(self, managers=None):
        """docker swarm init on node 1, the others join (as managers up to `managers`)."""
        managers = len(self.nodes) if managers is None else managers
        first = self.nodes[0]
        first.docker("swarm", "init", "--advertise-addr", first.addr)
        mtok = first.docker("swarm", "join-token", "-q", "manager").stdout.strip()
        wtok = first.docker("swarm", "join-token", "-q", "worker").stdout.strip()
        for k, n in enumerate(self.nodes[1:], start=2):
            n.docker("swarm", "join", "--advertise-addr", n.addr, "--token",
                     mtok if k <= managers else wtok, f"{first.addr}:2377", timeout=90)
        return self

    def leader(self):
        """The node whose engine says it leads, or None."""
        for n in self.nodes:
            if not n.up():
                continue
            st, nodes = n.api("GET", "/nodes")
            if st != 200:
                continue
            for x in nodes:
                if (x.get("ManagerStatus") or {}).get("Leader"):
                    host = x["Description"]["Hostname"]
                    return next((m for m in self.nodes if m.name == host), None)
        return None

    def close(self):
        if self.closed:
            return
        self.closed = True
        for n in self.nodes:
            try:
                n.stop()
            except Exception:
                pass
            if n.logf:
                n.logf.close()
        cleanup()


class SpecChurn(threading.Thread):
    """Someone else's updates: add one service label per update (GET the spec, POST it
    with the label at its Version.Index, again on "update out of sequence"), until
    stopped. Labels do not restart tasks. `done` lists the labels the Engine accepted."""

    def __init__(self, node, service, pause=0.0):
        super().__init__(daemon=True)
        self.node, self.service, self.pause = node, service, pause
        self.done, self.conflicts, self.errors = [], 0, []
        self.stopping = threading.Event()

    def run(self):
        k = 0
        while not self.stopping.is_set():
            st, sv = self.node.api("GET", f"/services/{self.service}")
            if st != 200:
                self.errors.append((st, sv))
                time.sleep(0.1)
                continue
            spec = sv["Spec"]
            label = f"churn.{k}"
            spec.setdefault("Labels", {})[label] = str(k)
            st, body = self.node.api("POST", f"/services/{sv['ID']}/update?version="
                                     f"{sv['Version']['Index']}", spec)
            if st == 200:
                self.done.append(label)
                k += 1
            elif "out of sequence" in json.dumps(body):
                self.conflicts += 1
            else:
                self.errors.append((st, body))
            if self.pause:
                time.sleep(self.pause)

    def stop(self):
        self.stopping.set()
        self.join(timeout=30)
