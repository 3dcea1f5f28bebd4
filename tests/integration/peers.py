"""Real peers for the integration suite: Prometheus and Alertmanager as the test's own
processes, on their own 127.0.0.1 ports, with data under the test's temp dir."""
import os
import subprocess

from conftest import free_port, http, wait_for


class Peer:
    def __init__(self, argv, logpath, ready_url):
        self.logf = open(logpath, "wb")
        self.logpath = logpath
        self.proc = subprocess.Popen(argv, stdout=self.logf, stderr=subprocess.STDOUT)
        self.ready_url = ready_url
        wait_for(self.ready, timeout=20, what=f"{argv[0]} ready")

    def ready(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"exited {self.proc.returncode}: {self.log()}")
        return http("GET", self.ready_url, timeout=1)[0] == 200

    def log(self):
        with open(self.logpath, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
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
    p = Peer(["prometheus", f"--config.file={path}", f"--storage.tsdb.path={d}/data",
              f"--web.listen-address=127.0.0.1:{port}", "--web.enable-lifecycle"],
             os.path.join(d, "log"), f"http://127.0.0.1:{port}/-/ready")
    p.port = port
    p.url = f"http://127.0.0.1:{port}"
    return p


def start_alertmanager(tmp, config_text):
    port = free_port()
    d = os.path.join(tmp, f"am-{port}")
    os.makedirs(d)
    path = os.path.join(d, "alertmanager.yml")
    with open(path, "w") as f:
        f.write(config_text)
    p = Peer(["prometheus-alertmanager", f"--config.file={path}", f"--storage.path={d}/data",
              f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
             os.path.join(d, "log"), f"http://127.0.0.1:{port}/-/ready")
    p.port = port
    p.url = f"http://127.0.0.1:{port}"
    return p
