"""Installation and the systemd unit: make install layout, systemd-analyze verify/security;
the Debian package of `make deb` (doc/packaging.md): its files, conffiles, computed
Depends, the unit enabled by dh_installsystemd, lintian clean."""
import os
import re
import shutil
import subprocess

import pytest

from conftest import BINARY, ROOT


def test_make_install_honours_destdir_and_prefix(tmp_path):
    dest = tmp_path / "root"
    r = subprocess.run(["make", "-s", "-C", ROOT, "install", f"DESTDIR={dest}", "PREFIX=/opt/ds",
                        f"BUILD={os.path.dirname(BINARY)}"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert os.access(dest / "opt/ds/sbin/dockscaled", os.X_OK)
    assert (dest / "etc/dockscale/dockscale.conf").is_file()
    # nginx includes it to send its access log (doc/traffic.md)
    assert "log_format dockscale" in (dest / "etc/dockscale/nginx-dockscale-log.conf").read_text()
    unit = (dest / "lib/systemd/system/dockscale.service").read_text()
    assert "ExecStart=/opt/ds/sbin/dockscaled" in unit and "@SBINDIR@" not in unit
    # Documentation= names what was installed
    assert "file:///opt/ds/share/doc/dockscale/README.md" in unit and "@DOCDIR@" not in unit
    assert (dest / "opt/ds/share/doc/dockscale/README.md").is_file()
    assert (dest / "opt/ds/share/doc/dockscale/doc/waking.md").is_file()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_unit_verifies_and_exposure_is_low(tmp_path):
    unit = open(os.path.join(ROOT, "systemd", "dockscale.service")).read()
    path = tmp_path / "dockscale.service"
    path.write_text(unit.replace("@SBINDIR@", os.path.dirname(BINARY))
                    .replace("@DOCDIR@", "/usr/share/doc/dockscale"))
    r = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    r = subprocess.run(["systemd-analyze", "security", "--offline=true", "--threshold=30",
                        str(path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Type=notify" in unit and "RestartPreventExitStatus=78" in unit


def make_version():
    m = re.search(r"^VERSION\s*:=\s*(\S+)$", open(os.path.join(ROOT, "Makefile")).read(), re.M)
    return m.group(1)


# What the package holds (doc/packaging.md, "What it installs").
DEB_FILES = ["./usr/sbin/dockscaled", "./usr/bin/dockscalectl",
             "./lib/systemd/system/dockscale.service",
             "./usr/share/man/man8/dockscaled.8.gz", "./usr/share/man/man1/dockscalectl.1.gz",
             "./usr/share/man/man5/dockscale.conf.5.gz",
             "./usr/share/bash-completion/completions/dockscalectl",
             "./etc/dockscale/dockscale.conf", "./etc/dockscale/nginx-dockscale-log.conf",
             "./usr/share/doc/dockscale/README.md", "./usr/share/doc/dockscale/doc/packaging.md",
             "./usr/share/doc/dockscale/copyright", "./usr/share/doc/dockscale/changelog.gz"]


@pytest.mark.skipif(any(shutil.which(t) is None for t in ("dh", "dpkg-buildpackage", "lintian")),
                    reason="no debhelper, dpkg-dev or lintian (make deps installs them)")
def test_make_deb_builds_a_lintian_clean_package(tmp_path):
    build = tmp_path / "build"
    # one job: the parallel pass of the suite runs beside it
    r = subprocess.run(["make", "-C", ROOT, "deb", f"BUILD={build}", "CHECK_JOBS=1"],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
    arch = subprocess.run(["dpkg-architecture", "-qDEB_HOST_ARCH"], capture_output=True,
                          text=True, check=True).stdout.strip()
    base = f"dockscale_{make_version()}_{arch}"
    deb = build / f"{base}.deb"
    assert deb.is_file(), sorted(os.listdir(build))
    assert (build / f"{base}.changes").is_file()

    listing = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True,
                             check=True).stdout
    paths = {line.split()[-1] for line in listing.splitlines()}
    assert not [f for f in DEB_FILES if f not in paths], listing
    assert not [p for p in paths if "/build/" in p or p.startswith("./usr/local")], listing

    def field(name):
        return subprocess.run(["dpkg-deb", "-f", str(deb), name], capture_output=True,
                              text=True, check=True).stdout.strip()
    depends = field("Depends")
    for lib in ("libcurl4", "libcjson1", "libmicrohttpd12", "libinih1", "libc6"):
        assert re.search(rf"\b{lib} \(>= ", depends), depends  # computed by dh_shlibdeps
    assert field("Package") == "dockscale" and field("Version") == make_version()

    def control(name):
        return subprocess.run(["dpkg-deb", "-I", str(deb), name], capture_output=True,
                              text=True, check=True).stdout
    assert control("conffiles").split() == ["/etc/dockscale/dockscale.conf",
                                            "/etc/dockscale/nginx-dockscale-log.conf"]
    postinst = control("postinst")
    assert "deb-systemd-helper enable 'dockscale.service'" in postinst
    assert "deb-systemd-invoke $_dh_action 'dockscale.service'" in postinst
    assert "rm -rf /run/dockscale" in control("postrm")

    # the packaged files: the unit's placeholders replaced; the configuration means the
    # defaults and no service (every key commented out) and loads
    root = tmp_path / "root"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    unit = (root / "lib/systemd/system/dockscale.service").read_text()
    assert "ExecStart=/usr/sbin/dockscaled " in unit and "@SBINDIR@" not in unit
    assert "@DOCDIR@" not in unit
    assert "Documentation=file:///usr/share/doc/dockscale/README.md" in unit
    conf = (root / "etc/dockscale/dockscale.conf").read_text()
    live = [line for line in conf.splitlines() if line and line[0] not in "#;["]
    assert live == [] and "#[service web]" in conf, live
    r = subprocess.run([str(root / "usr/sbin/dockscaled"), "--check-config", "-c",
                        str(root / "etc/dockscale/dockscale.conf")],
                       capture_output=True, text=True, timeout=10, env={"PATH": "/nonexistent"})
    assert r.returncode == 0, r.stdout + r.stderr

    r = subprocess.run(["lintian", "--fail-on", "error,warning", str(build / f"{base}.changes")],
                       capture_output=True, text=True, timeout=300)
    tags = [line for line in r.stdout.splitlines() if re.match(r"^[EW]: ", line)]
    assert r.returncode == 0 and tags == [], r.stdout + r.stderr
