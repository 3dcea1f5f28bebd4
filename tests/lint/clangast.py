"""clangast.py: the facts owners.py and deps.py need from clang's JSON AST, per file, cached.

For each src/**/*.c this runs `clang -Xclang -ast-dump=json -fsyntax-only` and keeps only
what the checkers use (the dumps are ~10 MB a file, the facts a few KB):
  records  every struct/union defined in the project's headers: its file, lines and
           fields (name, lines, type)
  writes   every write in the .c file to a member of a struct: the member chain from the
           written field outwards through embedded structs and arrays, how, and the line
  defs     the non-static functions the .c file defines
  refs     the non-static functions it names (calls them or takes their address)
The facts are cached in <cache>/<path>.json, keyed by the mtime and size of the .c file and
of every project header it includes (transitively), the clang flags and FACTS_VERSION;
stale or missing ones are rebuilt in parallel (one clang a core).
"""
import concurrent.futures
import glob
import hashlib
import json
import os
import re
import subprocess
import sys

FACTS_VERSION = 4

# libc (and their fortified/builtin spellings) whose argument 0 is written.
DEST_CALLS = {
    "memcpy", "memmove", "mempcpy", "memset", "bzero", "explicit_bzero",
    "strcpy", "strncpy", "stpcpy", "stpncpy", "strcat", "strncat", "strlcpy", "strlcat",
    "sprintf", "vsprintf", "snprintf", "vsnprintf",
}

INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def norm_call(name):
    """__builtin___memcpy_chk and __builtin_memcpy are memcpy."""
    if name.startswith("__builtin___") and name.endswith("_chk"):
        return name[len("__builtin___"):-len("_chk")]
    if name.startswith("__builtin_"):
        return name[len("__builtin_"):]
    return name


def split_params(fntype):
    """'int (char *, unsigned long, const char *, ...)' -> ['char *', 'unsigned long', ...]"""
    i = fntype.find("(")
    if i < 0:
        return []
    depth, cur, out = 0, "", []
    for ch in fntype[i + 1:]:
        if ch == "(":
            depth += 1
        elif ch == ")":
            if depth == 0:
                break
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


def dest_args(name, fntype):
    """Indexes of the arguments a call writes through: argument 0 of DEST_CALLS, and the
    project's (char *dst, size_t n) convention (text_vformat, text_echo, log_escape ...):
    a non-const char * followed by a size."""
    if norm_call(name) in DEST_CALLS:
        return {0}
    ps = [p.replace("restrict", "").replace("__restrict", "").strip() for p in split_params(fntype)]
    out = set()
    for i in range(len(ps) - 1):
        if ps[i] in ("char *", "char*") and ps[i + 1] in ("unsigned long", "size_t"):
            out.add(i)
    return out


def sources(root, under="src"):
    """Every .c file under root/under, relative to root, sorted."""
    base = os.path.join(root, under)
    return sorted(os.path.relpath(p, root)
                  for p in glob.glob(os.path.join(base, "**", "*.c"), recursive=True))


def headers(root):
    out = []
    for d in ("include", "src"):
        out += glob.glob(os.path.join(root, d, "**", "*.h"), recursive=True)
    return sorted(os.path.relpath(p, root) for p in out)


def include_dirs(cflags):
    """The -I directories of the flags, in order."""
    out, it = [], iter(cflags)
    for f in it:
        if f == "-I":
            out.append(next(it, ""))
        elif f.startswith("-I"):
            out.append(f[2:])
    return out


def resolve_include(root, frm, name, incdirs):
    """The project file `#include "name"` in frm means (relative to root), or None: the
    including file's folder first, then the -I folders, as the compiler does."""
    for d in [os.path.dirname(frm)] + incdirs:
        p = os.path.normpath(os.path.join(d, name))
        if not os.path.isabs(p) and os.path.isfile(os.path.join(root, p)):
            return p
        if os.path.isabs(p) and os.path.isfile(p):
            r = os.path.relpath(p, root)
            return None if r.startswith("..") else r
    return None


def includes_of(root, path):
    """The quoted includes of one file, with their lines: [(line, name)]."""
    with open(os.path.join(root, path), encoding="utf-8", errors="replace") as fh:
        text = fh.read()
    out = []
    for m in INCLUDE_RE.finditer(text):
        out.append((text.count("\n", 0, m.start()) + 1, m.group(1)))
    return out


def include_closure(root, path, incdirs):
    seen, todo = set(), [path]
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        for _, name in includes_of(root, p):
            q = resolve_include(root, p, name, incdirs)
            if q:
                todo.append(q)
    return sorted(seen)


# ---- the AST walk ---------------------------------------------------------------------

class Locs:
    """clang's JSON dump prints a location's file and line only when they changed since the
    last location it printed, so the walk follows every location in print order."""

    def __init__(self):
        self.file = None
        self.line = 0

    def bare(self, loc):
        if "file" in loc:
            self.file = loc["file"]
        if "line" in loc:
            self.line = loc["line"]

    def visit(self, loc):
        """Follow one location; returns its (file, line), the expansion's for a macro."""
        if not loc:
            return self.file, self.line
        if "spellingLoc" in loc or "expansionLoc" in loc:
            self.bare(loc.get("spellingLoc", {}))
            self.bare(loc.get("expansionLoc", {}))
            return self.file, self.line
        self.bare(loc)
        return self.file, self.line


def strip(e, kinds=("ParenExpr",), casts=()):
    while e is not None:
        k = e.get("kind")
        if k in kinds or (k in ("ImplicitCastExpr", "CStyleCastExpr") and e.get("castKind") in casts):
            inner = e.get("inner") or []
            e = inner[0] if inner else None
            continue
        return e
    return None


# casts that keep the object: pointer conversions (void *, const), not loads
PTR_CASTS = ("BitCast", "NoOp", "NullToPointer", "IntegralToPointer")


def rectype(qt):
    """'struct replica *' -> 'struct replica' (a pointer to one record), else None."""
    qt = qt.replace("const ", "").replace("volatile ", "").strip()
    m = re.fullmatch(r"((?:struct|union) [A-Za-z_]\w*) \*", qt)
    return m.group(1) if m else None


class TU:
    def __init__(self, main, root="."):
        self.main = main
        self.root = os.path.abspath(root)
        self.locs = Locs()
        self.fields = {}      # FieldDecl id -> (record key, field name)
        self.records = {}     # record key -> {file, begin, end, fields}
        self.statics = set()  # names of static functions (refs to them stay in their file)
        self.defs = set()
        self.refs = {}        # name -> first line
        self.writes = []

    def project_file(self, file):
        """A file of the project, relative to its root (clang prints the -I spelling), or
        None for a system header."""
        if not file:
            return None
        if os.path.isabs(file):
            rel = os.path.relpath(file, self.root)
            return None if rel.startswith("..") else rel
        return os.path.normpath(file)

    # -- lvalues: what a write lands in --------------------------------------------------
    def chain(self, m):
        """Member chain of MemberExpr m, innermost first: [(record, field)], continued
        outwards through '.' members and subscripts of embedded arrays (r->rd.timer,
        s->samples[i].value), stopped at a '->' (another object)."""
        out = []
        while m is not None:
            f = self.fields.get(m.get("referencedMemberDecl"))
            if f is None:
                return out
            out.append(f)
            base = strip((m.get("inner") or [None])[0], casts=("NoOp",))
            if base is None:
                return out
            if m.get("isArrow"):
                # (&s->tr)->changed is s->tr.changed
                if base.get("kind") == "ImplicitCastExpr":
                    base = strip(base, casts=("NoOp",))
                if base.get("kind") == "UnaryOperator" and base.get("opcode") == "&":
                    m = self.member_of_lvalue(base["inner"][0])
                    continue
                return out
            m = self.member_of_lvalue(base)
        return out

    def member_of_lvalue(self, e):
        """The MemberExpr an lvalue is (part of) an embedded field of, else None."""
        e = strip(e, casts=("NoOp",))
        while e is not None and e.get("kind") == "ArraySubscriptExpr":
            base = strip(e["inner"][0])
            if base.get("kind") == "ImplicitCastExpr" and base.get("castKind") == "ArrayToPointerDecay":
                e = strip(base["inner"][0], casts=("NoOp",))
                continue
            return None
        if e is not None and e.get("kind") == "MemberExpr":
            return e
        return None

    def lvalue_target(self, e):
        """What writing to lvalue e writes: ('chain', [...]) or ('whole', record) or None."""
        e = strip(e, casts=("NoOp",))
        if e is None:
            return None
        k = e.get("kind")
        if k == "MemberExpr":
            return ("chain", self.chain(e))
        if k == "ArraySubscriptExpr":
            base = strip(e["inner"][0])
            if base.get("kind") == "ImplicitCastExpr" and base.get("castKind") == "ArrayToPointerDecay":
                return self.lvalue_target(base["inner"][0])
            if base.get("kind") == "ImplicitCastExpr" and base.get("castKind") == "LValueToRValue":
                # s->reps[i] = r: the table s->reps points to is the field's
                inner = strip(base["inner"][0], casts=("NoOp",))
                if inner is not None and inner.get("kind") == "MemberExpr":
                    return ("chain", self.chain(inner))
            return None
        if k == "UnaryOperator" and e.get("opcode") == "*":
            return self.pointer_target(e["inner"][0])
        return None

    def pointer_target(self, e):
        """What writing through pointer expression e writes (a call's destination)."""
        e = strip(e, casts=PTR_CASTS)
        if e is None:
            return None
        k = e.get("kind")
        if k == "ImplicitCastExpr" and e.get("castKind") == "ArrayToPointerDecay":
            return self.lvalue_target(e["inner"][0])
        if k == "UnaryOperator" and e.get("opcode") == "&":
            return self.lvalue_target(e["inner"][0])
        if k == "BinaryOperator" and e.get("opcode") in ("+", "-"):
            for c in e.get("inner", []):
                if c.get("type", {}).get("qualType", "").rstrip().endswith("*") or \
                        "[" in c.get("type", {}).get("qualType", ""):
                    return self.pointer_target(c)
            return None
        if k == "ImplicitCastExpr" and e.get("castKind") == "LValueToRValue":
            inner = strip(e["inner"][0], casts=("NoOp",))
            if inner is None:
                return None
            if inner.get("kind") == "MemberExpr":
                # memcpy(s->taken, ...): the array the field points to
                return ("chain", self.chain(inner))
            rec = rectype(inner.get("type", {}).get("qualType", ""))
            if inner.get("kind") == "DeclRefExpr" and rec:
                return ("whole", rec)   # memset(r, 0, sizeof *r); *r = ...
        return None

    def note_write(self, target, line, how):
        if target is None:
            return
        kind, what = target
        if kind == "chain" and what:
            self.writes.append({"line": line, "chain": [list(x) for x in what], "how": how})
        elif kind == "whole":
            self.writes.append({"line": line, "whole": what, "how": how})

    # -- the walk --------------------------------------------------------------------------
    def walk(self, n, in_main, parent_rec=None, top=False):
        """top: n is a declaration at file scope (it says whether it is the .c file's)."""
        locs = self.locs
        file, line = locs.visit(n.get("loc"))
        rng = n.get("range")
        if rng:
            bfile, bline = locs.visit(rng.get("begin"))
            locs.visit(rng.get("end"))
            eline = locs.line
            if "loc" not in n:
                file, line = bfile, bline
        else:
            bline = eline = line
        k = n.get("kind")
        if top:
            in_main = (file == self.main)
        child_rec = None
        if k == "RecordDecl":
            name = n.get("name")
            child_rec = "%s %s" % (n.get("tagUsed", "struct"), name) if name else parent_rec
            proj = self.project_file(file)
            if n.get("completeDefinition") and name and proj and child_rec not in self.records:
                self.records[child_rec] = {"file": proj, "begin": bline, "end": eline,
                                           "fields": []}
        elif k == "FieldDecl" and parent_rec:
            self.fields[n.get("id")] = (parent_rec, n.get("name", ""))
            rec = self.records.get(parent_rec)
            if rec is not None and rec["file"] == self.project_file(file) \
                    and rec["begin"] <= bline <= rec["end"]:
                t = n.get("type", {})
                rec["fields"].append({"name": n.get("name", ""), "begin": bline, "end": eline,
                                      "loc": line,
                                      "type": t.get("desugaredQualType") or t.get("qualType", "")})
        elif k == "FunctionDecl":
            if n.get("storageClass") == "static":
                self.statics.add(n.get("name"))
            elif in_main and any(c.get("kind") == "CompoundStmt" for c in n.get("inner", []) or []):
                self.defs.add(n.get("name"))
        elif in_main:
            if k == "BinaryOperator" and n.get("opcode") == "=":
                self.note_write(self.lvalue_target(n["inner"][0]), line, "=")
            elif k == "CompoundAssignOperator":
                self.note_write(self.lvalue_target(n["inner"][0]), line, n.get("opcode", "op="))
            elif k == "UnaryOperator" and n.get("opcode") in ("++", "--"):
                self.note_write(self.lvalue_target(n["inner"][0]), line, n["opcode"])
            elif k == "CallExpr":
                inner = n.get("inner") or []
                callee = strip(inner[0], casts=("FunctionToPointerDecay", "BuiltinFnToFnPtr")) \
                    if inner else None
                if callee is not None and callee.get("kind") == "DeclRefExpr":
                    d = callee.get("referencedDecl", {})
                    name = d.get("name", "")
                    for i in sorted(dest_args(name, d.get("type", {}).get("qualType", ""))):
                        if i + 1 < len(inner):
                            self.note_write(self.pointer_target(inner[i + 1]), line,
                                            norm_call(name))
            elif k == "DeclRefExpr":
                d = n.get("referencedDecl", {})
                if d.get("kind") == "FunctionDecl" and d.get("name") not in self.statics:
                    self.refs.setdefault(d["name"], line)
        # every child, in print order: the locations depend on it
        for key, v in n.items():
            if key in ("inner", "array_filler") and isinstance(v, list):
                for c in v:
                    if isinstance(c, dict):
                        self.walk(c, in_main, child_rec, k == "TranslationUnitDecl")


def tu_facts(root, path, cflags):
    cmd = ["clang", "-Xclang", "-ast-dump=json", "-fsyntax-only", "-std=gnu11"] + cflags + [path]
    p = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
    if p.returncode != 0 or not p.stdout:
        return {"error": "%s: clang failed (%d):\n%s" % (path, p.returncode, p.stderr.strip())}
    ast = json.loads(p.stdout)
    del p
    tu = TU(path, root)
    sys.setrecursionlimit(100000)
    tu.walk(ast, False)
    return {"records": tu.records, "writes": tu.writes, "defs": sorted(tu.defs),
            "refs": tu.refs}


def cache_key(root, path, cflags, incdirs):
    h = hashlib.sha256()
    h.update(("%d %s\n" % (FACTS_VERSION, " ".join(cflags))).encode())
    for f in include_closure(root, path, incdirs):
        st = os.stat(os.path.join(root, f))
        h.update(("%s %d %d\n" % (f, st.st_mtime_ns, st.st_size)).encode())
    return h.hexdigest()


def _job(args):
    root, path, cflags = args
    return path, tu_facts(root, path, cflags)


def all_facts(root, files, cflags, cache=None, jobs=None):
    """{path: facts} for every file; raises SystemExit when clang fails on one."""
    incdirs = include_dirs(cflags)
    out, todo, keys = {}, [], {}
    for f in files:
        keys[f] = cache_key(root, f, cflags, incdirs)
        if cache:
            cp = os.path.join(cache, f + ".json")
            try:
                with open(cp, encoding="utf-8") as fh:
                    c = json.load(fh)
                if c.get("key") == keys[f]:
                    out[f] = c["facts"]
                    continue
            except (OSError, ValueError):
                pass
        todo.append(f)
    if todo:
        jobs = jobs or os.cpu_count() or 1
        with concurrent.futures.ProcessPoolExecutor(max_workers=jobs) as ex:
            for f, facts in ex.map(_job, [(root, f, cflags) for f in todo]):
                if "error" in facts:
                    sys.exit(facts["error"])
                out[f] = facts
                if cache:
                    cp = os.path.join(cache, f + ".json")
                    os.makedirs(os.path.dirname(cp), exist_ok=True)
                    with open(cp + ".tmp", "w", encoding="utf-8") as fh:
                        json.dump({"key": keys[f], "facts": facts}, fh)
                    os.replace(cp + ".tmp", cp)
    return out


def default_cflags(root):
    """-Iinclude plus the libraries' flags, when the Makefile does not pass its own."""
    p = subprocess.run(["pkg-config", "--cflags", "libcurl", "libcjson", "libmicrohttpd", "inih"],
                       capture_output=True, text=True)
    return ["-Iinclude", "-DDOCKSCALE_VERSION=\"0\""] + p.stdout.split()
