"""A tiny Docker Engine API client over the unix socket, for test setup and checks."""
import http.client
import json
import socket
import urllib.parse

SOCK = "/var/run/docker.sock"
LABEL = "io.dockscale.service"


class _Conn(http.client.HTTPConnection):
    def __init__(self, timeout=60):
        super().__init__("localhost", timeout=timeout)

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(SOCK)


def call(method, path, body=None, timeout=60):
    c = _Conn(timeout)
    headers = {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    c.request(method, "/v1.41" + path, body=data, headers=headers)
    r = c.getresponse()
    raw = r.read()
    c.close()
    try:
        return r.status, json.loads(raw) if raw else None
    except ValueError:
        return r.status, raw.decode(errors="replace")


def ping():
    try:
        return call("GET", "/_ping", timeout=2)[0] == 200
    except OSError:
        return False


def containers(service=None, all=True):
    """Containers carrying our label (for `service` if given)."""
    label = f"{LABEL}={service}" if service else LABEL
    q = urllib.parse.urlencode({"all": "1" if all else "0",
                                "filters": json.dumps({"label": [label]})})
    status, body = call("GET", "/containers/json?" + q)
    assert status == 200, body
    return body


def running(service):
    return [c for c in containers(service) if c["State"] == "running"]


def names(ctrs):
    return sorted(c["Names"][0].lstrip("/") for c in ctrs)


def inspect(cid):
    return call("GET", f"/containers/{cid}/json")[1]


def remove(cid):
    return call("DELETE", f"/containers/{cid}?force=1&v=1")[0]


def kill(cid, sig="KILL"):
    return call("POST", f"/containers/{cid}/kill?signal={sig}")[0]


def create(name, image, labels=None, cmd=None):
    body = {"Image": image, "Labels": labels or {}}
    if cmd:
        body["Cmd"] = cmd
    status, out = call("POST", "/containers/create?name=" + urllib.parse.quote(name), body)
    assert status == 201, out
    return out["Id"]


def start(cid):
    return call("POST", f"/containers/{cid}/start")[0]


def cleanup(service):
    for c in containers(service):
        remove(c["Id"])


def remove_named(name):
    status, body = call("GET", f"/containers/{name}/json")
    if status == 200:
        remove(body["Id"])
