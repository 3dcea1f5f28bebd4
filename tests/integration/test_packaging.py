"""Installation and the systemd unit: make install layout, systemd-analyze verify/security."""
import os
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
