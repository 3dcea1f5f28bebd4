"""Replica lifecycle on a real Docker Engine (SPEC §4.1, 4.2, 4.6-4.9, §5 services API)."""
import datetime
import os
import signal
import uuid

import pytest

import dockerapi as dk
from conftest import http, wait_for

IMAGE = "dockscale-demo:latest"
NOHC = "dockscale-demo:nohc"  # same app, no HEALTHCHECK: health by HTTP probe


def service_conf(name, **kw):
    opts = {"image": IMAGE, "min_replicas": 1, "max_replicas": 4, "metric": "none",
            "cpus": 0, "memory": 0, "start_timeout": "20s", "drain": "0s",
            "stop_timeout": "2s", "upstream_file": f"/tmp/dockscale-test-{name}.conf"}
    opts.update(kw)
    return f"[service {name}]\n" + "".join(f"{k} = {v}\n" for k, v in opts.items())


def status(d, name):
    code, body, _ = d.get(f"/api/v1/services/{name}")
    assert code == 200, body
    return body


def wait_ready(d, name, n, timeout=40):
    def ok():
        s = status(d, name)
        return (s["ready"] == n and len(s["replicas"]) == n and len(dk.running(name)) == n
                and s)
    return wait_for(ok, timeout=timeout, interval=0.2, what=f"{n} ready replicas of {name}")


def test_min_replicas_held_healthy_and_serving(daemon_factory, svc):
    d = daemon_factory(service_conf(svc, min_replicas=2)).start()
    s = wait_ready(d, svc, 2)
    assert dk.names(dk.running(svc)) == [f"{svc}-1", f"{svc}-2"]
    for r in s["replicas"]:
        # readiness auto: the probe usually beats Docker's first check (doc/readiness.md
        # "Readiness"), so Docker may still say "starting".
        assert r["state"] == "ready" and r["health"] in ("healthy", "starting")
        assert r["ready_by"] in ("probe", "health") and r["ready_after_ms"] >= 0
        assert r["address"].startswith("127.0.0.1:")
        code, body, _ = http("GET", f"http://{r['address']}/")
        assert code == 200 and body.strip() == r["id"][:12]
        ins = dk.inspect(r["id"])
        assert ins["Config"]["Labels"][dk.LABEL] == svc
        assert ins["HostConfig"]["Init"] is True
    assert f'dockscale_replicas{{service="{svc}",state="ready"}} 2' in d.get("/metrics")[1]


def test_create_parallel_has_several_creates_in_flight(daemon_factory, svc):
    """create_parallel = 4 (doc/replicas.md, "Parallel creates"): one pass asks for four
    creates before any of them has started, and the service converges to 8 ready."""
    d = daemon_factory(service_conf(svc, min_replicas=8, max_replicas=8,
                                    create_parallel=4)).start()
    s = wait_ready(d, svc, 8, timeout=90)
    assert sorted(r["name"] for r in s["replicas"]) == sorted(f"{svc}-{i}" for i in range(1, 9))
    lines = [ln for ln in d.log().splitlines() if f"{svc}: " in ln]
    first_started = next(i for i, ln in enumerate(lines) if "started (" in ln)
    creating = [ln for ln in lines[:first_started] if "creating replica" in ln]
    assert len(creating) == 4, lines[:first_started + 1]


def test_http_probe_when_image_has_no_healthcheck(daemon_factory, svc):
    d = daemon_factory(service_conf(svc, image=NOHC, health_path="/health")).start()
    s = wait_ready(d, svc, 1)
    assert s["replicas"][0]["health"] == "healthy (probe)"


def test_killed_replica_is_replaced_via_events(daemon_factory, svc):
    # A long interval: only the Docker event stream can explain a quick replacement.
    d = daemon_factory(service_conf(svc, min_replicas=2), daemon_extra="").start()
    d.write_config(service_conf(svc, min_replicas=2))
    s = wait_ready(d, svc, 2)
    victim = s["replicas"][0]["id"]
    dk.kill(victim)
    wait_for(lambda: victim not in [r["id"] for r in status(d, svc)["replicas"]],
             timeout=20, what="killed replica forgotten")
    s = wait_ready(d, svc, 2)
    assert victim not in [c["Id"] for c in dk.containers(svc)]
    assert status(d, svc)["replicas"]


def test_scale_by_api_up_and_down_newest_first(daemon_factory, svc):
    d = daemon_factory(service_conf(svc, min_replicas=1, max_replicas=4)).start()
    wait_ready(d, svc, 1)
    code, body, _ = d.post(f"/api/v1/services/{svc}/scale", body={"replicas": 3})
    assert code == 200 and body["desired"] == 3
    wait_ready(d, svc, 3)
    assert dk.names(dk.running(svc)) == [f"{svc}-1", f"{svc}-2", f"{svc}-3"]
    code, body, _ = d.post(f"/api/v1/services/{svc}/scale", body={"replicas": 1})
    assert code == 200
    wait_for(lambda: dk.names(dk.containers(svc)) == [f"{svc}-1"], timeout=30,
             what="scale down to the oldest replica")
    wait_ready(d, svc, 1)


def test_scale_bad_input_changes_nothing(daemon_factory, svc):
    d = daemon_factory(service_conf(svc, min_replicas=1, max_replicas=3)).start()
    wait_ready(d, svc, 1)
    url = f"/api/v1/services/{svc}/scale"
    for body, want in [({"replicas": 9}, 400), ({"replicas": 0}, 400),
                       ({"replicas": 1.5}, 400), ({"replicas": "2"}, 400),
                       ({"n": 2}, 400), ([2], 400), (b"{not json", 400), (b"", 400)]:
        code, out, _ = d.post(url, body=body)
        assert code == want, (body, out)
        assert "error" in out
    assert d.post("/api/v1/services/nosuch/scale", body={"replicas": 1})[0] == 404
    assert d.get("/api/v1/services/nosuch")[0] == 404
    assert d.get(url)[0] == 405
    # Passes that would have acted on a bad value: still exactly one replica.
    d.wait_passes(2, hold=lambda: status(d, svc)["desired"] == 1 and
                  len(dk.containers(svc)) == 1, what="one replica, desired 1")


def test_kill9_and_restart_adopts_without_extra_containers(daemon_factory, svc):
    conf = service_conf(svc, min_replicas=2, max_replicas=3)
    d = daemon_factory(conf).start()
    wait_ready(d, svc, 2)
    ids = sorted(c["Id"] for c in dk.containers(svc))
    d.proc.kill()
    d.proc.wait()
    d2 = daemon_factory(conf)
    d2.lock = d.lock
    d2.write_config(conf)
    d2.start()
    wait_ready(d2, svc, 2)
    d2.wait_passes(3, hold=lambda: sorted(c["Id"] for c in dk.containers(svc)) == ids,
                   what="the adopted replicas and no other container")
    assert "adopting running replica" in d2.log()


def test_created_never_started_is_cleaned_up(daemon_factory, svc):
    stale = dk.create(f"{svc}-7", IMAGE, labels={dk.LABEL: svc})
    d = daemon_factory(service_conf(svc)).start()
    wait_ready(d, svc, 1)
    wait_for(lambda: stale not in [c["Id"] for c in dk.containers(svc)], timeout=15,
             what="leftover created container removed")


def test_foreign_container_with_clashing_name_untouched(daemon_factory, svc):
    foreign = dk.create(f"{svc}-1", IMAGE)  # no label: not ours
    try:
        assert dk.start(foreign) == 204
        d = daemon_factory(service_conf(svc)).start()
        wait_ready(d, svc, 1)
        assert dk.names(dk.running(svc)) == [f"{svc}-2"]
        assert dk.inspect(foreign)["State"]["Running"] is True
    finally:
        dk.remove(foreign)


def failed_start_times(d, svc):
    """When each failed start was said (the event history), in seconds."""
    evs = d.get(f"/api/v1/events?service={svc}&type=replica&limit=1000")[1]["events"]
    return [datetime.datetime.strptime(e["time"], "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
            for e in evs if "failed to start" in e["message"]]


def test_missing_image_backs_off_without_crash_loop(daemon_factory, svc):
    d = daemon_factory(service_conf(svc, image="dockscale-no-such-image:1")).start()
    # Never a container, over every attempt until the fourth.
    wait_for(lambda: (dk.containers(svc) == [] or pytest.fail("a container was made")) and
             status(d, svc)["failed_starts_total"] >= 4, timeout=30, interval=0.2,
             what="four failed starts")
    # 1s, 2s, 4s between attempts, however slow the passes are: a retry on every pass
    # (1 s) fails the second gap already.
    at = failed_start_times(d, svc)
    gaps = [b - a for a, b in zip(at, at[1:])]
    assert len(at) >= 4 and all(g >= 2 ** k - 0.05 for k, g in enumerate(gaps)), gaps
    s = status(d, svc)
    assert s["start_failures"] >= 4 and s["backoff_left_ms"] > 0, s
    assert d.get("/healthz")[0] == 200
    assert dk.containers(svc) == []
    assert "failed to start" in d.log()


def test_failed_creates_do_not_use_up_max_replicas(daemon_factory, svc):
    # As many failed create calls as max_replicas (an engine down or an image missing
    # for a while): once the cause is gone, the service still reaches its count.
    d = daemon_factory(service_conf(svc, image="dockscale-no-such-image:1",
                                    max_replicas=2)).start()
    wait_for(lambda: status(d, svc)["failed_starts_total"] >= 3, timeout=30,
             what="three failed starts")
    assert status(d, svc)["replicas"] == []
    d.write_config(service_conf(svc, max_replicas=2))
    d.signal(signal.SIGHUP)
    wait_ready(d, svc, 1)


def test_never_healthy_replica_is_removed_and_backs_off(daemon_factory, svc):
    d = daemon_factory(service_conf(svc, image=NOHC, health_path="/nope",
                                    start_timeout="2s")).start()
    wait_for(lambda: status(d, svc)["failed_starts_total"] >= 2, timeout=30,
             what="two failed starts")
    assert "not healthy within 2s" in d.log()
    s = status(d, svc)
    assert s["ready"] == 0
    assert len(dk.containers(svc)) <= 1  # the failed one is removed before the next try


def test_sigterm_leaves_replicas_running(daemon_factory, svc):
    d = daemon_factory(service_conf(svc, min_replicas=2)).start()
    wait_ready(d, svc, 2)
    ids = sorted(c["Id"] for c in dk.running(svc))
    assert d.stop() == 0
    assert sorted(c["Id"] for c in dk.running(svc)) == ids


def test_removed_service_replicas_left_running(daemon_factory, svc):
    d = daemon_factory(service_conf(svc)).start()
    wait_ready(d, svc, 1)
    ids = [c["Id"] for c in dk.running(svc)]
    d.write_config("")
    d.signal(signal.SIGHUP)
    d.wait_log("left running")
    d.wait_passes(2, hold=lambda: [c["Id"] for c in dk.running(svc)] == ids,
                  what="the unmanaged replica left running")
    assert d.get(f"/api/v1/services/{svc}")[0] == 404
