"""The documentation cannot drift (doc/configuration.md, "The key reference"):
dockscale.conf(5), the one key reference, lists exactly the keys of the daemon's tables
(`dockscaled --list-keys`) and of conf/dockscale.conf; the man pages render without
warnings; `make install` ships them and the bash completion, which completes commands and
options."""
import os
import re
import shutil
import subprocess

import pytest

from conftest import BINARY, ROOT

MAN = os.path.join(ROOT, "conf", "man")
PAGES = ["dockscaled.8", "dockscale.conf.5", "dockscalectl.1"]
GLOBAL = {"daemon", "docker", "prometheus", "nginx", "haproxy"}


def section_of(name):
    """[service NAME] and [service] are one section; the others are named as they are."""
    name = name.strip("[]`").split()[0]
    return name if name in GLOBAL else "service"


def daemon_keys():
    r = subprocess.run([BINARY, "--list-keys"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 0, r.stderr
    keys = [tuple(line.split()) for line in r.stdout.splitlines()]
    assert len(keys) > 50 and all(len(k) == 2 for k in keys), r.stdout
    assert len(set(keys)) == len(keys), "a key is listed twice"
    return set(keys)


def plain_roff(s):
    s = re.sub(r"\\f[BIRP]", "", s).replace("\\-", "-").replace("\\e", "\\")
    return " ".join(s.replace("\\(em", "—").split())


def suggest(keys):
    """Skeletons of dockscale.conf.5 entries for keys, to fill in and put in its KEYS
    section under the key's .SS heading."""
    return "\n".join(f"[{sec}]\n.TP\n.B {key}\nDefault: \\fBDEFAULT\\fR.\nRULE.\n"
                     for sec, key in sorted(keys))


def man5_keys():
    """{(section, key): default} from dockscale.conf(5)'s KEYS section."""
    lines = open(os.path.join(MAN, "dockscale.conf.5")).read().splitlines()
    out, sec = {}, None
    for i, line in enumerate(lines):
        m = re.match(r'^\.SS "(\[.*\])"$', line)
        if m:
            sec = section_of(m.group(1))
        if line == ".TP" and lines[i + 1].startswith(".B ") and sec is not None:
            key = lines[i + 1][3:].strip()
            m = re.match(r"^Default: (.*)\.$", lines[i + 2])
            assert m, f"dockscale.conf.5: no 'Default: ...' line for {key}"
            out[(sec, key)] = plain_roff(m.group(1))
        if line.startswith(".SH") and sec is not None and "KEYS" not in line:
            break
    return out


def example_conf_keys():
    """Every key conf/dockscale.conf shows (set or commented out)."""
    out, sec = set(), None
    for line in open(os.path.join(ROOT, "conf", "dockscale.conf")):
        m = re.match(r"^#?\s*\[([a-z]+)", line)
        if m:
            sec = section_of(m.group(1))
            continue
        m = re.match(r"^#? ?([a-z_]+) =", line)
        if m and sec:
            out.add((sec, m.group(1)))
    return out


def test_conf5_documents_every_key_of_the_daemon_and_the_example():
    keys = daemon_keys()
    man = man5_keys()
    missing = keys - set(man)
    assert missing == set(), ("keys missing from conf/man/dockscale.conf.5; skeletons for "
                              "its KEYS section:\n" + suggest(missing))
    assert set(man) - keys == set(), "dockscale.conf.5 documents keys the daemon lacks"
    assert all(man.values()), "dockscale.conf.5: an empty 'Default:' line"
    # a key table the listing forgot would still show up in the commented example
    example = example_conf_keys()
    assert example - keys == set(), "conf/dockscale.conf has keys --list-keys lacks"
    assert keys - example == set(), "keys conf/dockscale.conf does not show"


@pytest.mark.parametrize("page", PAGES)
def test_man_page_renders_without_warnings(page):
    env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8")
    r = subprocess.run(["man", "--warnings", "-l", os.path.join(MAN, page)],
                       capture_output=True, text=True, env=env, timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stderr == "", r.stderr
    name = page.rsplit(".", 1)[0].upper()
    assert r.stdout.startswith(name), r.stdout[:200]


def test_man_pages_carry_the_version():
    r = subprocess.run([BINARY, "--version"], capture_output=True, text=True, timeout=10)
    version = r.stdout.split()[1]
    for page in PAGES:
        th = next(ln for ln in open(os.path.join(MAN, page)) if ln.startswith(".TH "))
        assert f'"dockscale {version}"' in th, (page, th)


def test_ctl_man_page_and_usage_agree_on_commands_and_exit_codes():
    man = open(os.path.join(MAN, "dockscalectl.1")).read()
    usage = subprocess.run([os.path.join(os.path.dirname(BINARY), "dockscalectl"), "help"],
                           capture_output=True, text=True, timeout=10).stdout
    for cmd in ("status", "explain", "events", "scale", "pause", "resume", "rollout",
                "version", "help"):
        assert re.search(rf"^\.(B|BR|BI) {cmd}\b", man, re.M), cmd
        assert re.search(rf"^  {cmd}\b", usage, re.M), cmd
    for code in ("0", "1", "2", "3"):
        assert f".B {code}\n" in man
    assert "0 ok, 1 refused" in usage and "2 usage error, 3 daemon unreachable" in usage


def test_make_install_ships_ctl_man_pages_and_completion(tmp_path):
    dest = tmp_path / "root"
    r = subprocess.run(["make", "-s", "-C", ROOT, "install", f"DESTDIR={dest}", "PREFIX=/opt/ds",
                        f"BUILD={os.path.dirname(BINARY)}"], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    assert os.access(dest / "opt/ds/bin/dockscalectl", os.X_OK)
    for sub, page in (("man8", "dockscaled.8"), ("man5", "dockscale.conf.5"),
                      ("man1", "dockscalectl.1")):
        assert (dest / "opt/ds/share/man" / sub / page).read_text() == \
            open(os.path.join(MAN, page)).read()
    comp = dest / "opt/ds/share/bash-completion/completions/dockscalectl"
    assert "complete -F _dockscalectl dockscalectl" in comp.read_text()


def complete(words, env=None):
    """COMPREPLY of the completion for the command line `words` (the last one is the word
    being completed)."""
    script = os.path.join(ROOT, "conf", "dockscalectl.bash")
    arr = " ".join("'" + w.replace("'", "'\\''") + "'" for w in words)
    prog = (f"source '{script}'; COMP_WORDS=({arr}); COMP_CWORD={len(words) - 1}; "
            "_dockscalectl; printf '%s\\n' \"${COMPREPLY[@]}\"")
    e = dict(os.environ, DOCKSCALECTL=os.path.join(os.path.dirname(BINARY), "dockscalectl"))
    e.update(env or {})
    r = subprocess.run(["bash", "-c", prog], capture_output=True, text=True, env=e, timeout=30)
    assert r.returncode == 0, r.stderr
    return [w for w in r.stdout.splitlines() if w]


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash")
def test_completion_of_commands_and_options():
    assert complete(["dockscalectl", ""]) == ["status", "explain", "events", "scale", "pause",
                                              "resume", "rollout", "version", "help"]
    assert complete(["dockscalectl", "--json", "re"]) == ["resume"]
    assert "--follow" in complete(["dockscalectl", "events", "--"])
    assert "--follow" not in complete(["dockscalectl", "status", "--"])
    assert complete(["dockscalectl", "rollout", "web", "--r"]) == ["--restart"]
    # past the service operand nothing more is offered (scale's N is a number)
    assert complete(["dockscalectl", "-H", "http://127.0.0.1:1", "scale", "web", ""]) == []
    # the daemon does not answer: no service names, and no error
    assert complete(["dockscalectl", "-H", "http://127.0.0.1:1", "status", ""]) == []
