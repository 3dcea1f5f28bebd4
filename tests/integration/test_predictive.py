"""policy = predictive on a real CPU load: the status API and the decision line show
level, trend, horizon and forecast, and the horizon becomes the service's own measured
create-to-serving time (doc/scaling.md, "Predictive policy")."""
import dockerapi as dk
from conftest import wait_for
from test_replicas import service_conf, status, wait_ready
from test_scaling import Load


def test_predictive_scales_up_and_shows_its_forecast(daemon_factory, svc):
    # readiness = health: joined on the image's 1 s HEALTHCHECK, so create to serving
    # takes over a second (the HTTP probe of auto would beat the 1 s floor: doc/readiness.md
    # "Readiness").
    d = daemon_factory(service_conf(svc, metric="docker_cpu", policy="predictive", target=40,
                                    cpus="0.5", min_replicas=1, max_replicas=2,
                                    readiness="health",
                                    scale_up_cooldown="1s", scale_down_for="2s",
                                    scale_down_cooldown="1s")).start()
    s = wait_ready(d, svc, 1)
    pred = wait_for(lambda: status(d, svc)["last_decision"].get("prediction"), timeout=20,
                    what="a predictive decision")
    # The first replica's own create call to serving (no nginx here: the balancer's sync
    # is `true`; over a second with the image's 1 s HEALTHCHECK) is already the horizon,
    # not the 1 s interval it is floored at.
    assert pred["horizon_ms"] > 1000 and pred["level"] is not None
    load = Load([s["replicas"][0]["address"]], threads=3)
    try:
        wait_for(lambda: status(d, svc)["desired"] == 2, timeout=40, interval=0.3,
                 what="predictive scale-up under CPU load")
        wait_ready(d, svc, 2)
        dec = wait_for(lambda: (x := status(d, svc)["last_decision"]).get("prediction") and
                       x["prediction"]["horizon_ms"] > 1000 and x, timeout=20,
                       what="a predictive decision after the scale-up")
        assert dec["reason"].startswith("predictive: level ")
        for key in ("level", "trend_per_s", "forecast"):
            assert isinstance(dec["prediction"][key], (int, float)), dec
    finally:
        load.stop()
    line = [ln for ln in d.log().splitlines() if "scale up 1 -> 2" in ln][0]
    assert "level " in line and "trend " in line and "horizon " in line and "forecast " in line
    wait_for(lambda: status(d, svc)["desired"] == 1, timeout=60, interval=0.3,
             what="scale back down once the current value says so")
    wait_for(lambda: len(dk.containers(svc)) == 1, timeout=30, what="one container left")
