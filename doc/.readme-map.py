#!/usr/bin/python3
"""Apply doc/.readme-map to the tree (run from the repository's top): each line is
OLD<TAB>NEW, with \\n, \\t and \\\\ standing for a newline, a tab and a backslash; rows
are applied in the file's order (longest first), as exact text replacements."""
import re
import subprocess
import sys

SCOPE = ["src", "include", "tests", "conf", "systemd", "Makefile"]


def unesc(s):
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t", "\\": "\\"}[m.group(1)], s)


rows = []
for line in open(sys.argv[1] if len(sys.argv) > 1 else "doc/.readme-map"):
    old, new = line.rstrip("\n").split("\t")
    rows.append((unesc(old), unesc(new)))
files = subprocess.run(["git", "ls-files"] + SCOPE, capture_output=True, text=True,
                       check=True).stdout.split()
used = [0] * len(rows)
for f in files:
    try:
        text = open(f, encoding="utf-8").read()
    except UnicodeDecodeError:
        continue
    orig = text
    for i, (old, new) in enumerate(rows):
        n = text.count(old)
        if n:
            used[i] += n
            text = text.replace(old, new)
    if text != orig:
        open(f, "w", encoding="utf-8").write(text)
for i, n in enumerate(used):
    if n == 0:
        print("row not used:", repr(rows[i][0]))
print(sum(used), "replacements")
