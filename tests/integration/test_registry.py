"""Images from a registry (doc/registry.md): a real registry
(Debian's docker-registry) on 127.0.0.1, the demo image pushed there under the test's own
repository and removed locally; the daemon pulls it, or reports why it cannot."""
import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import warnings

import pytest

import dockerapi as dk
from conftest import free_port, http, wait_for
from test_replicas import service_conf, status, wait_ready

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    try:  # glibc's bcrypt ($2b$) for the registry's htpasswd: no extra package
        import crypt
    except ImportError:  # Python 3.13 dropped it
        crypt = None

REGISTRY = "/usr/bin/docker-registry"
DEMO = "dockscale-demo:latest"
OTHER = "dockscale-demo:nohc"  # a different image ID, for "the tag moved"


def docker(*args, env=None, check=True):
    r = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=120,
                       env=env)
    if check:
        assert r.returncode == 0, f"docker {' '.join(args)}: {r.stderr}"
    return r


def local_id(ref):
    """The engine's image ID for ref, or None when it does not have it."""
    code, body = dk.call("GET", f"/images/{ref}/json")
    return body["Id"] if code == 200 else None


class Registry:
    """One docker-registry process: its own port, storage and request log."""

    def __init__(self, htpasswd=None):
        self.dir = tempfile.mkdtemp(prefix="dockscale-registry-")
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.logpath = os.path.join(self.dir, "registry.log")
        self.refs = []  # local tags this test made, removed at the end
        self.docker_config = None
        auth = ""
        if htpasswd:
            with open(os.path.join(self.dir, "htpasswd"), "w") as f:
                for user, pw in htpasswd.items():
                    # Go's bcrypt takes glibc's $2b$ hashes: no module needed.
                    f.write(f"{user}:{crypt.crypt(pw, crypt.mksalt(crypt.METHOD_BLOWFISH))}\n")
            auth = (f"auth:\n  htpasswd:\n    realm: dockscale-test\n"
                    f"    path: {self.dir}/htpasswd\n")
        cfg = os.path.join(self.dir, "config.yml")
        with open(cfg, "w") as f:
            f.write(f"version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n"
                    f"    rootdirectory: {self.dir}/data\n  delete:\n    enabled: true\n"
                    f"http:\n  addr: {self.host}\n{auth}")
        self.logf = open(self.logpath, "ab")
        self.proc = subprocess.Popen([REGISTRY, "serve", cfg], stdout=self.logf,
                                     stderr=subprocess.STDOUT)
        wait_for(lambda: self._up(), timeout=15, what=f"the registry on {self.host}")

    def _up(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"docker-registry exited:\n{self.log()}")
        return http("GET", f"http://{self.host}/v2/", timeout=1)[0] in (200, 401)

    def log(self):
        with open(self.logpath, "rb") as f:
            return f.read().decode(errors="replace")

    def login(self, user, pw):
        """docker login into a config directory of our own (never root's), whose
        config.json is then the daemon's registry_auth_file."""
        self.docker_config = os.path.join(self.dir, "docker-config")
        os.makedirs(self.docker_config, exist_ok=True)
        env = dict(os.environ, DOCKER_CONFIG=self.docker_config)
        r = subprocess.run(["docker", "login", "--password-stdin", "-u", user, self.host],
                           input=pw, capture_output=True, text=True, timeout=60, env=env)
        assert r.returncode == 0, r.stderr
        return os.path.join(self.docker_config, "config.json")

    def push(self, local, repo):
        """Push the local image as HOST/repo, then drop the local tag: only the
        registry has it."""
        ref = f"{self.host}/{repo}"
        env = dict(os.environ, DOCKER_CONFIG=self.docker_config) if self.docker_config \
            else None
        self.refs.append(ref)
        docker("tag", local, ref)
        docker("push", ref, env=env)
        docker("rmi", ref)
        assert local_id(ref) is None
        return ref

    def close(self):
        for ref in self.refs:  # our tags only, never the dockscale-demo images
            docker("rmi", ref, check=False)
        # a pull leaves HOST/repo@sha256:... on the image: ours too
        for img in dk.call("GET", "/images/json?digests=1")[1]:
            for digest in img.get("RepoDigests") or []:
                if digest.startswith(self.host + "/"):
                    docker("rmi", digest, check=False)
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.logf.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def registry():
    if not os.path.exists(REGISTRY):
        pytest.skip("docker-registry is not installed (make deps)")
    r = Registry()
    yield r
    r.close()


def metric(d, name, **labels):
    want = name + "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}"
    for line in d.get("/metrics")[1].splitlines():
        if line.startswith(want + " "):
            return float(line.split()[-1])
    return None


def no_replica_over(d, svc, seconds, passes, also=lambda: None):
    """Poll the whole window (at least `seconds` and `passes` reconcile passes): it fails
    the moment a container of svc exists."""
    def none():
        assert dk.containers(svc) == [], dk.containers(svc)
        also()
        return True
    d.wait_passes(passes, hold=none, seconds=seconds)


def test_missing_image_is_pulled_and_serves(daemon_factory, svc, registry):
    ref = registry.push(DEMO, f"{svc}/demo:1")
    d = daemon_factory(service_conf(svc, image=ref, min_replicas=2)).start()
    s = wait_ready(d, svc, 2, timeout=90)
    for r in s["replicas"]:
        code, body, _ = http("GET", f"http://{r['address']}/")
        assert code == 200 and body.strip() == r["id"][:12]
    # pulled once for both replicas, and it is the image that was pushed
    assert local_id(ref) == local_id(DEMO)
    p = s["pull"]
    assert p["policy"] == "missing" and p["state"] == "idle" and p["image"] == ref
    assert p["last_result"] == "ok" and p["pulls_ok_total"] == 1, p
    assert p["pulls_failed_total"] == 0 and s["last_start_error"] is None
    assert p["image_id"] == local_id(ref)  # what the tag resolved to, for rollouts
    assert metric(d, "dockscale_image_pulls_total", service=svc, result="ok") == 1
    assert metric(d, "dockscale_image_pulling", service=svc) == 0
    assert f"{svc}: pulling {ref} from {registry.host} (pull = missing)" in d.log()
    assert f"{svc}: pulled {ref} in " in d.log()
    # scaling up later pulls nothing more: the image is known present
    code, body, _ = d.post(f"/api/v1/services/{svc}/scale", {"replicas": 3})
    assert code == 200, body
    s = wait_ready(d, svc, 3, timeout=60)
    assert s["pull"]["pulls_ok_total"] == 1 and d.log().count(f"{svc}: pulling ") == 1
    assert d.stop() == 0


def test_unknown_tag_is_a_failed_start_backed_off(daemon_factory, svc, registry):
    registry.push(DEMO, f"{svc}/demo:1")
    ref = f"{registry.host}/{svc}/demo:nope"
    d = daemon_factory(service_conf(svc, image=ref, min_replicas=1)).start()
    s = wait_for(lambda: (lambda s: s["start_failures"] >= 2 and s)(status(d, svc)),
                 timeout=30, interval=0.1, what="two failed starts")
    # the registry's own words, in the status API and in one warning line of the log
    assert "manifest unknown" in s["last_start_error"], s
    assert s["last_start_error"].startswith(f"pull of {ref} failed: ")
    assert s["pull"]["last_result"] == "failed"
    assert "manifest unknown" in s["pull"]["last_error"]
    lines = [ln for ln in d.log().splitlines()
             if "failed to start" in ln and "manifest unknown" in ln]
    assert lines and all(ln.startswith("warning: ") for ln in lines), lines
    # backed off like any failed start: it waits, and the waits grow (1s, 2s, 4s ...)
    seen_backoff = []
    failures = [status(d, svc)["pull"]["pulls_failed_total"]]

    def watch():
        st = status(d, svc)
        if st["backoff_left_ms"] > 0:
            seen_backoff.append(st["backoff_left_ms"])
        failures.append(st["pull"]["pulls_failed_total"])
    no_replica_over(d, svc, 5, 3, also=watch)
    assert seen_backoff, "never saw a backoff"
    # after 2 failures the next waits are 2s, 4s: at most 2 more pulls in 5s, not dozens
    assert failures[-1] - failures[0] <= 2, failures
    assert metric(d, "dockscale_image_pulls_total", service=svc, result="failed") >= 2
    assert local_id(ref) is None
    assert d.stop() == 0


def test_pull_never_with_missing_image(daemon_factory, svc, registry):
    ref = registry.push(DEMO, f"{svc}/demo:1")
    # the push asked for the manifest too: no request for it may come after
    asked = registry.log().count(f"/v2/{svc}/demo/manifests/")
    d = daemon_factory(service_conf(svc, image=ref, min_replicas=1, pull="never")).start()
    s = wait_for(lambda: (lambda s: s["start_failures"] >= 1 and s)(status(d, svc)),
                 timeout=20, interval=0.1, what="a failed start")
    assert s["last_start_error"] == f"image {ref} is not on the engine and pull = never", s
    assert s["pull"]["policy"] == "never" and s["pull"]["last_result"] is None

    def nothing_pulled():
        assert local_id(ref) is None
        assert registry.log().count(f"/v2/{svc}/demo/manifests/") == asked

    no_replica_over(d, svc, 4, 3, also=nothing_pulled)
    assert status(d, svc)["pull"]["pulls_ok_total"] == 0
    assert f"{svc}: pulling" not in d.log()
    assert d.stop() == 0


def test_pull_always_pulls_on_reload(daemon_factory, svc, registry):
    ref = registry.push(DEMO, f"{svc}/demo:1")
    d = daemon_factory(service_conf(svc, image=ref, min_replicas=2, pull="always")).start()
    s = wait_ready(d, svc, 2, timeout=90)
    # once per load, not before each replica
    assert s["pull"]["pulls_ok_total"] == 1, s["pull"]
    old = local_id(ref)
    assert old == local_id(DEMO)
    # the tag moves in the registry; locally it still names the old image
    docker("tag", OTHER, ref)
    docker("push", ref)
    docker("tag", DEMO, ref)
    assert local_id(ref) == old
    d.signal(signal.SIGHUP)
    wait_for(lambda: status(d, svc)["pull"]["pulls_ok_total"] == 2, timeout=60,
             what="the pull of the reload")
    new = local_id(ref)
    assert new != old and new == local_id(OTHER)
    # the service knows its reference now names another image (a rollout's trigger)
    wait_for(lambda: status(d, svc)["pull"]["image_id"] == new, timeout=20,
             what="the new image id in the status")
    assert f"{svc}: {ref} is image {new[:19]}" in d.log()
    assert d.stop() == 0


@pytest.fixture
def hung_registry():
    """A "registry" that takes connections and never answers."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    yield f"127.0.0.1:{srv.getsockname()[1]}"
    srv.close()


def test_pull_timeout_bounds_a_hung_registry(daemon_factory, svc, hung_registry):
    ref = f"{hung_registry}/{svc}/demo:1"
    d = daemon_factory(service_conf(svc, image=ref, min_replicas=1),
                       daemon_extra="[docker]\npull_timeout = 2s\n").start()
    # pulling now, and the daemon still answers at once meanwhile
    wait_for(lambda: status(d, svc)["pull"]["state"] == "pulling", timeout=20,
             interval=0.05, what="the pull under way")
    assert metric(d, "dockscale_image_pulling", service=svc) == 1
    t0 = time.monotonic()
    assert d.get("/healthz")[0] == 200 and time.monotonic() - t0 < 1
    s = wait_for(lambda: (lambda s: s["start_failures"] >= 1 and s)(status(d, svc)),
                 timeout=20, interval=0.1, what="the pull timed out")
    assert "timed out" in s["last_start_error"].lower(), s
    assert s["pull"]["last_result"] == "failed" and s["pull"]["last_duration_ms"] < 10000
    assert dk.containers(svc) == []
    assert d.stop() == 0


@pytest.fixture
def auth_registry():
    if not os.path.exists(REGISTRY):
        pytest.skip("docker-registry is not installed (make deps)")
    if crypt is None or not crypt.crypt("x", crypt.mksalt(crypt.METHOD_BLOWFISH)):
        pytest.skip("no bcrypt in this Python to write the registry's htpasswd")
    r = Registry(htpasswd={"ann": "s3cret-pw"})
    yield r
    r.close()


def test_registry_auth_file(daemon_factory, svc, auth_registry):
    reg = auth_registry
    authfile = reg.login("ann", "s3cret-pw")
    with open(authfile) as f:  # what docker login wrote: auths -> host -> auth
        entry = json.load(f)["auths"][reg.host]
    assert base64.b64decode(entry["auth"]) == b"ann:s3cret-pw"
    ref = reg.push(DEMO, f"{svc}/demo:1")
    # without credentials: the registry refuses, and says so
    d = daemon_factory(service_conf(svc, image=ref, min_replicas=1)).start()
    s = wait_for(lambda: (lambda s: s["start_failures"] >= 1 and s)(status(d, svc)),
                 timeout=30, interval=0.1, what="a refused pull")
    assert "no basic auth credentials" in s["last_start_error"] or \
        "unauthorized" in s["last_start_error"], s
    # with them (SIGHUP reads the file): pulled and serving
    d.daemon_extra = f"[docker]\nregistry_auth_file = {authfile}\n"
    d.write_config(d.body)
    d.signal(signal.SIGHUP)
    s = wait_ready(d, svc, 1, timeout=90)
    assert s["pull"]["last_result"] == "ok"
    assert f"{svc}: pulling {ref} from {reg.host} with credentials" in d.log()
    assert "s3cret-pw" not in d.log() and entry["auth"] not in d.log()
    assert d.stop() == 0


def test_bad_registry_auth_file_is_a_config_error(tmp_path):
    from conftest import run
    auth = tmp_path / "config.json"
    auth.write_text('{"auths": {"reg:5000": {"auth": "c2VjcmV0"}}}')
    conf = tmp_path / "d.conf"
    conf.write_text(f"[docker]\nregistry_auth_file = {auth}\n")
    r = run(["-c", str(conf), "--check-config"])
    assert r.returncode == 78
    assert f'{conf}:2: registry_auth_file {auth}: auths entry reg:5000: "auth" is not ' \
        'base64 of user:password' in r.stderr + r.stdout
    assert "secret" not in r.stderr + r.stdout
