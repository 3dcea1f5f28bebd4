"""sleep = pause: at zero the replicas are paused, not removed, and a wake unpauses the
same container (doc/waking.md, "Sleeping: stop or pause")."""
import requests

import dockerapi as dk
from conftest import free_port, wait_for
from peers import Nginx
from test_replicas import NOHC, service_conf, status


def sleeping_conf(svc, nginx, wake, **kw):
    return (service_conf(svc, image=NOHC, min_replicas=0, max_replicas=2, wake_listen=wake,
                         sleep="pause", upstream_file=nginx.upstream_file,
                         upstream_name=f"up_{svc}", **kw)
            + nginx.nginx_section())


def paused(cid):
    st = dk.inspect(cid)["State"]
    return st["Paused"] and st["Status"] == "paused"


def asleep(d, svc, cid, wake, nginx):
    """The replica cid is paused, listed as paused, and nginx points at the wake
    listener, not at the replica."""
    s = status(d, svc)
    reps = [r for r in s["replicas"] if r["id"] == cid]
    return (paused(cid) and len(reps) == 1 and reps[0]["state"] == "paused" and
            s["current"] == 0 and s["ready"] == 0 and s["asleep"]["paused"] == 1 and
            f"server {wake};" in nginx.upstream() and s)


def never_served(d, svc, addr, nginx):
    """Checked all along a window: the paused replica is never in the upstream, never
    counted, never ready."""
    s = status(d, svc)
    assert addr not in nginx.upstream(), nginx.upstream()
    assert s["current"] == 0 and s["ready"] == 0, s
    assert all(r["state"] == "paused" for r in s["replicas"]), s["replicas"]
    return True


def test_pause_at_zero_wake_restart_and_removed_by_hand(daemon_factory, svc, tmp_path):
    nginx = Nginx(str(tmp_path), f"up_{svc}")
    try:
        wake = f"127.0.0.1:{free_port()}"
        conf = sleeping_conf(svc, nginx, wake)
        d = daemon_factory(conf).start()
        d.post(f"/api/v1/services/{svc}/scale", body={"replicas": 1})
        s = wait_for(lambda: (st := status(d, svc))["ready"] == 1 and st, timeout=30,
                     what="one ready replica")
        cid, addr = s["replicas"][0]["id"], s["replicas"][0]["address"]
        wait_for(lambda: f"server {addr};" in nginx.upstream(), timeout=10,
                 what="the replica in the upstream")

        # To zero: drained out of the upstream, then paused, not stopped nor removed.
        code, body, _ = d.post(f"/api/v1/services/{svc}/scale", body={"replicas": 0})
        assert code == 200, body
        s = wait_for(lambda: asleep(d, svc, cid, wake, nginx), timeout=20, what="asleep")
        assert addr not in nginx.upstream()
        assert [c["Id"] for c in dk.containers(svc)] == [cid]
        d.wait_passes(3, hold=lambda: never_served(d, svc, addr, nginx) and paused(cid),
                      what="paused, out of the upstream, not counted")
        # The memory it holds (its cgroup), in the status API and on /metrics.
        s = wait_for(lambda: (st := status(d, svc))["asleep"]["memory_bytes"] and st,
                     timeout=10, what="the paused replica's memory")
        assert s["asleep"]["memory_bytes"] > 0
        m = d.get("/metrics")[1]
        assert f'dockscale_paused_replicas{{service="{svc}"}} 1' in m
        mem = [ln for ln in m.splitlines()
               if ln.startswith(f'dockscale_paused_memory_bytes{{service="{svc}"}}')]
        assert len(mem) == 1 and float(mem[0].split()[1]) > 0, mem
        assert f"replica {svc}-1 paused (asleep)" in d.log()

        # A request through nginx wakes it: the same container, unpaused, answers.
        r = requests.get(nginx.url + "/", timeout=30)
        assert r.status_code == 200 and r.text.strip() == cid[:12]
        assert not paused(cid) and [c["Id"] for c in dk.running(svc)] == [cid]
        s = status(d, svc)
        assert s["ready"] == 1 and s["replicas"][0]["id"] == cid
        assert s["replicas"][0]["ready_by"] == "probe"  # readiness again, by the probe
        assert f"replica {svc}-1 unpaused" in d.log()

        # Asleep again, then kill -9: the next daemon adopts it paused, never serves it.
        d.post(f"/api/v1/services/{svc}/scale", body={"replicas": 0})
        wait_for(lambda: asleep(d, svc, cid, wake, nginx), timeout=20, what="asleep again")
        d.proc.kill()
        d.proc.wait()
        d2 = daemon_factory(conf)
        d2.lock = d.lock
        d2.write_config(conf)
        d2.start()
        wait_for(lambda: asleep(d2, svc, cid, wake, nginx), timeout=20,
                 what="adopted paused")
        d2.wait_passes(4, hold=lambda: never_served(d2, svc, addr, nginx) and paused(cid),
                       what="adopted paused: not served, not counted")
        assert f"adopting paused replica {svc}-1" in d2.log()
        assert status(d2, svc)["desired"] == 0
        r = requests.get(nginx.url + "/", timeout=30)
        assert r.status_code == 200 and r.text.strip() == cid[:12]
        assert [c["Id"] for c in dk.running(svc)] == [cid]

        # Asleep, then its container removed by hand: the record goes; a wake creates
        # a new one.
        d2.post(f"/api/v1/services/{svc}/scale", body={"replicas": 0})
        wait_for(lambda: asleep(d2, svc, cid, wake, nginx), timeout=20, what="asleep 3")
        assert dk.remove(cid) in (200, 204)
        wait_for(lambda: status(d2, svc)["replicas"] == [], timeout=15,
                 what="the removed replica's record gone")
        assert status(d2, svc)["asleep"]["paused"] == 0
        r = requests.get(nginx.url + "/", timeout=30)
        assert r.status_code == 200
        new = dk.running(svc)
        assert len(new) == 1 and new[0]["Id"] != cid and r.text.strip() == new[0]["Id"][:12]
    finally:
        nginx.stop()


def test_reload_to_stop_removes_paused_replicas(daemon_factory, svc, tmp_path):
    nginx = Nginx(str(tmp_path), f"up_{svc}")
    try:
        wake = f"127.0.0.1:{free_port()}"
        conf = sleeping_conf(svc, nginx, wake)
        d = daemon_factory(conf).start()
        d.post(f"/api/v1/services/{svc}/scale", body={"replicas": 1})
        s = wait_for(lambda: (st := status(d, svc))["ready"] == 1 and st, timeout=30,
                     what="one ready replica")
        cid = s["replicas"][0]["id"]
        d.post(f"/api/v1/services/{svc}/scale", body={"replicas": 0})
        wait_for(lambda: asleep(d, svc, cid, wake, nginx), timeout=20, what="asleep")
        # sleep = stop now: the paused replica is removed, not leaked.
        d.write_config(conf.replace("sleep = pause", "sleep = stop"))
        d.signal(1)  # SIGHUP
        wait_for(lambda: dk.containers(svc) == [], timeout=20, what="the paused replica removed")
        assert status(d, svc)["asleep"]["paused"] == 0
    finally:
        nginx.stop()


def test_service_removed_while_asleep_removes_its_paused_replica(daemon_factory, svc,
                                                                  tmp_path):
    nginx = Nginx(str(tmp_path), f"up_{svc}")
    try:
        wake = f"127.0.0.1:{free_port()}"
        d = daemon_factory(sleeping_conf(svc, nginx, wake)).start()
        d.post(f"/api/v1/services/{svc}/scale", body={"replicas": 1})
        s = wait_for(lambda: (st := status(d, svc))["ready"] == 1 and st, timeout=30,
                     what="one ready replica")
        cid = s["replicas"][0]["id"]
        d.post(f"/api/v1/services/{svc}/scale", body={"replicas": 0})
        wait_for(lambda: asleep(d, svc, cid, wake, nginx), timeout=20, what="asleep")
        # The service leaves the file: a paused replica would stay frozen for good.
        d.write_config(nginx.nginx_section())
        d.signal(1)  # SIGHUP
        wait_for(lambda: dk.containers(svc) == [], timeout=20,
                 what="the paused replica of the removed service removed")
        assert "its service left the configuration" in d.log()
    finally:
        nginx.stop()


def test_config_errors(daemon_factory, svc, tmp_path):
    from conftest import run
    bad = tmp_path / "bad.conf"
    bad.write_text(f"[service {svc}]\nimage = {NOHC}\nport = 8080\nsleep = nap\n")
    out = run(["--check-config", "-c", str(bad)])
    assert out.returncode != 0 and f"{bad}:4:" in out.stderr + out.stdout, out
    warn = tmp_path / "warn.conf"
    warn.write_text(f"[service {svc}]\nimage = {NOHC}\nport = 8080\nmin_replicas = 1\n"
                    "sleep = pause\n")
    out = run(["--check-config", "-c", str(warn)])
    assert f"{warn}:5:" in out.stderr + out.stdout and "never goes to zero" in \
        out.stderr + out.stdout, out


def test_running_after_a_kill_while_waking_is_probed_before_it_serves(daemon_factory, svc,
                                                                        tmp_path):
    """kill -9 while an unpause was in flight leaves the container running: the next
    daemon adopts it STARTING and, under sleep = pause, lets only the probe make it ready
    (its Docker health may be from before the pause; doc/readiness.md, "After a pause").
    The image has a HEALTHCHECK, so Docker's "healthy" would otherwise win."""
    from test_replicas import IMAGE
    nginx = Nginx(str(tmp_path), f"up_{svc}")
    try:
        wake = f"127.0.0.1:{free_port()}"
        conf = sleeping_conf(svc, nginx, wake).replace(f"image = {NOHC}", f"image = {IMAGE}")
        d = daemon_factory(conf).start()
        d.post(f"/api/v1/services/{svc}/scale", body={"replicas": 1})
        s = wait_for(lambda: (st := status(d, svc))["ready"] == 1 and st, timeout=30,
                     what="one ready replica")
        cid, addr = s["replicas"][0]["id"], s["replicas"][0]["address"]
        wait_for(lambda: dk.inspect(cid)["State"]["Health"]["Status"] == "healthy",
                 timeout=30, what="Docker's healthy")
        d.post(f"/api/v1/services/{svc}/scale", body={"replicas": 0})
        wait_for(lambda: asleep(d, svc, cid, wake, nginx), timeout=20, what="asleep")
        d.proc.kill()
        d.proc.wait()
        # What an unpause in flight at the kill leaves behind. The engine ran the
        # HEALTHCHECK while it was frozen: each failed, and its status says unhealthy
        # (stale: the next check passes).
        wait_for(lambda: dk.inspect(cid)["State"]["Health"]["Status"] == "unhealthy",
                 timeout=30, what="Docker's checks failing while frozen")
        assert dk.call("POST", f"/containers/{cid}/unpause")[0] == 204
        d2 = daemon_factory(conf)
        d2.lock = d.lock
        d2.write_config(conf)
        d2.start()

        def not_served_before_ready():
            st = status(d2, svc)
            reps = st["replicas"]
            if addr in nginx.upstream():
                assert reps and reps[0]["state"] == "ready", (reps, nginx.upstream())
            return st
        s = wait_for(lambda: (st := not_served_before_ready())["ready"] == 1 and st,
                     timeout=30, what="adopted and ready")
        assert s["replicas"][0]["id"] == cid
        assert s["replicas"][0]["ready_by"] == "probe", s["replicas"][0]
        assert f"adopting running replica {svc}-1" in d2.log()
        # Not replaced for the stale unhealthy, before or after Docker's next check.
        wait_for(lambda: dk.inspect(cid)["State"]["Health"]["Status"] == "healthy",
                 timeout=30, what="Docker's healthy again")
        d2.wait_passes(2, hold=lambda: [r["id"] for r in status(d2, svc)["replicas"]] == [cid]
                       and status(d2, svc)["ready"] == 1, what="the adopted replica kept")
        assert "unhealthy; replacing" not in d2.log() and "reports unhealthy" not in d2.log()
    finally:
        nginx.stop()
