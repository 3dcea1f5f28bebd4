#!/usr/bin/python3
"""Notifications never delay a decision (doc/notifications.md): alert -> the create call
(`last_scale_up_ms.to_create_call`) with every event sent to a receiver that holds each
request 60 s, against the same with a receiver that answers at once, in the same run
(two daemons, one after the other, BENCH_NOTIFY_N alert steps each, default 8). Goal: the
hanging receiver's median within noise of the answering one's (ratio ~1.0x).
"""
import json
import os
import shutil
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from common import (BenchDaemon, command, dk, emit, fmt_ratio, median, on_sigterm,
                    remove_bench_containers, service_name, wait_for)
from test_replicas import service_conf, status

N = int(os.environ.get("BENCH_NOTIFY_N", "8"))
SCRIPT = "notify_delay.py"


class Receiver:
    def __init__(self, hang):
        self.release = threading.Event()
        self.got = 0
        outer = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                outer.got += 1
                if hang:
                    outer.release.wait(60)
                    return
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.srv.daemon_threads = True
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.srv.server_address[1]}/hook"

    def close(self):
        self.release.set()
        self.srv.shutdown()
        self.srv.server_close()


def alert(svc, fp):
    return {"version": "4", "groupKey": "{}:{}", "truncatedAlerts": 0, "status": "firing",
            "receiver": "dockscale", "groupLabels": {}, "commonLabels": {},
            "commonAnnotations": {}, "externalURL": "http://am",
            "alerts": [{"status": "firing", "labels": {"alertname": "Load",
                        "dockscale_service": svc, "dockscale_action": "scale_up"},
                        "annotations": {}, "startsAt": "2026-12-07T10:00:00Z",
                        "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://p",
                        "fingerprint": fp}]}


def one_run(tmp, hang):
    rec = Receiver(hang)
    svc = service_name("nd")
    body = (service_conf(svc, min_replicas=1, max_replicas=N + 1, metric="none",
                         scale_up_cooldown="0s", balancer="none")
            + f"[notify]\nurl = {rec.url}\nevents = all\n")
    d = BenchDaemon(tmp, body, name="hang" if hang else "ok")
    out = []
    try:
        d.start()
        wait_for(lambda: status(d, svc)["ready"] == 1, timeout=60, what="one ready")
        for i in range(N):
            want = i + 2
            code, _, _ = d.post("/api/v1/alerts", body=alert(svc, f"fp{hang}{i}"),
                                headers={"Content-Type": "application/json"})
            assert code == 200, code
            wait_for(lambda: status(d, svc)["ready"] == want, timeout=60,
                     what=f"{want} ready")
            out.append(status(d, svc)["last_scale_up_ms"]["to_create_call"])
        sent = rec.got
    finally:
        d.stop()
        rec.close()
        dk.cleanup(svc)
    return out, sent


def main():
    on_sigterm()
    remove_bench_containers()
    tmp = tempfile.mkdtemp(prefix="bench-notify-")
    try:
        ok, ok_sent = one_run(tmp, hang=False)
        hung, hung_sent = one_run(tmp, hang=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        remove_bench_containers()
    print(json.dumps({"answering": ok, "hanging": hung, "sent": [ok_sent, hung_sent]}))
    m_ok, m_hung = median(ok), median(hung)
    emit("alert -> create call, every event to a receiver that hangs 60 s "
         f"(median of {N})", f"{m_hung:.3f} ms", f"{m_ok:.3f} ms with a receiver that "
         "answers at once", fmt_ratio(m_hung / m_ok if m_ok else float("nan")), command(SCRIPT),
         f"requests the receivers got: {ok_sent} answered, {hung_sent} held")


if __name__ == "__main__":
    main()
