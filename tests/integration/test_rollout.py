"""Rolling updates (doc/rollouts.md): a changed definition replaces every
replica start-first with no dropped request; a new version that never turns healthy is
rolled back with the old replicas untouched; POST .../rollout; kill -9 mid-rollout."""
import signal
import threading
import time

import pytest

import dockerapi as dk
from conftest import http, wait_for
from peers import Nginx
from test_nginx import servers
from test_replicas import IMAGE, NOHC, service_conf, status, wait_ready

GEN = "io.dockscale.generation"


def conf(svc, **kw):
    opts = dict(min_replicas=2, max_replicas=3, rollout_min_healthy="1s",
                start_timeout="20s")
    opts.update(kw)
    return service_conf(svc, **opts)


def ids(svc):
    return sorted(c["Id"] for c in dk.containers(svc))


class Watch:
    """Polls the Engine for the whole of a rollout: the most containers of the service
    seen at once (running or not), so a moment above max + surge is caught."""

    def __init__(self, svc):
        self.svc, self.most, self.stop_flag = svc, 0, threading.Event()
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        while not self.stop_flag.is_set():
            try:
                self.most = max(self.most, len(dk.containers(self.svc)))
            except Exception:  # a list that races a removal: the next one counts
                pass
            time.sleep(0.05)

    def stop(self):
        self.stop_flag.set()
        self.t.join()
        return self.most


def rolled(d, svc, old_ids, n):
    """Every replica replaced: n ready, none of the old ids left, all on the current
    generation, rollout idle."""
    def ok():
        s = status(d, svc)
        now = ids(svc)
        return (s["ready"] == n and len(now) == n and not set(now) & set(old_ids)
                and s["rollout"]["state"] == "idle" and s)
    s = wait_for(ok, timeout=90, interval=0.2, what="every replica rolled")
    gen = s["rollout"]["generation"]
    for c in dk.containers(svc):
        assert c["Labels"][GEN] == gen, c["Labels"]
    return s


def test_image_change_by_sighup_rolls_every_replica(daemon_factory, svc):
    d = daemon_factory(conf(svc)).start()
    s0 = wait_ready(d, svc, 2)
    old, gen0 = ids(svc), s0["rollout"]["generation"]
    assert {c["Labels"][GEN] for c in dk.containers(svc)} == {gen0}
    w = Watch(svc)
    d.write_config(conf(svc, image=NOHC))
    d.signal(signal.SIGHUP)
    s = rolled(d, svc, old, 2)
    most = w.stop()
    assert most <= 3 + 1, f"{most} containers at once (max 3 + surge 1)"
    assert s["rollout"]["generation"] != gen0
    for c in dk.containers(svc):
        assert c["Image"] == NOHC
    log = d.log()
    assert "rolling out generation" in log and "complete: 2 replica(s) updated" in log, log
    m = d.get("/metrics")[1]
    assert f'dockscale_rollouts_total{{service="{svc}",result="completed"}} 1' in m
    assert f'dockscale_rollout_in_progress{{service="{svc}"}} 0' in m


def test_env_change_rolls_and_scaling_change_does_not(daemon_factory, svc):
    d = daemon_factory(conf(svc, env="COLOR=blue")).start()
    wait_ready(d, svc, 2)
    old = ids(svc)
    d.write_config(conf(svc, env="COLOR=green"))
    d.signal(signal.SIGHUP)
    rolled(d, svc, old, 2)
    for c in dk.containers(svc):
        assert "COLOR=green" in dk.inspect(c["Id"])["Config"]["Env"]
    # Only scaling keys change: no rollout, the same containers over the whole window.
    now = ids(svc)
    d.write_config(conf(svc, env="COLOR=green", max_replicas=4, scale_up_cooldown="7s"))
    d.signal(signal.SIGHUP)
    d.wait_log("reload", timeout=10)
    d.wait_passes(3, hold=lambda: ids(svc) == now and
                  status(d, svc)["rollout"]["state"] == "idle", what="no rollout")
    assert status(d, svc)["max_replicas"] == 4


def test_never_healthy_version_rolls_back_old_replicas_untouched(daemon_factory, svc):
    d = daemon_factory(conf(svc, image=NOHC)).start()
    wait_ready(d, svc, 2)
    old = ids(svc)
    # Listens on 9999 while the probe asks 8080: never ready.
    d.write_config(conf(svc, image=NOHC, env="PORT=9999", start_timeout="3s"))
    d.signal(signal.SIGHUP)

    def back():
        s = status(d, svc)
        return s["rollout"]["state"] == "rolled_back" and ids(svc) == old and s
    deadline = time.monotonic() + 40
    s = None
    while time.monotonic() < deadline and not s:
        # The old replicas are never stopped: both ready over the whole rollout.
        st = status(d, svc)
        ready_old = [r for r in st["replicas"] if r["id"] in old and r["state"] == "ready"]
        assert len(ready_old) == 2, st
        s = back()
        time.sleep(0.2)
    assert s, status(d, svc)
    assert "PORT=9999" not in str([dk.inspect(i)["Config"]["Env"] for i in old])
    assert s["rollout"]["reason"], s["rollout"]
    assert "rollout of" in d.log() and "failed" in d.log()
    m = d.get("/metrics")[1]
    assert f'dockscale_rollouts_total{{service="{svc}",result="failed"}} 1' in m
    # The failed generation is not retried on its own: same containers for a while.
    d.wait_passes(3, hold=lambda: ids(svc) == old, what="the old replicas")


def test_rollout_restart_replaces_every_replica(daemon_factory, svc):
    d = daemon_factory(conf(svc)).start()
    s0 = wait_ready(d, svc, 2)
    old = ids(svc)
    code, body, _ = d.post(f"/api/v1/services/{svc}/rollout", {"restart": True})
    assert code == 202, body
    s = rolled(d, svc, old, 2)
    assert s["rollout"]["generation"] != s0["rollout"]["generation"]
    # Bad bodies change nothing.
    for bad in ({"restart": "yes"}, {"other": 1}, [1]):
        code, body, _ = d.post(f"/api/v1/services/{svc}/rollout", bad)
        assert code == 400 and "error" in body, (bad, code, body)


def test_kill9_mid_rollout_converges_after_restart(daemon_factory, svc):
    c0 = conf(svc, max_replicas=2, rollout_min_healthy="2s")
    d = daemon_factory(c0).start()
    wait_ready(d, svc, 2)
    old = ids(svc)
    c1 = conf(svc, max_replicas=2, rollout_min_healthy="2s", image=NOHC)
    w = Watch(svc)
    d.write_config(c1)
    d.signal(signal.SIGHUP)
    # Killed once the first new replica exists (before any old one left).
    wait_for(lambda: len(set(ids(svc)) - set(old)) >= 1, timeout=30, what="a new replica")
    d.proc.kill()
    d.proc.wait()
    d2 = daemon_factory(c1)
    d2.lock = d.lock
    d2.write_config(c1)
    d2.start()
    rolled(d2, svc, old, 2)
    most = w.stop()
    assert most <= 2 + 1, f"{most} containers at once (max 2 + surge 1)"


@pytest.fixture
def nginx(tmp_path, svc):
    n = Nginx(str(tmp_path), f"up_{svc}")
    yield n
    n.stop()


def test_rollout_under_load_drops_no_request(daemon_factory, svc, nginx):
    opts = dict(drain="1s", stop_timeout="5s", upstream_file=nginx.upstream_file,
                upstream_name=f"up_{svc}")
    d = daemon_factory(conf(svc, **opts) + nginx.nginx_section()).start()
    wait_ready(d, svc, 2)
    wait_for(lambda: http("GET", nginx.url + "/")[0] == 200, timeout=15, what="nginx serving")
    old = ids(svc)
    bad, sent, stop = [], [0], threading.Event()

    def load():
        while not stop.is_set():
            try:
                # POST is never retried by nginx on another upstream server.
                code, body, _ = http("POST", nginx.url + "/", body={"n": sent[0]},
                                     headers={"Connection": "close"})
                if code != 200:
                    bad.append(code)
            except Exception as e:  # a reset or refused connection is a drop too
                bad.append(repr(e))
            sent[0] += 1
    threads = [threading.Thread(target=load, daemon=True) for _ in range(4)]
    for t in threads:
        t.start()
    d.write_config(conf(svc, image=NOHC, **opts) + nginx.nginx_section())
    d.signal(signal.SIGHUP)
    try:
        rolled(d, svc, old, 2)
        at = sent[0]  # requests on the final upstream too
        wait_for(lambda: sent[0] >= at + 100, timeout=30, what="100 more requests")
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert sent[0] > 100, sent
    assert bad == [], f"{len(bad)} of {sent[0]} requests failed: {bad[:5]}"


def tag(src, repo, t):
    code, out = dk.call("POST", f"/images/{src}/tag?repo={repo}&tag={t}")
    assert code == 201, out


def test_a_moved_tag_rolls_on_a_rollout_request(daemon_factory, svc):
    """The generation hashes the image ID the reference resolves to: the same file
    with the tag moved to another image rolls when asked (doc/rollouts.md, "Rolling
    updates")."""
    repo = f"dockscale-test-{svc}"
    tag(IMAGE, repo, "v")
    try:
        d = daemon_factory(conf(svc, image=f"{repo}:v")).start()
        s0 = wait_ready(d, svc, 2)
        old, gen0 = ids(svc), s0["rollout"]["generation"]
        assert s0["pull"]["image_id"] == dk.call("GET", f"/images/{IMAGE}/json")[1]["Id"]
        tag(NOHC, repo, "v")
        # Nothing looks at the tag by itself: the same replicas for a while.
        d.wait_passes(3, hold=lambda: ids(svc) == old, what="the same replicas")
        code, body, _ = d.post(f"/api/v1/services/{svc}/rollout", {})
        assert code == 202, body
        s = rolled(d, svc, old, 2)
        assert s["rollout"]["generation"] != gen0
        nohc_id = dk.call("GET", f"/images/{NOHC}/json")[1]["Id"]
        for c in dk.containers(svc):
            assert dk.inspect(c["Id"])["Image"] == nohc_id
    finally:
        dk.call("DELETE", f"/images/{repo}:v")


def events(d, svc, typ, since=0):
    code, body, _ = d.get(f"/api/v1/events?service={svc}&type={typ}&since={since}&limit=1000")
    assert code == 200, body
    return body["events"]


def test_replica_dying_mid_rollout_leaves_the_upstream_at_once(daemon_factory, svc, nginx):
    """Issue 28 finding 10: a READY replica killed while the rollout waits out
    rollout_min_healthy (8 s) leaves nginx's upstream at once, not at the next step."""
    opts = dict(rollout_min_healthy="8s", upstream_file=nginx.upstream_file,
                upstream_name=f"up_{svc}")
    d = daemon_factory(conf(svc, **opts) + nginx.nginx_section()).start()
    s0 = wait_ready(d, svc, 2)
    wait_for(lambda: servers(nginx.upstream()) == sorted(r["address"] for r in s0["replicas"]),
             timeout=15, what="both replicas in the upstream")
    old = {r["id"]: r for r in s0["replicas"]}
    d.write_config(conf(svc, env="COLOR=green", **opts) + nginx.nginx_section())
    d.signal(signal.SIGHUP)

    # The new replica served through nginx: the rollout now waits 8 s before its step.
    def joined():
        st = status(d, svc)
        new = [r for r in st["replicas"] if r["id"] not in old and r["state"] == "ready"]
        return new and any(f"replica {new[0]['name']} joined the balancer" in e["message"]
                           for e in events(d, svc, "replica")) and new[0]
    new = wait_for(joined, timeout=30, interval=0.05, what="the new replica serving")
    assert status(d, svc)["rollout"]["state"] == "rolling"
    victim = s0["replicas"][0]
    assert victim["address"] in servers(nginx.upstream())
    assert dk.kill(victim["id"]) == 204
    t0 = time.monotonic()
    wait_for(lambda: victim["address"] not in servers(nginx.upstream()), timeout=1.5,
             interval=0.02, what=f"{victim['address']} out of the upstream file")
    gone_s = time.monotonic() - t0
    st = status(d, svc)
    # Still inside the 8 s wait: the upstream followed the death, not the rollout's step.
    assert st["rollout"]["state"] == "rolling", st["rollout"]
    assert new["address"] in servers(nginx.upstream())
    print(f"killed replica out of the upstream {gone_s * 1000:.0f} ms after docker kill")


def test_kill9_with_the_surge_replica_running_keeps_desired(daemon_factory, svc):
    """Issue 28 finding 9: 3 replicas, rollout_surge 1, an env change by SIGHUP, kill -9
    while the surge replica runs: the restarted daemon reads the rollout's count from
    the new replica's label, so desired stays 3 (not the 4 running) and the rollout ends
    at 3; never more than max + surge containers."""
    c0 = conf(svc, min_replicas=1, max_replicas=4, rollout_surge=1,
              rollout_min_healthy="8s")
    d = daemon_factory(c0).start()
    code, body, _ = d.post(f"/api/v1/services/{svc}/scale", {"replicas": 3})
    assert code == 200, body
    wait_ready(d, svc, 3)
    old = ids(svc)
    c1 = conf(svc, min_replicas=1, max_replicas=4, rollout_surge=1,
              rollout_min_healthy="8s", env="COLOR=green")
    w = Watch(svc)
    d.write_config(c1)
    d.signal(signal.SIGHUP)
    # The surge replica running beside the three old ones (8 s before an old one goes).
    surge = wait_for(lambda: [c for c in dk.running(svc) if c["Id"] not in old],
                     timeout=30, what="the surge replica running")[0]
    d.proc.kill()
    d.proc.wait()
    assert len(dk.running(svc)) == 4
    d2 = daemon_factory(c1)
    d2.lock = d.lock
    d2.write_config(c1)
    d2.start()
    # desired is 3 from the first list on, and stays 3 until the rollout is done: every
    # poll looks, and the first other value fails.
    seen, s, deadline = [], None, time.monotonic() + 90
    while time.monotonic() < deadline:
        s = status(d2, svc)
        if s["replicas"]:  # the first list was merged: desired is decided
            seen.append(s["desired"])
            assert s["desired"] == 3, f"desired {s['desired']} after the restart: {s}"
        now = ids(svc)
        if (s["ready"] == 3 and len(now) == 3 and not set(now) & set(old)
                and s["rollout"]["state"] == "idle"):
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"the rollout did not finish at 3: {s}\n{d2.log()[-3000:]}")
    most = w.stop()
    assert seen, "desired never seen"
    assert most <= 4 + 1, f"{most} containers at once (max 4 + surge 1)"
    assert s["desired"] == 3
    assert "an unfinished rollout: its count 3" in d2.log(), d2.log()
    # What carried it: the count on the label of the replica the rollout created.
    assert surge["Labels"].get("io.dockscale.rollout-target") == "3", surge["Labels"]
