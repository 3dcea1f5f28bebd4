"""What the daemon takes from its environment and peers: proxies, PATH, log bytes."""
import json

from conftest import run
from test_replicas import NOHC, service_conf, wait_ready

DEAD_PROXY = "http://127.0.0.1:9"  # discard port: nothing listens, connections fail


def test_proxy_in_environment_is_ignored_for_probes_and_docker(daemon_factory, svc):
    """doc/configuration.md, "Choices the spec left open": health probes and the Docker
    socket never go
    through a proxy, whatever http_proxy/HTTP_PROXY/ALL_PROXY say."""
    env = {k: DEAD_PROXY for k in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
                                   "all_proxy", "ALL_PROXY")}
    env["no_proxy"] = env["NO_PROXY"] = ""
    d = daemon_factory(service_conf(svc, image=NOHC, min_replicas=1), env=env).start()
    s = wait_ready(d, svc, 1, timeout=40)
    assert s["replicas"][0]["state"] == "ready"
    assert "probe of" not in d.log(), d.log()


def test_control_bytes_from_an_alertname_reach_the_log_escaped(daemon_factory, svc):
    """doc/operating.md, "Logging": an ESC in a webhook's alertname is written as \\x1b."""
    d = daemon_factory(service_conf(svc, min_replicas=0, max_replicas=2)).start()
    name = "Rel\x1b[2J\x1b]0;owned\x07Up"
    body = {"version": "4", "groupKey": "{}", "truncatedAlerts": 0, "status": "resolved",
            "receiver": "dockscale", "groupLabels": {}, "commonLabels": {},
            "commonAnnotations": {}, "externalURL": "http://am",
            "alerts": [{"status": "resolved",
                        "labels": {"alertname": name, "dockscale_service": svc,
                                   "dockscale_action": "scale_up"},
                        "annotations": {}, "startsAt": "2026-11-26T10:00:00Z",
                        "endsAt": "2026-11-26T10:05:00Z", "generatorURL": "http://p",
                        "fingerprint": "fpesc"}]}
    code, out, _ = d.post("/api/v1/alerts", body=json.dumps(body).encode(),
                          headers={"Content-Type": "application/json"})
    assert code == 200, out
    d.wait_log(f"{svc}: alert Rel\\x1b[2J\\x1b]0;owned\\x07Up resolved")
    raw = open(d.logpath, "rb").read()
    assert b"\x1b" not in raw and b"\x07" not in raw


def test_missing_nginx_program_is_a_config_error(tmp_path):
    """dockscale.conf(5): test_command and reload_command are looked up
    in PATH at load time; a program that is not there is FILE:LINE."""
    conf = tmp_path / "c.conf"
    conf.write_text("[daemon]\nlisten = 127.0.0.1:0\n[nginx]\n"
                    "test_command = no-such-nginx-xyz -t\nreload_command = /bin/true\n")
    r = run(["--check-config", "-c", str(conf)])
    assert r.returncode != 0
    assert f"{conf}:4: test_command: no-such-nginx-xyz: not found in PATH" in r.stderr, \
        r.stderr
    # An absolute path is checked as it is.
    conf.write_text("[daemon]\nlisten = 127.0.0.1:0\n[nginx]\n"
                    "test_command = /bin/true\nreload_command = /no/such/nginx -s reload\n")
    r = run(["--check-config", "-c", str(conf)])
    assert r.returncode != 0
    assert f"{conf}:5: reload_command: /no/such/nginx: " in r.stderr, r.stderr


def test_values_docker_would_refuse_fail_check_config(tmp_path):
    """doc/configuration.md, "Choices the spec left open": a stop_timeout Docker's stop
    would refuse, or a
    network name too long for inspect, is FILE:LINE at load, not a replica stuck later."""
    conf = tmp_path / "c.conf"
    conf.write_text("[daemon]\nlisten = 127.0.0.1:0\n[nginx]\ntest_command = /bin/true\n"
                    "reload_command = /bin/true\n[service web]\nimage = app\n"
                    "upstream_file = /tmp/x.conf\nstop_timeout = 25h\n"
                    f"network = {'n' * 128}\n")
    r = run(["--check-config", "-c", str(conf)])
    assert r.returncode != 0
    assert f"{conf}:9: stop_timeout: must be at most 86400s" in r.stderr, r.stderr
    assert f"{conf}:10: network: 128 bytes long, at most 127" in r.stderr, r.stderr
