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

    def __init__(self, tmp, upstream_name, keepalive_upstream=False, user="root"):
        self.port = free_port()
        self.dir = os.path.join(tmp, f"nginx-{self.port}")
        os.makedirs(os.path.join(self.dir, "conf.d"))
        os.makedirs(os.path.join(self.dir, "tmp"))
        self.upstream_file = os.path.join(self.dir, "conf.d", f"{upstream_name}.conf")
        with open(self.upstream_file, "w") as f:
            f.write(f"upstream {upstream_name} {{\n    server 127.0.0.1:1 down;\n}}\n")
        self.conf = os.path.join(self.dir, "nginx.conf")
        self.err = os.path.join(self.dir, "error.log")
        t = os.path.join(self.dir, "tmp")
        with open(self.conf, "w") as f:
            f.write(f"""user {user};
worker_processes 2;
daemon off;
pid {self.dir}/nginx.pid;
error_log {self.err} notice;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {t}/body;
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
                f"timeout = {timeout}\npid_file = {self.dir}/nginx.pid\n")

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
