"""The documentation cannot drift (doc/configuration.md, "The key reference"):
dockscale.conf(5), the one key reference, lists exactly the keys of the daemon's tables
(`dockscaled --list-keys`) and of conf/dockscale.conf; the man pages render without
warnings; `make install` ships them and the bash completion, which completes commands and
options. README.md stays short, links every page of doc/, and no relative link of
README.md or doc/*.md (nor a doc/ page cited in the sources) points to a file or heading
that does not exist."""
import glob
import os
import re
import shutil
import subprocess

import pytest

from conftest import BINARY, ROOT

MAN = os.path.join(ROOT, "conf", "man")
PAGES = ["dockscaled.8", "dockscale.conf.5", "dockscalectl.1"]
GLOBAL = {"daemon", "docker", "prometheus", "nginx", "notify", "haproxy"}
README_MAX_LINES = 400
# where the sources cite doc pages (code comments, test docstrings, the example config)
CITING = ["src", "include", "tests", "conf", "systemd", "Makefile"]


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


# ---- README.md and doc/ -----------------------------------------------------------------

def doc_pages():
    """README.md and every page of doc/, as paths relative to ROOT."""
    pages = sorted(os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "doc", "*.md")))
    assert len(pages) >= 10, pages
    return ["README.md"] + pages


def prose(text):
    """The Markdown text outside fenced code blocks and inline code spans, line by line
    (a code span is blanked out, the lines stay where they were)."""
    out, fence = [], None
    for line in text.split("\n"):
        m = re.match(r"^ {0,3}(```|~~~)", line)
        if fence:
            out.append("")
            if m and m.group(1) == fence:
                fence = None
            continue
        if m:
            fence = m.group(1)
            out.append("")
            continue
        out.append(re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", lambda c: " " * len(c.group(0)), line))
    return out


def slug(heading):
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to -."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path):
    """The heading anchors of a Markdown file (a repeated one gets -1, -2 ...)."""
    text = open(os.path.join(ROOT, path)).read()
    out, seen, fence = set(), {}, None
    for line in text.split("\n"):
        m = re.match(r"^ {0,3}(```|~~~)", line)
        if m and (fence is None or m.group(1) == fence):
            fence = None if fence else m.group(1)
            continue
        h = re.match(r"^ {0,3}#{1,6} +(.*?)[ #]*$", line)
        if fence is None and h:
            a = slug(h.group(1))
            n = seen.get(a, 0)
            seen[a] = n + 1
            out.add(a if n == 0 else f"{a}-{n}")
    return out


def links(path):
    """[(line number, target)] of the inline links and images of a Markdown file."""
    out = []
    for i, line in enumerate(prose(open(os.path.join(ROOT, path)).read()), 1):
        for m in re.finditer(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)", line):
            out.append((i, m.group(1)))
    return out


def test_readme_is_short():
    n = open(os.path.join(ROOT, "README.md")).read().count("\n")
    assert n <= README_MAX_LINES, f"README.md has {n} lines; move detail to a doc/ page"


def test_readme_links_every_doc_page():
    linked = {os.path.normpath(t.split("#")[0]) for _, t in links("README.md")}
    unlinked = [p for p in doc_pages()[1:] if p not in linked]
    assert unlinked == [], f"doc/ pages README.md does not link: {unlinked}"


def test_every_relative_link_names_a_file_and_heading_that_exist():
    broken = []
    for page in doc_pages():
        for line, target in links(page):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto: ...
                continue
            path, _, anchor = target.partition("#")
            dest = os.path.normpath(os.path.join(os.path.dirname(page), path)) if path else page
            if not os.path.exists(os.path.join(ROOT, dest)):
                broken.append(f"{page}:{line}: {target}: no file {dest}")
            elif anchor and (not dest.endswith(".md") or anchor not in anchors(dest)):
                broken.append(f"{page}:{line}: {target}: no heading #{anchor} in {dest}")
    assert broken == [], "\n".join(broken)


def cited_pages():
    """[(file:line, page, section or None)] for every `doc/NAME.md` the sources cite, with
    the section that follows it on the same line, quoted (doc/waking.md, "Limits") or in a
    man page's italics."""
    out = []
    for top in CITING:
        base = os.path.join(ROOT, top)
        files = [base] if os.path.isfile(base) else \
            [os.path.join(d, f) for d, _, fs in os.walk(base) for f in fs]
        for f in files:
            if "/corpus_" in f or "/build/" in f:
                continue
            try:
                text = open(f, encoding="utf-8").read()
            except (UnicodeDecodeError, OSError):
                continue
            for i, line in enumerate(text.split("\n"), 1):
                for m in re.finditer(r'\b(doc/[a-z0-9_-]+\.md)(?:,? (?:"([^"\\]+)"|\\"([^"\\]+)\\"|'
                                     r'\\fI(.+?)\\fR))?', line):
                    out.append((f"{os.path.relpath(f, ROOT)}:{i}", m.group(1),
                                m.group(2) or m.group(3) or m.group(4)))
    return out


def test_doc_pages_cited_in_the_sources_exist():
    wrong = []
    for where, page, section in cited_pages():
        if not os.path.exists(os.path.join(ROOT, page)):
            wrong.append(f"{where}: {page} does not exist")
        elif section and slug(section) not in anchors(page):
            wrong.append(f'{where}: {page} has no heading "{section}"')
    assert wrong == [], "\n".join(wrong)


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
                                              "resume", "rollout", "health", "version", "help"]
    assert complete(["dockscalectl", "--json", "re"]) == ["resume"]
    assert "--follow" in complete(["dockscalectl", "events", "--"])
    assert "--follow" not in complete(["dockscalectl", "status", "--"])
    assert complete(["dockscalectl", "rollout", "web", "--r"]) == ["--restart"]
    # past the service operand nothing more is offered (scale's N is a number)
    assert complete(["dockscalectl", "-H", "http://127.0.0.1:1", "scale", "web", ""]) == []
    # the daemon does not answer: no service names, and no error
    assert complete(["dockscalectl", "-H", "http://127.0.0.1:1", "status", ""]) == []
