"""The daemon's container image (doc/container.md): built with no registry, run against the
host's engine as a non-root user, scaling a service 1 -> 3 -> 1 behind HAProxy (its admin
socket on a volume) and behind nginx in a container of its own, driven through the Engine
API (doc/balancers.md, "nginx in a container"), with no failed request under load."""
import os
import subprocess
import time

import pytest

import dockerapi as dk
from conftest import BINARY, free_port, http, wait_for
from peers import HAProxy
from test_haproxy import Load, enabled
from test_replicas import NOHC, service_conf, wait_ready

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
IMAGE = "dockscale:latest"
NGINX_IMAGE = "dockscale-nginx-test:latest"
UID = 10001  # the image's user (conf/image/build-image)
TEST_LABEL = "io.dockscale.test=image"
# Health by the daemon's HTTP probe: Docker's HEALTHCHECK (a process per second in each
# replica) timed out under the load on a busy 2-core machine and replaced a serving replica
NO_HC = {"image": NOHC, "health_path": "/health"}


def docker(*args, check=True, timeout=60):
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check,
                          timeout=timeout)


@pytest.fixture(scope="module")
def image():
    """`make image`'s script on the binaries under test; a cached build only tags."""
    env = dict(os.environ, BUILD=os.path.dirname(os.path.abspath(BINARY)))
    subprocess.run([os.path.join(ROOT, "conf", "image", "build-image"), IMAGE], env=env,
                   check=True, capture_output=True, timeout=300)
    return IMAGE


class ImageDaemon:
    """dockscaled in its image: --network host (the replicas' 127.0.0.1 ports, doc/container.md),
    the socket's group added, the configuration and the given paths mounted."""

    def __init__(self, svc, body, volumes=(), group=True):
        self.svc = svc
        self.name = f"dockscale-image-{svc}"
        self.port = free_port()
        self.dir = f"/tmp/dockscale-image-{svc}"
        os.makedirs(self.dir, exist_ok=True)
        self.conf = os.path.join(self.dir, "dockscale.conf")
        with open(self.conf, "w") as f:
            f.write(f"[daemon]\nlisten = 127.0.0.1:{self.port}\ninterval = 1s\n"
                    f"log_level = debug\n{body}")
        os.chmod(self.conf, 0o644)
        self.volumes = list(volumes)
        self.group = group

    def start(self, wait=True):
        args = ["run", "-d", "--name", self.name, "--label", TEST_LABEL, "--network", "host",
                "-v", "/var/run/docker.sock:/var/run/docker.sock",
                "-v", f"{self.conf}:/etc/dockscale/dockscale.conf:ro"]
        if self.group:
            args += ["--group-add", str(os.stat("/var/run/docker.sock").st_gid)]
        for v in self.volumes:
            args += ["-v", f"{v}:{v}"]
        self.t0 = time.monotonic()
        docker(*args, IMAGE)
        if wait:
            wait_for(self.healthy, timeout=20, what=f"{self.name} /healthz")
        return self

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def healthy(self):
        return http("GET", self.url + "/healthz", timeout=1)[0] == 200

    def get(self, path, **kw):
        return http("GET", self.url + path, **kw)

    def post(self, path, body=None, **kw):
        return http("POST", self.url + path, body=body, **kw)

    def log(self):
        r = docker("logs", "-t", self.name, check=False)  # with the time of each line
        return r.stdout + r.stderr

    def stop(self):
        """SIGTERM, as docker stop sends it: the daemon's exit code."""
        docker("stop", "-t", "15", self.name, check=False)
        r = docker("inspect", "-f", "{{.State.ExitCode}}", self.name, check=False)
        return int(r.stdout.strip() or -1)

    def remove(self):
        docker("rm", "-f", self.name, check=False)
        subprocess.run(["rm", "-rf", self.dir], check=False)


@pytest.fixture
def daemons(svc):
    made = []

    def make(*a, **kw):
        d = ImageDaemon(svc, *a, **kw)
        made.append(d)
        return d
    yield make
    for d in made:  # before the service's containers go (svc's cleanup), or it replaces them
        d.remove()


def scale_cycle_under_load(d, svc, url, serving, diag=None, close=False):
    """1 -> 3 -> 1 through the daemon's API with 4 clients through the balancer all along
    (keep-alive, or a connection per request); serving(want) says the balancer routes to
    exactly those replicas."""
    wait_ready(d, svc, 1)
    wait_for(lambda: serving([f"{svc}-1"]), timeout=20, what="the first replica served")
    load = Load(url, clients=4, close=close)
    load.start()
    try:
        assert d.post(f"/api/v1/services/{svc}/scale", body={"replicas": 3})[0] == 200
        s = wait_ready(d, svc, 3)
        want = sorted(r["name"] for r in s["replicas"])
        wait_for(lambda: serving(want), timeout=20, what="3 replicas served")
        assert d.post(f"/api/v1/services/{svc}/scale", body={"replicas": 1})[0] == 200
        wait_for(lambda: len(dk.containers(svc)) == 1, timeout=40, what="back to one")
        time.sleep(1)  # requests after the last removal count too
    finally:
        ok, bad, errors = load.finish()
    print(f"\n{url}: {ok} 200, {bad} non-200, {errors} errors {load.samples[:5]}")
    if bad or errors:  # what the daemon did around them, and the balancer's own view
        print("\n".join(x for x in d.log().splitlines() if svc in x and "docker event" not in x))
        print(diag() if diag else "")
    assert ok > 100
    assert (bad, errors) == (0, 0), load.samples[:10]


def test_image_runs_as_non_root_and_is_small(image):
    cfg = docker("image", "inspect", "-f",
                 "{{.Config.User}} {{.Size}} {{json .Config.Healthcheck.Test}}", image).stdout
    user, size, hc = cfg.split(" ", 2)
    assert user == f"{UID}:{UID}"
    assert int(size) < 40e6, size  # far below cAdvisor's and Traefik's tens of MB
    assert "dockscalectl" in hc and "health" in hc
    out = docker("run", "--rm", image, "--version").stdout
    assert out.startswith("dockscaled ")


def test_without_the_socket_group_the_log_says_why(image, svc, daemons):
    """No --group-add: the daemon runs, says permission denied on the socket and stays
    creates nothing; it does not crash (doc/container.md, "The socket's group")."""
    d = daemons(service_conf(svc, balancer="none"), group=False).start(wait=False)
    gid = os.stat("/var/run/docker.sock").st_gid
    wait_for(lambda: f"permission denied: uid {UID} gid {UID} may not use the socket "
             f"(group {gid}): run with that group (docker run --group-add {gid})" in d.log(),
             timeout=20, what="the socket's permission error in the log")
    time.sleep(2)  # still up a few passes later
    assert docker("inspect", "-f", "{{.State.Running}}", d.name).stdout.strip() == "true"
    assert dk.containers(svc) == []
    assert d.stop() == 0


def test_scale_cycle_behind_haproxy_socket_on_a_volume(image, svc, daemons, tmp_path):
    # the admin socket belongs to the daemon's user; its directory is mounted at the same
    # path and must be searchable by that user (doc/container.md, "Balancers from a
    # container")
    hap = HAProxy(str(tmp_path), f"be_{svc}", socket_opts=f"uid {UID} mode 600")
    try:
        os.chmod(hap.sockdir, 0o755)
        body = service_conf(svc, min_replicas=1, max_replicas=3, drain="3s",
                            stop_timeout="5s", balancer="haproxy", **NO_HC,
                            haproxy_backend=hap.backend) + hap.section()
        d = daemons(body, volumes=[hap.sockdir]).start()
        t_ready = time.monotonic() - d.t0
        print(f"\ndocker run -> /healthz 200: {t_ready:.2f}s")
        pid = hap.proc.pid
        scale_cycle_under_load(d, svc, hap.url + "/",
                               lambda want: enabled(hap, svc) == want,
                               diag=lambda: "".join(hap.failed_requests()))
        assert hap.proc.pid == pid and hap.proc.poll() is None
        assert f"haproxy backend {hap.backend}: added {svc}-2" in d.log()
        assert d.stop() == 0
    finally:
        hap.stop()
        hap.cleanup()


class NginxContainer:
    """nginx in its own container (an image built from this host's nginx): its
    configuration and the upstream file's directory from the host, shared with the
    daemon's container at the same path."""

    def __init__(self, svc, upstream):
        self.name = f"dockscale-nginx-{svc}"
        self.port = free_port()
        self.dir = f"/tmp/dockscale-nginx-{svc}"
        self.confd = os.path.join(self.dir, "conf.d")
        os.makedirs(self.confd, exist_ok=True)
        os.chown(self.confd, UID, UID)  # the daemon's user writes the upstream file there
        self.upstream_file = os.path.join(self.confd, f"{upstream}.conf")
        with open(self.upstream_file, "w") as f:
            f.write(f"upstream {upstream} {{\n    server 127.0.0.1:1 down;\n}}\n")
        with open(os.path.join(self.dir, "nginx.conf"), "w") as f:
            f.write(f"""user root;
worker_processes 2;
pid /tmp/nginx.pid;
error_log stderr notice;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path /tmp/body;
    proxy_temp_path /tmp/proxy;
    include {self.confd}/*.conf;
    server {{
        listen 127.0.0.1:{self.port};
        location / {{
            proxy_pass http://{upstream};
            proxy_connect_timeout 2s;
            proxy_next_upstream error timeout;
        }}
    }}
}}
""")
        subprocess.run([os.path.join(ROOT, "tests", "app", "build-nginx-image"), NGINX_IMAGE],
                       check=True, capture_output=True, timeout=120)
        docker("run", "-d", "--name", self.name, "--label", TEST_LABEL, "--network", "host",
               "-v", f"{self.dir}/nginx.conf:/etc/nginx/nginx.conf:ro",
               "-v", f"{self.confd}:{self.confd}", NGINX_IMAGE)
        wait_for(self.listening, timeout=10, what="nginx in its container listening")

    def listening(self):
        import socket
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/"

    def upstream(self):
        with open(self.upstream_file) as f:
            return f.read()

    def errors(self):
        """nginx's error log (stderr): its first and last errors, its reloads."""
        r = docker("logs", self.name, check=False)
        lines = (r.stdout + r.stderr).splitlines()
        errs = [x for x in lines if "[error]" in x]
        return "\n".join(errs[:5] + errs[-3:] + [x for x in lines if "reconfiguring" in x])

    def remove(self):
        docker("rm", "-f", self.name, check=False)
        subprocess.run(["rm", "-rf", self.dir], check=False)


@pytest.fixture
def nginx_ctr(svc):
    n = NginxContainer(svc, f"up_{svc}")
    yield n
    n.remove()


def test_scale_cycle_behind_nginx_in_a_container(image, svc, daemons, nginx_ctr):
    n = nginx_ctr
    body = (f"[nginx]\ncontainer = {n.name}\n" +
            service_conf(svc, min_replicas=1, max_replicas=3, drain="3s", stop_timeout="5s",
                         upstream_file=n.upstream_file, upstream_name=f"up_{svc}", **NO_HC))
    d = daemons(body, volumes=[n.confd]).start()

    def serving(want):
        s = d.get(f"/api/v1/services/{svc}")[1]
        addrs = sorted(r["address"] for r in s["replicas"] if r["name"] in want)
        text = n.upstream()
        # serving: the servers of the last sync nginx took (reloaded and seen running);
        # the file alone may be ahead of it while `nginx -t` runs
        return (len(addrs) == len(want) and all(f"server {a};" in text for a in addrs) and
                text.count("server ") == len(want) and s["balancer"]["in_sync"] and
                s["balancer"]["serving"] == len(want))
    # A connection per request: an nginx reload closes idle keep-alive connections, which
    # a client sees as a reset whatever drives the reload (doc/balancers.md, "Scale-down
    # order"); HAProxy's test above is the keep-alive one
    scale_cycle_under_load(d, svc, n.url, serving, diag=n.errors, close=True)
    log = d.log()
    # no nginx on the daemon's side: tested, signalled and watched through the Engine API
    assert "nginx reloaded" in log and "nginx config test" not in log
    assert "nginx runs the new upstream" in log
    st = d.get(f"/api/v1/services/{svc}")[1]["balancer"]
    assert st["kind"] == "nginx" and st["in_sync"]
    assert d.stop() == 0


def test_nginx_in_a_container_refuses_a_bad_file(image, svc, daemons, nginx_ctr):
    """`nginx -t` run in the container rejects the change: logged, the previous file back,
    nothing reloaded (doc/balancers.md, "nginx faults")."""
    n = nginx_ctr
    # an upstream of the same name in a second file: nginx -t says "duplicate upstream"
    dup = os.path.join(n.confd, "dup.conf")
    with open(dup, "w") as f:
        f.write(f"upstream up_{svc} {{\n    server 127.0.0.1:1 down;\n}}\n")
    before = n.upstream()
    body = (f"[nginx]\ncontainer = {n.name}\n" +
            service_conf(svc, min_replicas=1, max_replicas=3, upstream_file=n.upstream_file,
                         upstream_name=f"up_{svc}"))
    d = daemons(body, volumes=[n.confd]).start()
    wait_for(lambda: "nginx config test (in container" in d.log(), timeout=40,
             what="the refused test in the log")
    assert "duplicate upstream" in d.log()
    assert n.upstream() == before
    m = d.get("/metrics")[1]
    assert f'dockscale_balancer_in_sync{{service="{svc}"}} 0' in m
    # fixed: the retry takes it
    os.unlink(dup)
    wait_for(lambda: "server 127.0.0.1:1 down" not in n.upstream(), timeout=60,
             what="the file written once the test passes")
    assert d.stop() == 0
