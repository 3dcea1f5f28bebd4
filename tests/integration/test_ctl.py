"""dockscalectl against a running dockscaled and the real dockerd (doc/operating.md, "Operating
it"): the status table and detail match the API, scale changes the count, errors and
exit codes, --json, defaults from the daemon's config file with its token. The pause,
resume, events and explain tests skip while this daemon answers their endpoint 404."""
import json
import os
import re
import select
import signal
import subprocess
import time
import uuid

import pytest

import dockerapi as dk
from conftest import BINARY, ROOT, Daemon, free_port, wait_for

CTL = os.path.join(os.path.dirname(BINARY), "dockscalectl")
TOKEN = "ctl-" + uuid.uuid4().hex


def ctl(*args, env=None, timeout=30):
    e = {k: v for k, v in os.environ.items() if not k.startswith("DOCKSCALE_")}
    e.update(env or {})
    return subprocess.run([CTL] + list(args), capture_output=True, text=True, env=e,
                          timeout=timeout)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """One daemon with a token and one service for the module: replicas start once."""
    if not dk.ping():
        pytest.skip("no Docker Engine")
    tmp = str(tmp_path_factory.mktemp("ctl"))
    name = "t" + uuid.uuid4().hex[:8]
    tok = os.path.join(tmp, "token")
    with open(tok, "w") as f:
        f.write(TOKEN + "\n")
    dk.cleanup(name)
    # cpu never below 0 nor above 1000: the policy holds, so a manual scale stays
    body = (f"[service {name}]\nimage = dockscale-demo:latest\nport = 8080\n"
            f"min_replicas = 1\nmax_replicas = 3\nscale_up_threshold = 1000\n"
            f"scale_down_threshold = 0\ndrain = 0s\nstop_timeout = 1s\n"
            f"upstream_file = {tmp}/up.conf\nupstream_name = b_{name}\n")
    d = Daemon(tmp, body, name="ctl", daemon_extra=f"token_file = {tok}\n").start()
    try:
        wait_for(lambda: d.get(f"/api/v1/services/{name}")[1].get("ready") == 1, timeout=60,
                 what="the first replica ready")
        yield d, name
    finally:
        if d.proc.poll() is None:
            d.proc.kill()
            d.proc.wait()
        dk.cleanup(name)


def table(out):
    """The status table as a list of dicts keyed by its headers (split on 3+ spaces)."""
    lines = out.rstrip("\n").splitlines()
    head = re.split(r"\s{3,}", lines[0].strip())
    return head, [dict(zip(head, re.split(r"\s{3,}", ln.strip()))) for ln in lines[1:]]


def row_of(d, name):
    return next(x for x in table(ctl("-c", d.path, "status").stdout)[1] if x["SERVICE"] == name)


def test_status_table_and_detail_match_the_api(env):
    d, name = env
    r = ctl("-c", d.path, "status")            # no -H: the config file's listen
    assert r.returncode == 0, r.stderr
    head, rows = table(r.stdout)
    assert head == ["SERVICE", "READY/DESIRED", "MIN", "MAX", "METRIC VALUE/TARGET",
                    "LAST DECISION", "AGE"]
    row = next(x for x in rows if x["SERVICE"] == name)
    api = d.get(f"/api/v1/services/{name}")[1]
    assert row["READY/DESIRED"] == f"{api['ready']}/{api['desired']}"
    assert (row["MIN"], row["MAX"]) == ("1", "3")
    assert re.match(r"^cpu (\d+\.\d|-)/0\.\.1000$", row["METRIC VALUE/TARGET"]), row
    r = ctl("-c", d.path, "status", name)
    assert r.returncode == 0, r.stderr
    ids = [x["id"] for x in d.get(f"/api/v1/services/{name}")[1]["replicas"]]
    assert ids
    for cid in ids:
        assert re.search(rf"^  {cid[:12]}\s+\S+", r.stdout, re.M), r.stdout
        assert cid[:13] not in r.stdout
    assert f"Service:        {name}\n" in r.stdout
    assert "(min 1, max 3)" in r.stdout


def test_json_is_the_apis_answer(env):
    d, name = env
    r = ctl("-c", d.path, "--json", "status", name)
    assert r.returncode == 0, r.stderr
    got, api = json.loads(r.stdout), d.get(f"/api/v1/services/{name}")[1]
    volatile = {"cpu_percent", "memory_percent", "metric", "metrics", "cooldown_up_left_ms",
                "cooldown_down_left_ms", "backoff_left_ms", "pulling_for_ms", "age_ms"}

    def strip(o):
        if isinstance(o, dict):
            return {k: strip(v) for k, v in o.items() if k not in volatile}
        if isinstance(o, list):
            return [strip(v) for v in o]
        return o
    assert strip(got) == strip(api)
    r = ctl("-c", d.path, "--json", "status")
    assert r.returncode == 0
    assert name in [s["name"] for s in json.loads(r.stdout)["services"]]


def test_scale_changes_the_count_and_errors_are_the_apis(env):
    d, name = env
    r = ctl("-c", d.path, "scale", name, "2")  # the token comes from the config file
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"{name}: desired 2\n"
    wait_for(lambda: row_of(d, name)["READY/DESIRED"] == "2/2", timeout=60, interval=0.5,
             what="2/2 in the status table")
    r = ctl("-c", d.path, "scale", name, "9")
    assert r.returncode == 1
    assert r.stderr == "dockscalectl: replicas must be a whole number in [1, 3]\n"
    r = ctl("-c", d.path, "status", "nosuch-service")
    assert r.returncode == 1
    assert r.stderr == "dockscalectl: no such service: nosuch-service\n"
    r = ctl("-c", d.path, "scale", name, "1")
    assert r.returncode == 0, r.stderr
    wait_for(lambda: len(d.get(f"/api/v1/services/{name}")[1]["replicas"]) == 1, timeout=30,
             what="back to one replica, the other one gone")


def test_token_flag_env_and_a_wrong_token(env, tmp_path):
    d, name = env
    bad = tmp_path / "bad"
    bad.write_text("wrong\n")
    good = tmp_path / "good"
    good.write_text(f"  {TOKEN}  \n")
    r = ctl("-c", d.path, "--token-file", str(bad), "scale", name, "1")
    assert r.returncode == 1
    assert r.stderr.startswith("dockscalectl: unauthorized"), r.stderr
    # flag > environment > config
    r = ctl("-H", d.url, "scale", name, "1", env={"DOCKSCALE_TOKEN_FILE": str(bad)})
    assert r.returncode == 1 and "unauthorized" in r.stderr
    r = ctl("-H", d.url, "--token-file", str(good), "scale", name, "1",
            env={"DOCKSCALE_TOKEN_FILE": str(bad)})
    assert r.returncode == 0, r.stderr
    r = ctl("scale", name, "1", env={"DOCKSCALE_URL": d.url,
                                     "DOCKSCALE_TOKEN_FILE": str(good)})
    assert r.returncode == 0, r.stderr
    # a GET needs no token
    r = ctl("status", env={"DOCKSCALE_URL": d.url, "DOCKSCALE_TOKEN_FILE": str(bad)})
    assert r.returncode == 0, r.stderr
    r = ctl("-H", d.url, "--token-file", str(tmp_path / "absent"), "scale", name, "1")
    assert r.returncode == 2 and "cannot read token file" in r.stderr


def test_daemon_down_and_usage_exit_codes(tmp_path):
    port = free_port()
    r = ctl("-H", f"http://127.0.0.1:{port}", "status")
    assert r.returncode == 3
    assert r.stderr.startswith(f"dockscalectl: cannot reach dockscaled at "
                               f"http://127.0.0.1:{port}"), r.stderr
    conf = tmp_path / "c.conf"
    conf.write_text(f"[daemon]\nlisten = 127.0.0.1:{port}\n")
    assert ctl("-c", str(conf), "status").returncode == 3
    assert ctl("-c", str(tmp_path / "absent.conf"), "status").returncode == 2
    assert ctl("frobnicate").returncode == 2
    assert ctl("scale", "web").returncode == 2
    r = ctl("version")
    assert r.returncode == 0 and r.stdout.startswith("dockscalectl ")


def test_completion_offers_the_daemons_services(env):
    d, name = env
    script = os.path.join(ROOT, "conf", "dockscalectl.bash")
    prog = (f"source '{script}'; COMP_WORDS=(dockscalectl -c '{d.path}' pause ''); "
            "COMP_CWORD=4; _dockscalectl; printf '%s\\n' \"${COMPREPLY[@]}\"")
    r = subprocess.run(["bash", "-c", prog], capture_output=True, text=True, timeout=30,
                       env=dict(os.environ, DOCKSCALECTL=CTL))
    assert r.stdout.split() == [name], r.stdout + r.stderr


def endpoint_or_skip(d, path):
    """Skip while this daemon does not have the endpoint yet (it is built on another
    branch; the test runs once both are merged)."""
    st, body, _ = d.get(path)
    if st == 404 and "no such endpoint" in str(body):
        pytest.skip(f"{path}: not in this daemon yet")


def settled_last_id(d, quiet=1.5, timeout=20):
    """The last event id once no event came for `quiet` seconds (a replica that just
    became ready still has its balancer steps to come)."""
    deadline = time.monotonic() + timeout
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        cur = d.get("/api/v1/events?limit=1000")[1]["last_id"]
        if cur != last:
            last, since = cur, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return last
        time.sleep(0.1)
    raise AssertionError(f"events kept coming for {timeout}s")


def test_events_list_and_follow(env):
    d, name = env
    endpoint_or_skip(d, "/api/v1/events")
    line = re.compile(r"^(\S+) (\S+) (\S+) (.*)$")
    api = d.get(f"/api/v1/events?service={name}&limit=1000")[1]
    r = ctl("-c", d.path, "events", name)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    # a replica still draining from an earlier test may add events in between
    assert api["events"] and len(lines) >= len(api["events"])
    for ln, ev in zip(lines, api["events"]):
        # the message without the "SERVICE: " of its log line
        msg = ev["message"][len(name) + 2:] if ev["message"].startswith(name + ": ") \
            else ev["message"]
        assert line.match(ln).groups() == (ev["time"], name, ev["type"], msg), ln
    last = api["last_id"]
    r = ctl("-c", d.path, "--json", "events", "--since", str(last))
    assert r.returncode == 0, r.stderr
    assert all(ev["id"] > last for ev in json.loads(r.stdout)["events"])
    assert ctl("-c", d.path, "events", "nosuch-service").returncode == 1
    last = settled_last_id(d)
    p = subprocess.Popen([CTL, "-c", d.path, "events", name, "-f", "--since", str(last)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # nothing happens to the service, so nothing is printed: it waits
        assert select.select([p.stdout], [], [], 1.0)[0] == [], p.stdout.readline()
        assert p.poll() is None
        assert ctl("-c", d.path, "scale", name, "2").returncode == 0
        ready, _, _ = select.select([p.stdout], [], [], 20)
        assert ready, "no event line within 20 s of a scale"
        got = p.stdout.readline()
        assert line.match(got) and line.match(got).group(2) == name, got
        p.send_signal(signal.SIGINT)
        assert p.wait(timeout=5) == 0, p.stderr.read()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        ctl("-c", d.path, "scale", name, "1")
        wait_for(lambda: len(d.get(f"/api/v1/services/{name}")[1]["replicas"]) == 1,
                 timeout=30, what="back to one replica")


def test_pause_and_resume(env):
    d, name = env
    st, body, _ = d.post(f"/api/v1/services/{name}/resume", headers={
        "Authorization": f"Bearer {TOKEN}"})
    if st == 404 and "no such endpoint" in str(body):
        pytest.skip("pause/resume: not in this daemon yet")
    r = ctl("-c", d.path, "pause", name, "1")
    assert r.returncode == 0, r.stderr
    api = d.get(f"/api/v1/services/{name}")[1]
    assert api["paused"] is True and api["paused_replicas"] == 1
    assert row_of(d, name)["LAST DECISION"] == "paused at 1"
    assert "Paused:         yes" in ctl("-c", d.path, "status", name).stdout
    r = ctl("-c", d.path, "pause", name, "3000")
    assert r.returncode == 2
    r = ctl("-c", d.path, "resume", name)
    assert r.returncode == 0 and r.stdout == f"{name}: resumed\n"
    assert d.get(f"/api/v1/services/{name}")[1]["paused"] is False
    r = ctl("-c", d.path, "resume", "nosuch-service")
    assert r.returncode == 1 and "nosuch-service" in r.stderr


def test_explain(env):
    d, name = env
    endpoint_or_skip(d, f"/api/v1/services/{name}/explain")
    r = ctl("-c", d.path, "explain", name)
    assert r.returncode == 0, r.stderr
    api = d.get(f"/api/v1/services/{name}/explain")[1]
    out = r.stdout.splitlines()

    def shape(text):  # the values move with every pass (interval = 1s); the words do not
        return re.sub(r"-?\d+(\.\d+)?", "#", text)
    assert [shape(x) for x in out[:-1]] == [shape(x) for x in api["lines"]]
    assert shape(out[-1]) == shape(f"blocking: {api['blocking'] or 'nothing'}")
    r = ctl("-c", d.path, "--json", "explain", name)
    assert json.loads(r.stdout)["service"] == name


def test_events_follow_outlives_a_daemon_restart(tmp_path):
    """-f waits for a daemon that went away and follows the new run from its start."""
    name = "t" + uuid.uuid4().hex[:8]
    d = Daemon(str(tmp_path), f"[service {name}]\nimage = dockscale-demo:latest\n"
               f"min_replicas = 0\nbalancer = none\n", name="follow").start()
    p = subprocess.Popen([CTL, "-c", d.path, "events", "-f", "--since",
                          str(d.get("/api/v1/events")[1]["last_id"])],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        d.proc.kill()
        d.proc.wait()
        d.logf.close()
        # it says it waits, and does not exit (polled over 3 s)
        t0 = time.monotonic()
        while time.monotonic() - t0 < 3:
            assert p.poll() is None, p.stderr.read()
            time.sleep(0.1)
        d.start()
        d.signal(signal.SIGHUP)  # a reload: an event of the new run
        ready, _, _ = select.select([p.stdout], [], [], 45)
        assert ready, "no event line after the restart"
        got = p.stdout.readline()
        assert " reload " in got, got
        p.send_signal(signal.SIGINT)
        assert p.wait(timeout=5) == 0
        assert "following again in" in p.stderr.read()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        d.stop()
        dk.cleanup(name)
