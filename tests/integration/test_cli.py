"""Command line and --check-config: exit codes and FILE:LINE messages (SPEC §2, §3)."""
import os
import re

from conftest import ROOT, run

SERVICE = """
[service web]
image = dockscale-demo:latest
port = 8080
"""


def write(tmp_path, text, name="t.conf"):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def test_shipped_example_config_is_valid():
    r = run(["--check-config", "-c", os.path.join(ROOT, "conf", "dockscale.conf")])
    assert r.returncode == 0, r.stderr
    assert "ok" in r.stdout
    # it writes every key out, at its default: not one of them is a warning
    assert "(warning)" not in r.stderr, r.stderr


# Keys that do nothing given the rest of the service (doc/configuration.md, "Keys that
# do nothing"): each warned on its own line, the file still valid.
MOOT = {
    "scale_up_threshold = 90": "metric = docker_memory\nmemory = 256m",
    "target = 50": "",
    "memory_target = 60": "",
    "query = up": "",
    "horizon = 30s": "",
    "wake_queue = 10": "",
    "upstream_name = up_x": "balancer = none",
}


def test_check_config_warns_about_keys_that_do_nothing(tmp_path):
    lines, want, out = [], [], []
    for key, ctx in MOOT.items():
        name = f"s{len(want)}"
        block = [f"[service {name}]", "image = app"] + (ctx.split("\n") if ctx else [])
        if "balancer = none" not in ctx:  # each nginx service its own file
            block.append(f"upstream_file = /tmp/{name}.conf")
        lines.append("\n".join(block) + "\n")
        out += block + [key]
        want.append((name, key.split(" = ")[0], len(out)))
        lines[-1] += key + "\n"
    text = "\n".join(out) + "\n"
    r = run(["--check-config", "-c", write(tmp_path, text)])
    assert r.returncode == 0, r.stderr
    for name, key, line in want:
        assert re.search(rf":{line}: service {name}: {key} has no effect: .* \(warning\)",
                         r.stderr), (name, key, line, r.stderr)
    assert r.stderr.count("(warning)") == len(want), r.stderr
    clean = "".join(x.replace(k + "\n", "") for x, k in zip(lines, MOOT))
    r = run(["--check-config", "-c", write(tmp_path, clean, "clean.conf")])
    assert r.returncode == 0 and "(warning)" not in r.stderr, r.stderr


def test_check_config_ok(tmp_path):
    p = write(tmp_path, "[daemon]\ninterval = 2s\n" + SERVICE)
    r = run(["--check-config", "-c", p])
    assert r.returncode == 0, r.stderr
    assert "1 service" in r.stdout


def test_no_service_is_valid_with_warning(tmp_path):
    p = write(tmp_path, "[daemon]\ninterval = 5s\n")
    r = run(["--check-config", "-c", p])
    assert r.returncode == 0
    assert "no [service]" in r.stderr


def test_check_config_reports_every_problem_with_file_and_line(tmp_path):
    text = ("[daemon]\n"               # 1
            "interval = soon\n"        # 2
            "bogus = 1\n"              # 3
            "[nosuch]\n"               # 4
            "[service Web]\n"          # 5
            "image = x\n"              # 6
            "[service api]\n"          # 7
            "image = x\n"              # 8
            "min_replicas = 4\n"       # 9
            "max_replicas = 2\n"       # 10
            "smoothing = 0\n")         # 11
    p = write(tmp_path, text)
    r = run(["--check-config", "-c", p])
    assert r.returncode == 78
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    got = {int(m.group(1)) for l in lines if (m := re.match(re.escape(p) + r":(\d+): ", l))}
    for line in (2, 3, 4, 5, 11):
        assert line in got, f"line {line} not reported:\n{r.stderr}"
    assert got & {7, 9, 10}, f"min > max not reported:\n{r.stderr}"
    assert all(l.startswith(p + ":") for l in lines), r.stderr


def test_missing_file_is_config_error(tmp_path):
    p = str(tmp_path / "absent.conf")
    r = run(["--check-config", "-c", p])
    assert r.returncode == 78
    assert p in r.stderr


def test_daemon_exits_78_on_bad_config(tmp_path):
    p = write(tmp_path, "[daemon]\ninterval = -3s\n")
    r = run(["-c", p])
    assert r.returncode == 78
    assert f"{p}:2:" in r.stderr


def test_usage_errors_exit_64():
    assert run(["--no-such-flag"]).returncode == 64
    assert run(["extra-arg"]).returncode == 64
    assert run(["-c"]).returncode == 64


def test_version_and_help():
    r = run(["--version"])
    assert r.returncode == 0 and r.stdout.startswith("dockscaled ")
    r = run(["--help"])
    assert r.returncode == 0 and "--check-config" in r.stdout
