"""The whole container definition of a [service] on a real Docker Engine (doc/definition.md,
"Coming from docker-compose", "Restart policy")."""
import os
import shutil
import signal
import time
import uuid

import pytest

import dockerapi as dk
from conftest import http, wait_for
from test_reload_keys import reloads
from test_replicas import IMAGE, status, wait_ready

PREFIX = "ctrkeys"  # every network, volume and directory these tests make


def conf(name, lines, **kw):
    """A [service] section: the usual test settings, then `lines` (repeatable keys)."""
    opts = {"image": IMAGE, "min_replicas": 1, "max_replicas": 4, "metric": "none",
            "cpus": 0, "memory": 0, "start_timeout": "30s", "drain": "0s",
            "stop_timeout": "2s", "upstream_file": f"/tmp/dockscale-test-{name}.conf"}
    opts.update(kw)
    return (f"[service {name}]\n" + "".join(f"{k} = {v}\n" for k, v in opts.items()) +
            "".join(line + "\n" for line in lines))


@pytest.fixture
def res(daemon_factory, svc):
    """Two networks, a named volume and a host directory of our own; removed after the
    daemons and the replicas (a network with endpoints cannot go)."""
    tag = f"{PREFIX}-{uuid.uuid4().hex[:8]}"
    nets = [f"{tag}-a", f"{tag}-b"]
    for n in nets:
        code, body = dk.call("POST", "/networks/create", {"Name": n, "Driver": "bridge"})
        assert code == 201, body
    code, body = dk.call("POST", "/volumes/create", {"Name": f"{tag}-vol"})
    assert code == 201, body
    hostdir = f"/tmp/{tag}-host"
    os.makedirs(hostdir)
    with open(os.path.join(hostdir, "app.env"), "w") as f:
        f.write("# the app's settings\nSHARED=from-file\nFILE_ONLY=yes\n")
    yield {"tag": tag, "nets": nets, "vol": f"{tag}-vol", "dir": hostdir}
    daemon_factory.kill_all()
    dk.cleanup(svc)
    for n in nets:
        dk.call("DELETE", f"/networks/{n}")
    dk.call("DELETE", f"/volumes/{tag}-vol")
    shutil.rmtree(hostdir, ignore_errors=True)


def every_key(res):
    envf = os.path.join(res["dir"], "app.env")
    return [
        f"network = {res['nets'][0]}",
        f"networks = {res['nets'][1]}",
        f"volume = {res['vol']}:/data",
        f"volume = {res['dir']}:/host:ro",
        "tmpfs = /tmp:size=8M",
        "label = com.example.team=shop",
        "label = com.example.tier=web",
        "env = SHARED=from-env",
        "env = FROM_ENV=1",
        f"env_file = {envf}",
        "user = 65534:65534",
        "working_dir = /srv",
        "entrypoint = /app",
        "hostname = ctrkeys-web",
        "read_only = true",
        "cap_add = NET_BIND_SERVICE",
        "cap_drop = ALL",
        "security_opt = apparmor=unconfined",
        "no_new_privileges = true",
        "pids_limit = 64",
        "shm_size = 16M",
        "ulimit = nofile=1024:2048",
        "extra_host = db.ctrkeys:10.1.2.3",
        "dns = 10.1.2.53",
        "dns_search = corp.ctrkeys",
        "dns_opt = ndots:2",
        "domainname = corp.ctrkeys",
        "sysctl = net.core.somaxconn=1024",
        "group_add = 1234",
        "oom_score_adj = 100",
        "log_driver = json-file",
        "log_opt = max-size=1m",
        "log_opt = max-file=2",
        "stop_signal = SIGINT",
        "restart = on-failure:2",
        "healthcheck = CMD /app --health",
        "healthcheck_interval = 1s",
        "healthcheck_timeout = 2s",
        "healthcheck_retries = 3",
        "healthcheck_start_period = 5s",
    ]


def test_every_key_lands_in_docker_inspect(daemon_factory, svc, res):
    # readiness = health: joined on the healthcheck the keys define, so it is "healthy"
    # below (doc/readiness.md).
    d = daemon_factory(conf(svc, every_key(res) + ["readiness = health"],
                            min_replicas=2)).start()
    s = wait_ready(d, svc, 2, timeout=60)
    net_a, net_b = res["nets"]
    for r in s["replicas"]:
        ins = dk.inspect(r["id"])
        cfg, hc = ins["Config"], ins["HostConfig"]
        assert hc["Binds"] == [f"{res['vol']}:/data", f"{res['dir']}:/host:ro"]
        mounts = {m["Destination"]: m for m in ins["Mounts"]}
        assert mounts["/data"]["Type"] == "volume" and mounts["/data"]["Name"] == res["vol"]
        assert mounts["/data"]["RW"] is True
        assert mounts["/host"]["Type"] == "bind" and mounts["/host"]["Source"] == res["dir"]
        assert mounts["/host"]["RW"] is False
        assert hc["Tmpfs"] == {"/tmp": "size=8388608"}
        assert cfg["Labels"]["com.example.team"] == "shop"
        assert cfg["Labels"]["com.example.tier"] == "web"
        assert cfg["Labels"][dk.LABEL] == svc
        # env wins over env_file (docker-compose's rule)
        assert "SHARED=from-env" in cfg["Env"] and "SHARED=from-file" not in cfg["Env"]
        assert "FILE_ONLY=yes" in cfg["Env"] and "FROM_ENV=1" in cfg["Env"]
        assert cfg["User"] == "65534:65534"
        assert cfg["WorkingDir"] == "/srv"
        assert cfg["Entrypoint"] == ["/app"]
        assert cfg["Hostname"] == "ctrkeys-web"
        assert hc["ReadonlyRootfs"] is True
        assert hc["CapAdd"] == ["NET_BIND_SERVICE"] and hc["CapDrop"] == ["ALL"]
        assert "apparmor=unconfined" in hc["SecurityOpt"]
        assert "no-new-privileges:true" in hc["SecurityOpt"]
        assert hc["PidsLimit"] == 64
        assert hc["ShmSize"] == 16 * 1024 * 1024
        assert hc["Ulimits"] == [{"Name": "nofile", "Soft": 1024, "Hard": 2048}]
        assert hc["ExtraHosts"] == ["db.ctrkeys:10.1.2.3"]
        assert hc["Dns"] == ["10.1.2.53"]
        assert hc["DnsSearch"] == ["corp.ctrkeys"] and hc["DnsOptions"] == ["ndots:2"]
        assert cfg["Domainname"] == "corp.ctrkeys"
        assert hc["Sysctls"] == {"net.core.somaxconn": "1024"}
        assert hc["GroupAdd"] == ["1234"]
        assert hc["OomScoreAdj"] == 100
        assert hc["LogConfig"] == {"Type": "json-file",
                                   "Config": {"max-size": "1m", "max-file": "2"}}
        assert cfg["StopSignal"] == "SIGINT"
        assert hc["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 2}
        assert cfg["Healthcheck"] == {"Test": ["CMD", "/app", "--health"],
                                      "Interval": 10**9, "Timeout": 2 * 10**9,
                                      "StartPeriod": 5 * 10**9, "Retries": 3}
        nets = ins["NetworkSettings"]["Networks"]
        assert set(nets) == {net_a, net_b}
        # healthy by its own healthcheck, serving through the upstream address (net_a)
        assert r["state"] == "ready" and r["health"] == "healthy"
        assert r["address"] == f"{nets[net_a]['IPAddress']}:8080"
        code, body, _ = http("GET", f"http://{r['address']}/")
        assert code == 200 and body.strip() == "ctrkeys-web"

    # Ready in the status is not yet in nginx: the balancer syncs in the next pass, after
    # the sync in flight (the first replica's nginx -t and reload) ends.
    def upstream_lists_both():
        with open(f"/tmp/dockscale-test-{svc}.conf") as f:
            upstream = f.read()
        return all(r["address"] in upstream for r in s["replicas"])
    wait_for(upstream_lists_both, timeout=15, what="both replicas in the upstream file")


def test_on_failure_restart_is_not_a_failure_nor_a_replacement(daemon_factory, svc):
    """Docker restarts the killed replica (restart = on-failure): the daemon takes it out
    of the upstream and health-gates it again, and at no moment counts it as a failed
    start or a replacement, nor creates another container."""
    d = daemon_factory(conf(svc, ["restart = on-failure:3"])).start()
    s = wait_ready(d, svc, 1)
    rid = s["replicas"][0]["id"]
    os.kill(dk.inspect(rid)["State"]["Pid"], signal.SIGKILL)  # exit 137: a failure

    def counters(st):
        metrics = d.get("/metrics")[1]
        line = [x for x in metrics.splitlines()
                if x.startswith(f'dockscale_replicas_replaced_total{{service="{svc}"}}')]
        return st["failed_starts_total"], st["start_failures"], \
            float(line[0].split()[-1]) if line else 0.0

    seen_restart = False
    back_since = None
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        st = status(d, svc)
        assert counters(st) == (0, 0, 0.0), st
        assert [c["Id"] for c in dk.containers(svc)] == [rid]
        seen_restart = seen_restart or dk.inspect(rid)["RestartCount"] >= 1
        ready = [r for r in st["replicas"] if r["state"] == "ready"]
        if seen_restart and ready and ready[0]["id"] == rid:
            back_since = back_since or time.monotonic()
            if time.monotonic() - back_since > 3:  # and it stays so
                break
        else:
            back_since = None
        time.sleep(0.1)
    assert seen_restart and back_since is not None, d.log()
    assert "is being restarted by Docker" in d.log()
    assert status(d, svc)["replicas"][0]["restarts"] >= 1
    code, body, _ = http("GET", f"http://{status(d, svc)['replicas'][0]['address']}/")
    assert code == 200


def test_healthcheck_none_falls_back_to_the_http_probe(daemon_factory, svc):
    """The image HAS a HEALTHCHECK; healthcheck = none turns it off and the daemon probes
    health_path over HTTP instead."""
    d = daemon_factory(conf(svc, ["healthcheck = none"], health_path="/health")).start()
    s = wait_ready(d, svc, 1)
    r = s["replicas"][0]
    assert r["health"] == "healthy (probe)"
    ins = dk.inspect(r["id"])
    assert ins["Config"]["Healthcheck"]["Test"] == ["NONE"]
    assert "Health" not in ins["State"] or ins["State"]["Health"] is None


def test_reload_rereads_env_files_and_keeps_the_old_config_on_a_broken_one(
        daemon_factory, svc, res):
    envf = os.path.join(res["dir"], "app.env")
    body = conf(svc, [f"env_file = {envf}"])
    d = daemon_factory(body).start()
    s = wait_ready(d, svc, 1)
    assert "SHARED=from-file" in dk.inspect(s["replicas"][0]["id"])["Config"]["Env"]
    with open(envf, "w") as f:
        f.write("SHARED=changed\n")
    d.signal(signal.SIGHUP)
    wait_for(lambda: reloads(d, "success") == 1, what="the reload applied")
    code, _, _ = d.post(f"/api/v1/services/{svc}/scale", body={"replicas": 2})
    assert code == 200
    s = wait_ready(d, svc, 2, timeout=60)
    new = [r for r in s["replicas"] if r["name"] == f"{svc}-2"][0]
    assert "SHARED=changed" in dk.inspect(new["id"])["Config"]["Env"]
    with open(envf, "w") as f:
        f.write("OK=1\nnot a setting\n")
    d.signal(signal.SIGHUP)
    wait_for(lambda: reloads(d, "failure") == 1, what="a refused reload")
    assert f"env_file {envf}:2: not NAME=value" in d.log()
    assert "keeping the running configuration" in d.log()
    assert status(d, svc)["ready"] == 2


def test_healthcheck_durations_alone_tune_the_images_test(daemon_factory, svc):
    d = daemon_factory(conf(svc, ["healthcheck_interval = 2s", "healthcheck_retries = 5",
                                  "readiness = health"])).start()
    s = wait_ready(d, svc, 1)
    hc = dk.inspect(s["replicas"][0]["id"])["Config"]["Healthcheck"]
    assert hc["Test"] == ["CMD", "/app", "--health"]  # the image's
    assert hc["Interval"] == 2 * 10**9 and hc["Retries"] == 5
    assert s["replicas"][0]["health"] == "healthy"


def test_networks_without_network_and_a_missing_one(daemon_factory, svc, res):
    """Without `network` a replica is published on 127.0.0.1 and still joins `networks`;
    a network that does not exist is a failed start naming it, and leaves no container."""
    net = res["nets"][0]
    d = daemon_factory(conf(svc, [f"networks = {net}"])).start()
    s = wait_ready(d, svc, 1)
    r = s["replicas"][0]
    assert set(dk.inspect(r["id"])["NetworkSettings"]["Networks"]) == {"bridge", net}
    assert r["address"].startswith("127.0.0.1:")
    assert http("GET", f"http://{r['address']}/")[0] == 200
    d.stop()
    dk.cleanup(svc)
    missing = f"{res['tag']}-missing"
    d = daemon_factory(conf(svc, [f"networks = {missing}"])).start()
    wait_for(lambda: status(d, svc)["failed_starts_total"] >= 1, timeout=30,
             what="a failed start")
    # Docker takes the connect of a created container and checks the network at start
    assert f"failed to start (network {missing} not found)" in d.log()
    wait_for(lambda: all(c["State"] != "running" for c in dk.containers(svc)) and
             status(d, svc)["ready"] == 0, timeout=10, what="nothing running")
    wait_for(lambda: not [c for c in dk.containers(svc) if c["State"] == "created"] or
             status(d, svc)["backoff_left_ms"] > 0, timeout=10, what="created one removed")
