"""Scheduled bounds on the real engine (doc/scaling.md, "Scheduled bounds"): a window
starting a few seconds ahead, computed now in UTC: min rises at its start, falls at its
end, and stays the service's before it."""
import datetime
import time

from conftest import wait_for
import dockerapi as dk
from test_replicas import service_conf, status, wait_ready

DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
LEAD_S, LENGTH_S = 10, 25  # the window opens this long after the daemon's start, for so long


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc)


def window():
    """(line, start, end): today's window, LEAD_S ahead; one that would cross midnight
    UTC waits for the next day instead."""
    now = utc_now()
    start = (now + datetime.timedelta(seconds=LEAD_S)).replace(microsecond=0)
    end = start + datetime.timedelta(seconds=LENGTH_S)
    if end.date() != now.date():
        time.sleep((end - now).total_seconds() + 1)
        return window()
    line = f"{DAYS[start.weekday()]} {start:%H:%M:%S}-{end:%H:%M:%S} min=2"
    return line, start.timestamp(), end.timestamp()


def test_window_raises_min_at_start_and_restores_at_end(daemon_factory, svc):
    line, start, end = window()
    d = daemon_factory(service_conf(svc, min_replicas=1, max_replicas=3, timezone="UTC",
                                    schedule=line)).start()
    # Before the window: the service's bounds, and the change announced.
    first = True
    while time.time() < start - 0.5:
        s = status(d, svc)
        sch = s["schedule"]
        assert sch["active"] is None and sch["min"] == 1 and sch["max"] == 3, sch
        assert sch["timezone"] == "UTC" and sch["windows"] == [line]
        assert sch["next_change_unix_ms"] == int(start * 1000), sch
        assert sch["next_window"] == line
        assert s["desired"] <= 1, s
        if first:
            code, ex, _ = d.get(f"/api/v1/services/{svc}/explain")
            assert code == 200
            assert any(x.startswith("schedule: no window in force: min 1, max 3 (the "
                                    "service's) until ") and x.endswith(" UTC ("
                                    + line.rsplit(" ", 1)[0] + ")")
                       for x in ex["lines"]), ex["lines"]
            first = False
        time.sleep(0.2)
    # At its start: desired 2, and two ready replicas.
    wait_for(lambda: status(d, svc)["desired"] == 2, timeout=end - time.time() - 1,
             interval=0.1, what="desired 2 at the window's start")
    assert time.time() >= start - 0.05
    s = status(d, svc)
    assert s["schedule"]["active"] == line and s["schedule"]["min"] == 2
    assert s["schedule"]["next_change_unix_ms"] == int(end * 1000)
    code, ex, _ = d.get(f"/api/v1/services/{svc}/explain")
    when = " ".join(line.split()[:2])
    assert any(x.startswith(f"schedule: {when} in force: min 2, max 3 until ")
               and x.endswith(" UTC") for x in ex["lines"]), ex["lines"]
    wait_ready(d, svc, 2, timeout=max(end - time.time() - 1, 1))
    # In the window: it stays 2 until its end.
    while time.time() < end - 0.5:
        assert status(d, svc)["desired"] == 2
        time.sleep(0.2)
    # At its end: back to the service's min.
    wait_for(lambda: status(d, svc)["desired"] == 1, timeout=10, interval=0.1,
             what="desired 1 after the window's end")
    assert time.time() >= end - 0.05
    s = status(d, svc)
    assert s["schedule"]["active"] is None and s["schedule"]["min"] == 1
    wait_for(lambda: len(dk.running(svc)) == 1, timeout=30, what="one replica left")
    log = d.log()
    assert f"desired replicas 1 -> 2 (schedule: {line})" in log
    assert "desired replicas 2 -> 1 (schedule: no window" in log
