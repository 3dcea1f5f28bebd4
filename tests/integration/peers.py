"""Real peers for the integration suite: Prometheus and Alertmanager as the test's own
processes, on their own 127.0.0.1 ports, with data under the test's temp dir."""
import os
import subprocess

from conftest import free_port, http, wait_for


def stop_process(proc, timeout=10):
    """SIGTERM, then SIGKILL if it does not exit in time; reaped either way."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Peer:
    """A Prometheus-family server on 127.0.0.1:port, logging to d/log, ready at /-/ready."""

    def __init__(self, argv, d, port):
        self.port = port
        self.argv = argv
        self.url = f"http://127.0.0.1:{port}"
        self.ready_url = f"{self.url}/-/ready"
        self.logpath = os.path.join(d, "log")
        self.start()

    def start(self):
        """Start (or, after stop(), start again on the same port and data)."""
        self.logf = open(self.logpath, "ab")
        self.proc = subprocess.Popen(self.argv + [f"--web.listen-address=127.0.0.1:{self.port}"],
                                     stdout=self.logf, stderr=subprocess.STDOUT)
        wait_for(self.ready, timeout=20, what=f"{self.argv[0]} ready")

    def ready(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"exited {self.proc.returncode}: {self.log()}")
        return http("GET", self.ready_url, timeout=1)[0] == 200

    def log(self):
        with open(self.logpath, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self):
        stop_process(self.proc)
        self.logf.close()


def start_prometheus(tmp, scrape_port, rule_files=(), alertmanager_port=None):
    port = free_port()
    d = os.path.join(tmp, f"prom-{port}")
    os.makedirs(d)
    cfg = ["global:", "  scrape_interval: 1s", "  evaluation_interval: 1s",
           "scrape_configs:", "  - job_name: dockscaled",
           f"    static_configs: [{{targets: ['127.0.0.1:{scrape_port}']}}]"]
    if rule_files:
        cfg.append("rule_files:")
        cfg += [f"  - {r}" for r in rule_files]
    if alertmanager_port:
        cfg += ["alerting:", "  alertmanagers:",
                f"    - static_configs: [{{targets: ['127.0.0.1:{alertmanager_port}']}}]"]
    path = os.path.join(d, "prometheus.yml")
    with open(path, "w") as f:
        f.write("\n".join(cfg) + "\n")
    return Peer(["prometheus", f"--config.file={path}", f"--storage.tsdb.path={d}/data",
                 "--web.enable-lifecycle"], d, port)


def start_alertmanager(tmp, config_text):
    port = free_port()
    d = os.path.join(tmp, f"am-{port}")
    os.makedirs(d)
    path = os.path.join(d, "alertmanager.yml")
    with open(path, "w") as f:
        f.write(config_text)
    return Peer(["prometheus-alertmanager", f"--config.file={path}", f"--storage.path={d}/data",
                 "--cluster.listen-address="], d, port)


class Nginx:
    """An nginx master of the test's own, proxying to one upstream file."""

    def __init__(self, tmp, upstream_name, keepalive_upstream=False, user="root",
                 access_log=None):
        """access_log: the path of the daemon's [nginx] access_log_socket: nginx sends
        each request's line there in conf/nginx-dockscale-log.conf's format."""
        self.port = free_port()
        self.access_log = access_log
        self.dir = os.path.join(tmp, f"nginx-{self.port}")
        os.makedirs(os.path.join(self.dir, "conf.d"))
        os.makedirs(os.path.join(self.dir, "tmp"))
        self.upstream_file = os.path.join(self.dir, "conf.d", f"{upstream_name}.conf")
        with open(self.upstream_file, "w") as f:
            f.write(f"upstream {upstream_name} {{\n    server 127.0.0.1:1 down;\n}}\n")
        self.conf = os.path.join(self.dir, "nginx.conf")
        self.err = os.path.join(self.dir, "error.log")
        t = os.path.join(self.dir, "tmp")
        logs = "    access_log off;\n"
        if access_log:
            snippet = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                   "conf", "nginx-dockscale-log.conf")
            logs = (f"    include {os.path.abspath(snippet)};\n"
                    f"    access_log syslog:server=unix:{access_log},nohostname,tag=dockscale "
                    "dockscale;\n")
        with open(self.conf, "w") as f:
            f.write(f"""user {user};
worker_processes 2;
daemon off;
pid {self.dir}/nginx.pid;
error_log {self.err} notice;
events {{ worker_connections 4096; }}
http {{
{logs}    client_body_temp_path {t}/body;
    proxy_temp_path {t}/proxy;
    fastcgi_temp_path {t}/fastcgi;
    uwsgi_temp_path {t}/uwsgi;
    scgi_temp_path {t}/scgi;
    include {self.dir}/conf.d/*.conf;
    server {{
        listen 127.0.0.1:{self.port};
        location / {{
            proxy_pass http://{upstream_name};
            proxy_connect_timeout 2s;
            proxy_next_upstream error timeout;
        }}
    }}
}}
""")
        self.start()

    def start(self):
        """Start the master (or, after it died or stop(), start it again)."""
        self.logf = open(os.path.join(self.dir, "stdout.log"), "ab")
        self.proc = subprocess.Popen(self.argv(), stdout=self.logf, stderr=subprocess.STDOUT)
        wait_for(self.listening, timeout=10, what="nginx listening")

    def argv(self, *extra):
        # Paths relative to the prefix keep the command inside inih's 200-byte lines.
        return ["nginx", "-e", "error.log", "-p", self.dir + "/", "-c", "nginx.conf", *extra]

    def command(self, *extra):
        return " ".join(self.argv(*extra))

    def nginx_section(self, test=None, reload=None, timeout="10s"):
        return (f"[nginx]\ntest_command = {test or self.command('-t')}\n"
                f"reload_command = {reload or self.command('-s', 'reload')}\n"
                f"timeout = {timeout}\npid_file = {self.dir}/nginx.pid\n"
                + (f"access_log_socket = {self.access_log}\n" if self.access_log else ""))

    def listening(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"nginx exited {self.proc.returncode}")
        import socket
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def upstream(self):
        with open(self.upstream_file) as f:
            return f.read()

    def stop(self):
        stop_process(self.proc)
        self.logf.close()


class HAProxy:
    """An HAProxy of the test's own in the foreground (-db): a frontend on its own port, one
    empty backend with a dynamic algorithm, and an admin socket (doc/balancers.md, "Choosing a
    balancer"). stop() + start() is a restart with the same configuration; `defaults`
    adds lines to its defaults section; `socket_opts` are the admin socket's (who may use
    it: a daemon in a container runs as its image's user, doc/container.md)."""

    def __init__(self, tmp, backend, defaults=(), socket_opts="mode 600"):
        import tempfile
        self.port = free_port()
        self.backend = backend
        self.dir = os.path.join(tmp, f"haproxy-{self.port}")
        os.makedirs(self.dir)
        # sun_path holds 107 bytes: pytest's tmp paths can be longer
        self.sockdir = tempfile.mkdtemp(prefix="hap-")
        self.socket = os.path.join(self.sockdir, "admin.sock")
        self.conf = os.path.join(self.dir, "haproxy.cfg")
        extra = "".join(f"    {x}\n" for x in defaults)
        with open(self.conf, "w") as f:
            f.write(f"""global
    stats socket {self.socket} {socket_opts} level admin
    log stdout format raw local0
defaults
    mode http
    # only failed requests are logged (stdout.log): what a test or benchmark reports
    log global
    option httplog
    option dontlog-normal
    timeout connect 2s
    timeout client 30s
    timeout server 30s
{extra}frontend fe
    bind 127.0.0.1:{self.port}
    default_backend {backend}
backend {backend}
    balance roundrobin
""")
        self.start()

    def start(self):
        self.logf = open(os.path.join(self.dir, "stdout.log"), "ab")
        self.proc = subprocess.Popen(["haproxy", "-db", "-f", self.conf], stdout=self.logf,
                                     stderr=subprocess.STDOUT)
        wait_for(lambda: self.cmd("show info").startswith("Name: HAProxy"), timeout=10,
                 what="haproxy admin socket")

    def cmd(self, line):
        """One runtime API command; its whole answer."""
        import socket
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(5)
            s.connect(self.socket)
            s.sendall(line.encode() + b"\n")
            out = b""
            while chunk := s.recv(65536):
                out += chunk
        return out.decode()

    def servers(self):
        """{name: (addr, admin_state)} of the backend."""
        out = {}
        for line in self.cmd(f"show servers state {self.backend}").splitlines()[1:]:
            f = line.split()
            if len(f) > 18 and not line.startswith("#"):
                out[f[3]] = (f"{f[4]}:{f[18]}", int(f[6]))
        return out

    def section(self, timeout="2s"):
        return f"[haproxy]\nsocket = {self.socket}\ntimeout = {timeout}\n"

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def stop(self):
        stop_process(self.proc)
        self.logf.close()

    def failed_requests(self):
        """HAProxy's log lines of requests that failed (option dontlog-normal)."""
        with open(os.path.join(self.dir, "stdout.log"), errors="replace") as f:
            return [line for line in f if '"' in line and " fe " in line]

    def cleanup(self):
        import shutil
        shutil.rmtree(self.sockdir, ignore_errors=True)
