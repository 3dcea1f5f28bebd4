#!/usr/bin/python3
"""test_lint.py: owners.py and deps.py against the small C trees in tests/lint/fixtures.

Every line a checker must report carries a `VIOLATION` comment in the fixture (with the
kind, for deps.py); every other write, include or call in the fixtures is legal, so a test
fails both on a miss and on a false report. Run by `make lint`.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "fixtures")
PY = sys.executable


CACHE = tempfile.TemporaryDirectory()   # the fixtures' AST facts, shared by the tests


def run(script, *args):
    p = subprocess.run([PY, os.path.join(HERE, script), "--cache", CACHE.name] + list(args),
                       capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def marked(root, word="VIOLATION"):
    """{(path, line, kind)} of the lines marked in a fixture tree."""
    out = set()
    for d, _, files in os.walk(root):
        for f in files:
            if not f.endswith((".c", ".h")):
                continue
            p = os.path.join(d, f)
            with open(p, encoding="utf-8") as fh:
                for i, ln in enumerate(fh, 1):
                    m = re.search(word + r"(?: (\w+))?", ln)
                    if m:
                        out.add((os.path.relpath(p, root), i, m.group(1) or ""))
    return out


def reported(out):
    """{(path, line)} of a checker's FILE:LINE: lines."""
    return {(m.group(1), int(m.group(2)))
            for m in re.finditer(r"^((?:src|include)/[^:\s]+):(\d+): ", out, re.M)}


class Owners(unittest.TestCase):
    root = os.path.join(FIX, "owners")

    def test_every_violation_and_nothing_else(self):
        rc, out = run("owners.py", "--root", self.root, "--allow", "")
        self.assertEqual(rc, 1, out)
        want = {(p, n) for p, n, _ in marked(self.root)}
        self.assertEqual(reported(out), want, out)

    def test_the_message_names_field_struct_and_owner(self):
        _, out = run("owners.py", "--root", self.root, "--allow", "")
        self.assertIn("src/beta.c:8: field a of struct group written here (=), owned by "
                      "alpha.c (include/thing.h:13)", out)
        self.assertIn("field g.d of struct thing", out)
        self.assertIn("the whole struct thing written here (memset)", out)

    def test_allow_list_passes_known_fails_new_and_stale(self):
        with tempfile.TemporaryDirectory() as tmp:
            allow = os.path.join(tmp, "owners.allow")
            _, out = run("owners.py", "--root", self.root, "--allow", "")
            keys = set()
            for m in re.finditer(r"^(src/\S+):\d+: (?:field (\w+)\S* of (struct \w+)|the whole "
                                 r"(struct \w+))", out, re.M):
                keys.add("%s: %s.%s" % (m.group(1), m.group(3) or m.group(4),
                                        m.group(2) or "*"))
            with open(allow, "w") as fh:
                fh.write("# known\n" + "\n".join(sorted(keys)) + "\n")
            rc, out = run("owners.py", "--root", self.root, "--allow", allow)
            self.assertEqual((rc, out), (0, ""))
            # one known violation less in the list: it is new again
            dropped = sorted(keys)[0]
            with open(allow, "w") as fh:
                fh.write("\n".join(k for k in sorted(keys) if k != dropped) + "\n")
            rc, out = run("owners.py", "--root", self.root, "--allow", allow)
            self.assertEqual(rc, 1)
            self.assertIn(dropped.split(":")[0], out)
            # a line that no longer happens fails until pruned
            with open(allow, "w") as fh:
                fh.write("\n".join(sorted(keys)) + "\nsrc/thing.c: struct part.n\n")
            rc, out = run("owners.py", "--root", self.root, "--allow", allow)
            self.assertEqual(rc, 1)
            self.assertIn("'src/thing.c: struct part.n' no longer happens", out)
            rc, out = run("owners.py", "--root", self.root, "--allow", allow, "--prune")
            self.assertEqual(rc, 0, out)
            with open(allow) as fh:
                self.assertNotIn("src/thing.c: struct part.n", fh.read())
            rc, _ = run("owners.py", "--root", self.root, "--allow", allow)
            self.assertEqual(rc, 0)

    def test_report_counts_fields_with_several_writers(self):
        _, out = run("owners.py", "--root", self.root, "--allow", "", "--report",
                     "--struct", "thing")
        self.assertIn("struct thing (7 fields): 3 written by more than one file", out)
        self.assertRegex(out, r"count +other\.c thing\.c")

    def test_a_misplaced_or_dangling_annotation_fails(self):
        rc, out = run("owners.py", "--root", os.path.join(FIX, "owners_bad"), "--allow", "")
        self.assertEqual(rc, 1)
        self.assertIn("include/bad.h:5: owner annotation is next to no struct or field", out)
        self.assertIn("include/bad.h:7: owner annotation names missing.c, which is no file", out)


class Deps(unittest.TestCase):
    root = os.path.join(FIX, "deps")
    rules = os.path.join(FIX, "deps", "deps.txt")

    def deps(self, *args, root=None):
        root = root or self.root
        return run("deps.py", "--root", root, "--rules", os.path.join(root, "deps.txt"),
                   "--allow", "", *args)

    def test_every_violation_and_nothing_else(self):
        rc, out = self.deps()
        self.assertEqual(rc, 1, out)
        self.assertEqual(reported(out), {(p, n) for p, n, _ in marked(self.root)}, out)
        for p, n, kind in marked(self.root):
            line = [ln for ln in out.splitlines() if ln.startswith("%s:%d: " % (p, n))][0]
            self.assertEqual(kind, "cycle" if "in a circle" in line else
                             "include" if ": includes " in line else "call", line)

    def test_the_client_links_only_its_own_files(self):
        _, out = self.deps()
        self.assertNotIn("src/cl.c", out)

    def test_report_gives_the_largest_circle_per_layer(self):
        _, out = self.deps("--report")
        self.assertIn("largest circle inside Mid: 2 files: mid1.c mid2.c", out)
        self.assertIn("violations: 4 includes, 2 calls, 2 arrows in circles", out)

    def test_allow_list_passes_known_fails_stale(self):
        with tempfile.TemporaryDirectory() as tmp:
            allow = os.path.join(tmp, "deps.allow")
            with open(allow, "w") as fh:
                fh.write("include include/low.h -> include/top.h\n"
                         "include src/mid1.c -> include/secret.h\n"
                         "include src/mid1.c -> include/cl.h\n"
                         "include src/pure.c -> include/mid.h\n"
                         "call src/folder/low.c -> src/mid3.c\n"
                         "call src/pure.c -> src/mid3.c\n"
                         "cycle src/mid1.c -> src/mid2.c\n"
                         "cycle src/mid2.c -> src/mid1.c\n")
            rc, out = run("deps.py", "--root", self.root, "--rules", self.rules,
                          "--allow", allow)
            self.assertEqual((rc, out), (0, ""))
            with open(allow, "a") as fh:
                fh.write("call src/top.c -> src/mid3.c\n")
            rc, out = run("deps.py", "--root", self.root, "--rules", self.rules,
                          "--allow", allow)
            self.assertEqual(rc, 1)
            self.assertIn("'call src/top.c -> src/mid3.c' no longer happens", out)

    def test_a_file_in_no_module_fails(self):
        with tempfile.TemporaryDirectory() as tmp:
            root = os.path.join(tmp, "t")
            shutil.copytree(self.root, root)
            with open(os.path.join(root, "src", "stray.c"), "w") as fh:
                fh.write("/* stray.c */\nvoid stray(void);\nvoid stray(void)\n{\n}\n")
            rc, out = self.deps(root=root)
            self.assertEqual(rc, 1)
            self.assertIn("src/stray.c: in no module of deps.txt", out)

    def test_bad_rules_fail(self):
        with tempfile.TemporaryDirectory() as tmp:
            root = os.path.join(tmp, "t")
            shutil.copytree(self.root, root)
            with open(os.path.join(root, "deps.txt"), "a") as fh:
                fh.write("deny nowhere -> top\nmodule x Nolayer x\n")
            rc, out = self.deps(root=root)
            self.assertEqual(rc, 1)
            self.assertIn("nowhere is neither a module nor a layer", out)
            self.assertIn("module x is in layer Nolayer, which is not declared", out)


if __name__ == "__main__":
    unittest.main(verbosity=1)
