#!/usr/bin/python3
"""owners.py: a struct's fields are written only by the file that owns them.

The owners are written next to the structs, in include/**/*.h and src/**/*.h, as a comment
holding `owner: FILE.c` (or `owners: A.c B.c` for one module split in two files):
  - on the line of a struct's opening, or in the comment that ends on the line above it:
    every field of the struct;
  - on a field's line: that field (it overrides the struct's);
  - on a line of its own inside a struct: the fields right below it, up to the next blank
    line or the next comment on a line of its own (a group).
A field whose type is an embedded annotated struct (`struct traffic tr;`) is owned by that
struct's owner unless it is annotated itself. A FILE without a '/' is any source file of
that name; with one, the path under src/.

Every src/**/*.c is read through clang's AST (clangast.py). A write is an assignment
(=, op=, ++, --) to a member, or a call that writes through a member: argument 0 of
memcpy/memset/snprintf/strcpy ... and a `char *` followed by a size in any function (the
project's `(char *dst, size_t n)` convention: text_vformat, text_echo, log_escape ...).
The member is found by its declaration, so `r->state` of a struct replica is not the
`state` of another struct. The innermost annotated level decides: in `s->tr.changed` the
field `changed` of struct traffic, in `s->samples[i].value` (struct metric_sample has no
owner) the field `samples` of struct svc. `*p = ...` and memset(p, ...) of a pointer to an
annotated struct write the whole struct.

Exit 1 on a write by a file that does not own the field, unless the allow list (default
tests/lint/owners.allow: the violations known when the check was turned on) names that
file and field; also exit 1 when an allowed entry no longer happens (the list only
shrinks: --prune deletes such lines). --report prints, per struct, the fields written by
more than one file (default struct svc and struct replica; --struct all for every one).

Usage: owners.py [--root DIR] [--cache DIR] [--allow FILE] [--report] [--struct NAME]
                 [--prune] [--jobs N] [-- CLANG_FLAGS...]
"""
import argparse
import collections
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clangast  # noqa: E402

OWNER_RE = re.compile(r"\bowners?:\s*((?:[\w./-]+\.c)(?:(?:\s*,\s*|\s+and\s+|\s+)[\w./-]+\.c)*)")


def comments(text):
    """[(start_line, end_line, body, own_line)] of a C file's comments."""
    out, i, n, line = [], 0, len(text), 1
    line_start = 0
    while i < n:
        ch = text[i]
        if ch == "\n":
            line += 1
            line_start = i + 1
            i += 1
        elif ch in "\"'":
            q, i = ch, i + 1
            while i < n and text[i] != q and text[i] != "\n":
                i += 2 if text[i] == "\\" else 1
            i += 1
        elif text.startswith("/*", i) or text.startswith("//", i):
            own = text[line_start:i].strip() == ""
            start = line
            if text[i + 1] == "*":
                j = text.find("*/", i + 2)
                j = n if j < 0 else j + 2
            else:
                j = text.find("\n", i)
                j = n if j < 0 else j
            body = text[i:j]
            line += body.count("\n")
            if "\n" in body:
                line_start = i + body.rfind("\n") + 1
            out.append((start, line, body, own))
            i = j
        else:
            i += 1
    return out


def parse_owners(body):
    m = OWNER_RE.search(body)
    if not m:
        return None
    return tuple(x for x in re.split(r"\s*,\s*|\s+and\s+|\s+", m.group(1).strip()) if x)


class Owners:
    """The annotations of the headers, attached to the records clang saw."""

    def __init__(self, root, records):
        self.root = root
        self.records = records          # key -> {file, begin, end, fields}
        self.struct_owner = {}          # key -> (owners, "file:line")
        self.field_owner = {}           # (key, field) -> (owners, "file:line")
        self.errors = []
        self.srcs = clangast.sources(root)
        by_file = collections.defaultdict(list)
        for key, r in records.items():
            by_file[r["file"]].append(key)
        for h in clangast.headers(root):
            with open(os.path.join(root, h), encoding="utf-8", errors="replace") as fh:
                text = fh.read()
            lines = text.split("\n")
            cs = comments(text)
            own_lines = {c[0] for c in cs if c[3]}
            for c in cs:
                owners = parse_owners(c[2])
                if owners is None:
                    continue
                where = "%s:%d" % (h, c[0])
                for o in owners:
                    if not self.source_named(o):
                        self.errors.append("%s: owner annotation names %s, which is no file "
                                           "under src/" % (where, o))
                if not self.attach(h, by_file.get(h, []), c, owners, where, lines, own_lines):
                    self.errors.append("%s: owner annotation is next to no struct or field "
                                       "(see owners.py's doc for where it goes)" % where)

    def source_named(self, o):
        return any(self.matches(o, s) for s in self.srcs)

    @staticmethod
    def matches(owner, path):
        rel = path[4:] if path.startswith("src/") else path
        if "/" in owner:
            return rel == owner or path == owner
        return os.path.basename(path) == owner

    def attach(self, h, keys, c, owners, where, lines, own_lines):
        start, end, _, own = c
        # the innermost struct around the comment, or the one it sits on top of
        inside = [k for k in keys if self.records[k]["begin"] <= start <= self.records[k]["end"]]
        inside.sort(key=lambda k: self.records[k]["end"] - self.records[k]["begin"])
        for k in keys:
            r = self.records[k]
            if (own and end == r["begin"] - 1) or start == r["begin"]:
                self.struct_owner[k] = (owners, where)
                return True
        if not inside:
            return False
        k = inside[0]
        r = self.records[k]
        if not own:
            for f in r["fields"]:
                if f["begin"] <= start <= f["end"]:
                    self.field_owner[(k, f["name"])] = (owners, where)
                    return True
            return False
        # a group: the fields below, to a blank line or the next comment of its own line
        stop = r["end"]
        for ln in range(end + 1, r["end"]):
            if lines[ln - 1].strip() == "" or ln in own_lines:
                stop = ln
                break
        hit = False
        for f in r["fields"]:
            if end < f["begin"] < stop and (k, f["name"]) not in self.field_owner:
                self.field_owner[(k, f["name"])] = (owners, where)
                hit = True
        return hit

    def owner_of(self, key, field):
        """(owners, where) of one field, or None when nobody is named."""
        if (key, field) in self.field_owner:
            return self.field_owner[(key, field)]
        r = self.records.get(key)
        if r is not None:
            for f in r["fields"]:
                if f["name"] == field:
                    m = re.fullmatch(r"((?:struct|union) \w+)(?:\[\d+\])*", f["type"].strip())
                    if m and m.group(1) in self.struct_owner:
                        return self.struct_owner[m.group(1)]
                    break
        return self.struct_owner.get(key)

    def owns(self, owners, path):
        return any(self.matches(o, path) for o in owners)


def merge_records(facts):
    records = {}
    for f in sorted(facts):
        for key, r in facts[f]["records"].items():
            if key not in records or (not records[key]["fields"] and r["fields"]):
                records[key] = r
    return records


def violations(facts, own):
    """[(path, line, record, field, owners, where, how, shown)], by file and line."""
    out = []
    for path in sorted(facts):
        for w in facts[path]["writes"]:
            if "whole" in w:
                key = w["whole"]
                so = own.struct_owner.get(key)
                if so and not own.owns(so[0], path):
                    out.append((path, w["line"], key, "*", so[0], so[1], w["how"], "*"))
                continue
            chain = w["chain"]
            for i, (key, field) in enumerate(chain):
                o = own.owner_of(key, field)
                if o is None:
                    continue
                if not own.owns(o[0], path):
                    # s->samples[i].have: the path from the owned field to what was written
                    shown = ".".join(f for _, f in reversed(chain[:i + 1]))
                    out.append((path, w["line"], key, field, o[0], o[1], w["how"], shown))
                break
    return out


def allow_key(path, key, field):
    return "%s: %s.%s" % (path, key, field)


def read_allow(path):
    """{entry: line number} of an allow list (# comments, blank lines ignored)."""
    out = {}
    if not path or not os.path.exists(path):
        return out
    with open(path, encoding="utf-8") as fh:
        for i, ln in enumerate(fh, 1):
            ln = ln.split("#", 1)[0].strip()
            if ln:
                out[" ".join(ln.split())] = i
    return out


def prune_allow(path, stale):
    with open(path, encoding="utf-8") as fh:
        lines = fh.readlines()
    keep = [ln for ln in lines if " ".join(ln.split("#", 1)[0].split()) not in stale]
    with open(path, "w", encoding="utf-8") as fh:
        fh.writelines(keep)


def report(facts, own, structs):
    writers = collections.defaultdict(set)
    for path in facts:
        for w in facts[path]["writes"]:
            if "chain" in w:
                key, field = w["chain"][0]
                writers[(key, field)].add(os.path.relpath(path, "src") if path.startswith("src/") else path)
    if structs == ["all"]:
        structs = sorted({k for k, _ in writers if k in own.records})
    for st in structs:
        key = st if st.startswith(("struct ", "union ")) else "struct " + st
        nfields = len(own.records.get(key, {}).get("fields", []))
        multi = {f: sorted(v) for (k, f), v in writers.items() if k == key and len(v) > 1}
        print("%s (%d fields): %d written by more than one file" % (key, nfields, len(multi)))
        for f in sorted(multi):
            print("  %-18s %s" % (f, " ".join(multi[f])))


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(here)))
    ap.add_argument("--cache", help="folder for the per-file facts (e.g. build/lint)")
    ap.add_argument("--allow", help="known violations (default tests/lint/owners.allow)")
    ap.add_argument("--report", action="store_true")
    ap.add_argument("--struct", action="append", default=[])
    ap.add_argument("--prune", action="store_true", help="delete allow lines that no longer happen")
    ap.add_argument("--jobs", type=int)
    ap.add_argument("cflags", nargs="*")
    a = ap.parse_args(argv)
    root = os.path.abspath(a.root)
    allow_path = a.allow if a.allow is not None else os.path.join(root, "tests/lint/owners.allow")
    cflags = a.cflags or clangast.default_cflags(root)
    cache = os.path.abspath(a.cache) if a.cache else None
    facts = clangast.all_facts(root, clangast.sources(root), cflags, cache, a.jobs)
    own = Owners(root, merge_records(facts))
    if own.errors:
        for e in own.errors:
            print(e)
        return 1
    if a.report:
        report(facts, own, a.struct or ["svc", "replica"])
    found = violations(facts, own)
    allowed = read_allow(allow_path if allow_path and os.path.exists(allow_path) else None)
    seen, new = set(), []
    for v in found:
        k = allow_key(v[0], v[2], v[3])
        seen.add(k)
        if k not in allowed:
            new.append(v)
    stale = sorted(set(allowed) - seen, key=lambda k: allowed[k])
    if a.report:
        print("owner violations: %d writes, %d file/field pairs (%d allowed, %d new), "
              "%d stale allow entries" % (len(found), len(seen), len(seen & set(allowed)),
                                           len({allow_key(v[0], v[2], v[3]) for v in new}),
                                           len(stale)))
    for path, line, key, field, owners, where, how, shown in new:
        what = "the whole %s" % key if field == "*" else "field %s of %s" % (shown, key)
        print("%s:%d: %s written here (%s), owned by %s (%s)"
              % (path, line, what, how, " ".join(owners), where))
    if stale and a.prune:
        prune_allow(allow_path, set(stale))
        print("%s: pruned %d entries that no longer happen" % (os.path.relpath(allow_path, root),
                                                               len(stale)))
        stale = []
    for k in stale:
        print("%s:%d: '%s' no longer happens: delete the line (or run owners.py --prune)"
              % (os.path.relpath(allow_path, root), allowed[k], k))
    if new:
        print("owners.py: %d write(s) to fields owned by another file; call the owner's "
              "function instead (tests/lint/README.md)" % len(new))
    return 1 if new or stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
