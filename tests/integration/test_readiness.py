"""Readiness (doc/readiness.md): a replica joins as soon as the application answers
its HTTP probe (readiness auto or probe) instead of when Docker's HEALTHCHECK interval
comes round; under `health` only Docker's status counts; a replica Docker later reports
unhealthy is replaced in every mode; bad values are refused."""
import hashlib
import os
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest

import dockerapi as dk
from conftest import http, run, wait_for
from peers import Nginx
from test_replicas import IMAGE, service_conf, status

# Variants of the demo image (Makefile test-image), built here once and reused: the same
# app with Docker's default-like 30 s interval, with 1 s, and with a 1 s check that fails
# once the file /sick exists in the container (the demo app has no way to fail its own
# /health, and the image has no shell: /sickcheck is a static binary of its own). A
# HEALTHCHECK inherits the demo image's 10 s start period unless it sets its own (0 is
# refused): 1 ms is as good as none, like most images'.
PREFIX = "dockscale-ready-test"
HC30 = f"{PREFIX}:hc30"
HC1 = f"{PREFIX}:hc1"
SICK = f"{PREFIX}:sick"
SICK_FILE = "/sick"
SICKCHECK_C = ('#include <unistd.h>\n'
               f'int main(void) {{ return access("{SICK_FILE}", F_OK) == 0; }}\n')
DOCKERFILES = {
    HC30: f"FROM {IMAGE}\nHEALTHCHECK --interval=30s --timeout=2s --retries=3 "
          "--start-period=1ms "
          'CMD ["/app","--health"]\n',
    HC1: f"FROM {IMAGE}\nHEALTHCHECK --interval=1s --timeout=2s --retries=3 "
         "--start-period=1ms "
         'CMD ["/app","--health"]\n',
    SICK: f"FROM {IMAGE}\nCOPY sickcheck /sickcheck\nHEALTHCHECK --interval=1s --timeout=1s "
          "--start-period=1ms "
          '--retries=1 CMD ["/sickcheck"]\n',
}
SHA_LABEL = "io.dockscale.ready-test.sha"


def _image_sha(tag):
    base = dk.call("GET", f"/images/{IMAGE}/json")[1]["Id"]
    text = DOCKERFILES[tag] + base + (SICKCHECK_C if tag == SICK else "")
    return hashlib.sha256(text.encode()).hexdigest()


def ensure_images():
    """Build the variants unless an image with the same content label exists (idempotent;
    a rebuilt demo image makes new ones)."""
    for tag, dockerfile in DOCKERFILES.items():
        sha = _image_sha(tag)
        code, info = dk.call("GET", f"/images/{tag}/json")
        if code == 200 and (info["Config"].get("Labels") or {}).get(SHA_LABEL) == sha:
            continue
        with tempfile.TemporaryDirectory(prefix="dockscale-ready-img.") as ctx:
            if tag == SICK:
                with open(os.path.join(ctx, "sickcheck.c"), "w") as f:
                    f.write(SICKCHECK_C)
                subprocess.run(["gcc", "-static", "-s", "-O2", "-o",
                                os.path.join(ctx, "sickcheck"),
                                os.path.join(ctx, "sickcheck.c")], check=True)
            with open(os.path.join(ctx, "Dockerfile"), "w") as f:
                f.write(dockerfile + f"LABEL {SHA_LABEL}={sha}\n")
            r = subprocess.run(["docker", "build", "-q", "-t", tag, ctx], capture_output=True,
                               text=True, timeout=120,
                               env=dict(os.environ, DOCKER_BUILDKIT="0"))
            assert r.returncode == 0, r.stderr
        if code == 200:
            dk.call("DELETE", f"/images/{info['Id']}")  # the stale one (kept while in use)


@pytest.fixture(scope="module")
def images():
    ensure_images()


@pytest.fixture
def nginx(tmp_path, svc):
    n = Nginx(str(tmp_path), f"up_{svc}")
    yield n
    n.stop()


def conf(svc, nginx, image, readiness, **kw):
    opts = dict(image=image, readiness=readiness, min_replicas=1, max_replicas=2,
                start_timeout="60s", upstream_file=nginx.upstream_file,
                upstream_name=f"up_{svc}")
    opts.update(kw)
    return service_conf(svc, **opts) + nginx.nginx_section()


def served_by(nginx):
    """The container id prefix that answered through nginx, or None (read as text:
    conftest.http would parse an all-digit id as JSON)."""
    try:
        with urllib.request.urlopen(nginx.url + "/", timeout=2) as r:
            return r.read().decode().strip() if r.status == 200 else None
    except (urllib.error.URLError, OSError):
        return None


@pytest.mark.parametrize("mode", ["auto", "probe"])
def test_30s_healthcheck_image_joins_within_seconds(daemon_factory, svc, nginx, images,
                                                    mode):
    t0 = time.monotonic()
    d = daemon_factory(conf(svc, nginx, HC30, mode)).start()
    r = wait_for(lambda: (s := status(d, svc))["ready"] == 1 and s["replicas"][0],
                 timeout=10, interval=0.05, what="the replica ready")
    cid = wait_for(lambda: served_by(nginx), timeout=10, interval=0.05,
                   what="the replica serving through nginx")
    took = time.monotonic() - t0
    assert cid == r["id"][:12]
    assert r["ready_by"] == "probe", r
    # Docker has not run its first check yet (30 s): the probe alone let it in.
    assert r["health"] == "starting", r
    assert 0 <= r["ready_after_ms"] < 5000 and r["ready_at"].endswith("Z"), r
    assert took < 10, f"{took:.1f}s from daemon start to serving through nginx"
    assert status(d, svc)["readiness"] == mode


def test_30s_healthcheck_image_under_health_waits_for_docker(daemon_factory, svc, nginx,
                                                             images):
    d = daemon_factory(conf(svc, nginx, HC30, "health")).start()
    st = wait_for(lambda: (s := status(d, svc))["replicas"] and
                  s["replicas"][0]["state"] == "starting" and s["replicas"][0]["address"]
                  and s, timeout=10, what="the replica starting")
    started = time.monotonic()
    addr = st["replicas"][0]["address"]
    # The app answers at once, but Docker's first check comes 30 s after the start: it
    # must not join before. Watched over the whole window, not looked at once.
    wait_for(lambda: http("GET", f"http://{addr}/health", timeout=1)[0] == 200, timeout=5,
             what="the app answering directly")
    while time.monotonic() - started < 25:
        s = status(d, svc)
        assert s["ready"] == 0 and s["replicas"][0]["state"] == "starting", s
        assert "server 127.0.0.1:1 down" in nginx.upstream() or addr not in nginx.upstream()
        assert served_by(nginx) is None
        time.sleep(0.25)
    r = wait_for(lambda: (s := status(d, svc))["ready"] == 1 and s["replicas"][0],
                 timeout=20, interval=0.1, what="ready after Docker's first check")
    assert r["ready_by"] == "health" and r["health"] == "healthy", r
    assert r["ready_after_ms"] >= 25000, r
    wait_for(lambda: served_by(nginx) == r["id"][:12], timeout=10,
             what="serving through nginx")


@pytest.mark.parametrize("mode", ["auto", "probe", "health", "both"])
def test_replica_docker_reports_unhealthy_is_replaced(daemon_factory, svc, nginx, images,
                                                      mode):
    d = daemon_factory(conf(svc, nginx, SICK, mode)).start()
    r = wait_for(lambda: (s := status(d, svc))["ready"] == 1 and s["replicas"][0],
                 timeout=20, interval=0.1, what="the replica ready")
    want_by = {"auto": ("probe", "health"), "probe": ("probe",), "health": ("health",),
               "both": ("both",)}[mode]
    assert r["ready_by"] in want_by, r
    wait_for(lambda: served_by(nginx) == r["id"][:12], timeout=10, what="serving")
    # Make Docker's check fail: the file its command looks for appears.
    with tempfile.NamedTemporaryFile() as f:
        cp = subprocess.run(["docker", "cp", f.name, f"{r['id']}:{SICK_FILE}"],
                            capture_output=True, text=True, timeout=30)
    assert cp.returncode == 0, cp.stderr

    def replaced():
        s = status(d, svc)
        ready = [x for x in s["replicas"] if x["state"] == "ready"]
        return (len(ready) == 1 and ready[0]["id"] != r["id"] and
                r["id"] not in [c["Id"] for c in dk.running(svc)] and ready[0])
    new = wait_for(replaced, timeout=30, interval=0.2, what="the unhealthy one replaced")
    assert "reports unhealthy; replacing it" in d.log()
    wait_for(lambda: served_by(nginx) == new["id"][:12], timeout=10,
             what="the replacement serving")


def test_check_config_rejects_bad_readiness(tmp_path):
    good = tmp_path / "good.conf"
    good.write_text("[service web]\nimage = a\nreadiness = both\n")
    assert run(["--check-config", "-c", str(good)]).returncode == 0
    for bad in ("Probe", "healthy", "probe health", ""):
        p = tmp_path / "bad.conf"
        p.write_text(f"[service web]\nimage = a\n\nreadiness = {bad}\n")
        r = run(["--check-config", "-c", str(p)])
        assert r.returncode != 0
        assert (f"{p}:4: readiness: '{bad}' is not one of auto, probe, health, both"
                in r.stderr + r.stdout), r.stderr


def test_1s_healthcheck_and_no_healthcheck_ready_by_probe(daemon_factory, svc, nginx,
                                                          images):
    """The 1 s variant and the image without one: the probe wins the race (auto)."""
    d = daemon_factory(conf(svc, nginx, HC1, "auto")).start()
    r = wait_for(lambda: (s := status(d, svc))["ready"] == 1 and s["replicas"][0],
                 timeout=10, interval=0.05, what="the replica ready")
    assert r["ready_by"] == "probe", r
    d.stop()
    dk.cleanup(svc)
    d = daemon_factory(conf(svc, nginx, "dockscale-demo:nohc", "health")).start()
    r = wait_for(lambda: (s := status(d, svc))["ready"] == 1 and s["replicas"][0],
                 timeout=10, interval=0.05, what="the replica ready")
    # No HEALTHCHECK: the probe is all there is, even under `health`.
    assert r["ready_by"] == "probe" and r["health"] == "healthy (probe)", r
