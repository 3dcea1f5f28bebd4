"""Alertmanager webhooks and the control API: auth, bad input, dedupe, the real chain."""
import json
import os

import dockerapi as dk
from conftest import ROOT, http, wait_for
from peers import start_alertmanager, start_prometheus
from test_replicas import service_conf, status, wait_ready
from test_scaling import Load

TOKEN = "s3cret-token-for-tests"


def payload(alerts, version="4"):
    return {"version": version, "groupKey": "{}:{}", "truncatedAlerts": 0, "status": "firing",
            "receiver": "dockscale", "groupLabels": {}, "commonLabels": {},
            "commonAnnotations": {}, "externalURL": "http://am", "alerts": alerts}


def alert(service=None, action=None, name="HighLoad", status="firing", fp="fp1"):
    labels = {"alertname": name}
    if service:
        labels["dockscale_service"] = service
    if action:
        labels["dockscale_action"] = action
    return {"status": status, "labels": labels, "annotations": {},
            "startsAt": "2026-11-26T10:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prom", "fingerprint": fp}


def with_token(daemon_factory, tmp_path, body):
    tok = tmp_path / "token"
    tok.write_text(TOKEN + "\n")
    return daemon_factory(body, daemon_extra=f"token_file = {tok}\n")


AUTH = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}


def test_bad_input_table_changes_nothing(daemon_factory, svc, tmp_path):
    d = with_token(daemon_factory, tmp_path,
                   service_conf(svc, min_replicas=1, max_replicas=3)).start()
    wait_ready(d, svc, 1)
    good = json.dumps(payload([alert(svc, "scale_up")])).encode()
    url = d.url + "/api/v1/alerts"
    cases = [
        ("no token", "POST", good, {"Content-Type": "application/json"}, 401),
        ("wrong token", "POST", good, {"Authorization": "Bearer nope"}, 401),
        ("token prefix", "POST", good, {"Authorization": f"Bearer {TOKEN[:-1]}"}, 401),
        ("token longer", "POST", good, {"Authorization": f"Bearer {TOKEN}x"}, 401),
        ("basic auth", "POST", good, {"Authorization": "Basic Zm9vOmJhcg=="}, 401),
        ("malformed JSON", "POST", b'{"version": "4", "alerts": [', AUTH, 400),
        ("wrong shape", "POST", b'[1, 2, 3]', AUTH, 400),
        ("alerts not a list", "POST", json.dumps({"version": "4", "alerts": {}}).encode(),
         AUTH, 400),
        ("wrong version", "POST", json.dumps(payload([alert(svc, "scale_up")], "3")).encode(),
         AUTH, 400),
        # Answered on the headers, before the body (doc/api.md, "API limits").
        ("2 MB body", "POST", None, {**AUTH, "Content-Length": str(2 * 1024 * 1024)}, 413),
        ("GET", "GET", None, AUTH, 405),
        ("PUT", "PUT", good, AUTH, 405),
    ]
    for what, method, body, headers, want in cases:
        code, out, _ = http(method, url, body=body, headers=headers)
        assert code == want, (what, code, out)
        assert isinstance(out, dict) and "error" in out, (what, out)
    # The control API is guarded by the same token.
    code, out, _ = http("POST", f"{d.url}/api/v1/services/{svc}/scale",
                        body=b'{"replicas": 2}', headers={"Content-Type": "application/json"})
    assert code == 401 and "error" in out
    # Alerts that match nothing are answered 200, counted, and ignored.
    code, out, _ = http("POST", url, body=json.dumps(payload([
        alert("nosuchservice", "scale_up"), alert(None, None, name="Unrelated"),
        alert(svc, "explode")])).encode(), headers=AUTH)
    assert code == 200, out
    assert out["ignored"] == 3 and out["stepped"] == 0
    assert [a["outcome"] for a in out["alerts"]] == ["ignored"] * 3
    d.wait_passes(2, hold=lambda: status(d, svc)["desired"] == 1 and
                  len(dk.containers(svc)) == 1, what="one replica after ignored alerts")
    metrics = d.get("/metrics")[1]
    assert 'dockscale_webhooks_total{code="401"} 5' in metrics
    assert 'dockscale_webhooks_total{code="400"} 4' in metrics
    assert 'dockscale_webhooks_total{code="413"} 1' in metrics
    assert 'dockscale_webhooks_total{code="405"} 2' in metrics
    assert 'dockscale_alerts_total{outcome="ignored"} 3' in metrics
    assert TOKEN not in d.log()


def test_firing_alert_steps_once_and_resends_are_deduplicated(daemon_factory, svc, tmp_path):
    d = with_token(daemon_factory, tmp_path, service_conf(
        svc, min_replicas=1, max_replicas=3, scale_up_cooldown="60s",
        scale_down_alerts="QuietLoad")).start()
    wait_ready(d, svc, 1)
    url = d.url + "/api/v1/alerts"
    code, out, _ = http("POST", url, body=payload([alert(svc, "scale_up", fp="aa")]),
                        headers=AUTH)
    assert code == 200 and out["stepped"] == 1, out
    assert out["alerts"][0]["service"] == svc and out["alerts"][0]["desired"] == 2
    wait_ready(d, svc, 2)
    # Alertmanager re-sends the same firing alert: no second step inside the cooldown.
    code, out, _ = http("POST", url, body=payload([alert(svc, "scale_up", fp="aa")]),
                        headers=AUTH)
    assert out["duplicate"] == 1 and out["stepped"] == 0, out
    # Another alert in the same direction is held by the cooldown.
    code, out, _ = http("POST", url, body=payload([alert(svc, "scale_up", fp="bb")]),
                        headers=AUTH)
    assert out["held"] == 1 and "cooldown" in out["alerts"][0]["reason"], out
    # Resolved alerts are recorded, not acted on.
    code, out, _ = http("POST", url, body=payload([alert(svc, "scale_up", status="resolved",
                                                          fp="aa")]), headers=AUTH)
    assert out["resolved"] == 1, out
    # A direction from the service's alertname list, without dockscale_action.
    code, out, _ = http("POST", url, body=payload([alert(None, None, name="QuietLoad",
                                                          fp="cc")]), headers=AUTH)
    assert out["stepped"] == 1 and out["alerts"][0]["action"] == "scale_down", out
    wait_for(lambda: len(dk.containers(svc)) == 1, timeout=30, what="scaled back to 1")
    assert status(d, svc)["desired"] == 1
    assert "alert QuietLoad" in d.log()


def test_full_chain_prometheus_rule_alertmanager_webhook(daemon_factory, svc, tmp_path):
    """The shipped rule and receiver, a real Prometheus and Alertmanager, real CPU load."""
    tokfile = tmp_path / "token"
    tokfile.write_text(TOKEN + "\n")
    d = daemon_factory(service_conf(svc, metric="none", cpus="0.5", min_replicas=1,
                                    max_replicas=2),
                       daemon_extra=f"token_file = {tokfile}\n").start()
    s = wait_ready(d, svc, 1)
    with open(os.path.join(ROOT, "conf", "alertmanager.yml")) as f:
        am_conf = f.read()
    # The shipped receiver as is, but for this test's port and token file.
    am_conf = am_conf.replace("127.0.0.1:9280", f"127.0.0.1:{d.port}") \
                     .replace("/etc/dockscale/token", str(tokfile))
    am = start_alertmanager(str(tmp_path), am_conf)
    prom = start_prometheus(str(tmp_path), d.port,
                            rule_files=[os.path.join(ROOT, "conf", "prometheus-rules.yml")],
                            alertmanager_port=am.port)
    load = Load([s["replicas"][0]["address"]], threads=2)
    try:
        wait_for(lambda: status(d, svc)["desired"] == 2, timeout=90, interval=0.5,
                 what="scale up from the Alertmanager webhook")
        assert "alert DockscaleServiceBusy" in d.log()
        metrics = d.get("/metrics")[1]
        assert 'dockscale_webhooks_total{code="200"}' in metrics
        assert 'dockscale_webhooks_total{code="401"} 0' in metrics
        wait_ready(d, svc, 2)
    finally:
        load.stop()
        prom.stop()
        am.stop()


def test_reload_keeps_cooldowns_and_applies_new_bounds(daemon_factory, svc, tmp_path):
    base = dict(min_replicas=1, max_replicas=3, scale_up_cooldown="60s")
    d = with_token(daemon_factory, tmp_path, service_conf(svc, **base)).start()
    wait_ready(d, svc, 1)
    url = d.url + "/api/v1/alerts"
    out = http("POST", url, body=payload([alert(svc, "scale_up", fp="r1")]), headers=AUTH)[1]
    assert out["stepped"] == 1, out
    wait_ready(d, svc, 2)
    # Reload with new bounds: min 3 applies at once; the running up-cooldown survives.
    d.write_config(service_conf(svc, **dict(base, min_replicas=3, max_replicas=4)))
    d.signal(__import__("signal").SIGHUP)
    wait_ready(d, svc, 3)
    assert status(d, svc)["cooldown_up_left_ms"] > 0
    out = http("POST", url, body=payload([alert(svc, "scale_up", fp="r2")]), headers=AUTH)[1]
    assert out["held"] == 1 and "cooldown" in out["alerts"][0]["reason"], out
    assert status(d, svc)["max_replicas"] == 4
