#!/usr/bin/python3
"""deps.py: every #include and every call between files follows the arrows of deps.txt.

deps.txt (the data; its own comments say the syntax) puts every file of src/ and include/
in a module and every module in a layer, and says which layers each layer may use. Three
checks:
  include  every `#include "..."` of src/**/*.[ch] and include/**/*.h: the including
           file's module may use the included header's (a header is in the module of its
           name);
  call     every call (or address taken) of a function another file defines, from the AST
           (clangast.py): the same arrows, so that a header declaring a higher layer's
           functions does not hide an upward call;
  cycle    the file-level call graph: a file of an `acyclic` layer (Domain, Features) in a
           circle of calls fails, through every arrow of that circle.
Known violations, one a line in the allow list (default tests/lint/deps.allow:
`include|call|cycle FROM -> TO`), pass; a new one fails (exit 1), and so does an entry
that no longer happens (the list only shrinks: --prune deletes such lines). --report also
prints the figures: violations by kind, the largest circle of calls in each layer and in
the whole graph, and each module's files.

Usage: deps.py [--root DIR] [--rules FILE] [--allow FILE] [--cache DIR] [--report]
               [--prune] [--jobs N] [-- CLANG_FLAGS...]
"""
import argparse
import collections
import fnmatch
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clangast  # noqa: E402


class Rules:
    def __init__(self, path, root="."):
        self.path = path
        shown = os.path.relpath(path, root)
        self.layers = []            # top to bottom
        self.uses = {}              # layer -> set of layers it may use (itself included)
        self.modules = []           # [(name, layer, [patterns])] in file order
        self.module_layer = {}
        self.arrows = []            # [(allow?, from, to, where)], in file order
        self.acyclic = set()
        self.separate = set()
        self.errors = []
        explicit = {}
        with open(path, encoding="utf-8") as fh:
            for n, raw in enumerate(fh, 1):
                t = raw.split("#", 1)[0].split()
                if not t:
                    continue
                where = "%s:%d" % (shown, n)
                if t[0] == "layer" and len(t) >= 2:
                    self.layers.append(t[1])
                    if len(t) > 2:
                        if t[2] != "->":
                            self.errors.append("%s: layer NAME [-> LAYER...]" % where)
                        explicit[t[1]] = set(t[3:])
                elif t[0] == "module" and len(t) >= 4:
                    self.modules.append((t[1], t[2], t[3:]))
                    if self.module_layer.setdefault(t[1], t[2]) != t[2]:
                        self.errors.append("%s: module %s is in layer %s above"
                                           % (where, t[1], self.module_layer[t[1]]))
                elif t[0] in ("allow", "deny") and len(t) >= 4 and "->" in t:
                    i = t.index("->")
                    for a in t[1:i]:
                        for b in t[i + 1:]:
                            self.arrows.append((t[0] == "allow", a, b, where))
                elif t[0] == "acyclic":
                    self.acyclic |= set(t[1:])
                elif t[0] == "separate":
                    self.separate |= set(t[1:])
                else:
                    self.errors.append("%s: cannot read '%s'" % (where, raw.strip()))
        for i, layer in enumerate(self.layers):
            self.uses[layer] = ({layer} | explicit[layer]) if layer in explicit \
                else set(self.layers[i:])
        names = set(self.layers) | set(self.module_layer) | {"*"}
        for name, layer, _ in self.modules:
            if layer not in self.uses:
                self.errors.append("%s: module %s is in layer %s, which is not declared"
                                   % (shown, name, layer))
        for _, a, b, where in self.arrows:
            for x in (a, b):
                if x not in names:
                    self.errors.append("%s: %s is neither a module nor a layer" % (where, x))
        for layer, us in explicit.items():
            for x in us - set(self.layers):
                self.errors.append("%s: layer %s may use %s, which is not a layer"
                                   % (shown, layer, x))
        for x in (self.acyclic | self.separate) - set(self.layers):
            self.errors.append("%s: %s is not a layer" % (shown, x))

    @staticmethod
    def stem(path):
        """src/balancer/lb.c -> balancer/lb; include/service.h -> service."""
        p = os.path.splitext(path)[0]
        for top in ("src/", "include/"):
            if p.startswith(top):
                return p[len(top):]
        return p

    def module_of(self, path):
        """The first module with a matching pattern: 'dir/' a folder, a pattern with a '/'
        the path under src/ or include/, else the file's name in any folder (all without
        the extension)."""
        stem = self.stem(path)
        base = os.path.basename(stem)
        for name, _, pats in self.modules:
            for p in pats:
                if p.endswith("/"):
                    if stem.startswith(p) or ("/" + p) in ("/" + stem):
                        return name
                elif "/" in p:
                    if fnmatch.fnmatchcase(stem, p):
                        return name
                elif fnmatch.fnmatchcase(base, p):
                    return name
        return None

    def allowed(self, ma, mb):
        """May module ma use module mb? (False, why) when not."""
        if ma == mb:
            return True, ""
        la, lb = self.module_layer[ma], self.module_layer[mb]

        # the last allow/deny line that matches decides (a general deny, then the
        # exceptions below it)
        for ok, a, b, where in reversed(self.arrows):
            if a in (ma, la, "*") and b in (mb, lb, "*"):
                return (True, "") if ok else (False, "%s may not use %s (%s)" % (ma, mb, where))
        if lb in self.uses[la]:
            return True, ""
        return False, "%s may not use %s" % (la, lb)


def sccs(nodes, edges):
    """Tarjan's strongly connected components (iterative)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges.get(w, ())))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                out.append(sorted(comp))
    return out


def read_allow(path):
    out = {}
    if not path or not os.path.exists(path):
        return out
    with open(path, encoding="utf-8") as fh:
        for i, ln in enumerate(fh, 1):
            ln = " ".join(ln.split("#", 1)[0].split())
            if ln:
                out[ln] = i
    return out


def prune_allow(path, stale):
    with open(path, encoding="utf-8") as fh:
        lines = fh.readlines()
    keep = [ln for ln in lines if " ".join(ln.split("#", 1)[0].split()) not in stale]
    with open(path, "w", encoding="utf-8") as fh:
        fh.writelines(keep)


def check(root, rules, facts, incdirs):
    """(violations, errors, figures): violations are (key, message, file, line)."""
    viol, errors = [], []
    files = clangast.sources(root) + clangast.headers(root)
    mod = {}
    for f in files:
        m = rules.module_of(f)
        if m is None:
            errors.append("%s: in no module of %s: add it to a module's patterns"
                          % (f, os.path.relpath(rules.path, root)))
        mod[f] = m
    if errors:
        return viol, errors, {}
    # includes
    for f in files:
        for line, name in clangast.includes_of(root, f):
            g = clangast.resolve_include(root, f, name, incdirs)
            if g is None:
                errors.append("%s:%d: #include \"%s\" is no file of the project" % (f, line, name))
                continue
            ok, why = rules.allowed(mod[f], mod[g])
            if not ok:
                viol.append(("include %s -> %s" % (f, g),
                             "%s:%d: includes %s (module %s): %s"
                             % (f, line, g, mod[g], why), f, line))
    # calls
    srcs = clangast.sources(root)
    layer = {f: rules.module_layer[mod[f]] for f in files}
    client = {f for f in srcs if layer[f] in rules.separate}
    defs = collections.defaultdict(set)
    for f in srcs:
        for name in facts[f]["defs"]:
            defs[name].add(f)
    edges = collections.defaultdict(set)
    why_edge = {}
    for f in srcs:
        for name, line in sorted(facts[f]["refs"].items(), key=lambda x: x[1]):
            # a separate binary links its own files only
            cands = {g for g in defs.get(name, ()) if (g in client) == (f in client)} - {f}
            for g in sorted(cands):
                edges[f].add(g)
                why_edge.setdefault((f, g), (line, name))
    for f in srcs:
        for g in sorted(edges[f]):
            ok, why = rules.allowed(mod[f], mod[g])
            if not ok:
                line, name = why_edge[(f, g)]
                viol.append(("call %s -> %s" % (f, g),
                             "%s:%d: calls %s (%s, module %s): %s"
                             % (f, line, name, g, mod[g], why), f, line))
    # cycles
    comps = [c for c in sccs(srcs, edges) if len(c) > 1]
    for c in comps:
        if not any(layer[f] in rules.acyclic for f in c):
            continue
        cs = set(c)
        for f in c:
            for g in sorted(edges[f] & cs):
                line, name = why_edge[(f, g)]
                viol.append(("cycle %s -> %s" % (f, g),
                             "%s:%d: calls %s (%s), in a circle of %d files: %s"
                             % (f, line, name, g, len(c),
                                " ".join(os.path.basename(x) for x in c)), f, line))
    per_layer = {}
    for L in rules.layers:
        fl = [f for f in srcs if layer[f] == L]
        sub = {f: edges[f] & set(fl) for f in fl}
        big = max(sccs(fl, sub), key=len, default=[])
        per_layer[L] = big if len(big) > 1 else []
    order = {"include": 0, "call": 1, "cycle": 2}
    viol.sort(key=lambda v: (order[v[0].split()[0]], v[2], v[3], v[1]))
    figures = {"modules": mod, "layer": layer, "comps": comps, "per_layer": per_layer,
               "edges": sum(len(v) for v in edges.values())}
    return viol, errors, figures


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(here)))
    ap.add_argument("--rules", help="default tests/lint/deps.txt")
    ap.add_argument("--allow", help="known violations (default tests/lint/deps.allow)")
    ap.add_argument("--cache", help="folder for the per-file facts (e.g. build/lint)")
    ap.add_argument("--report", action="store_true")
    ap.add_argument("--prune", action="store_true", help="delete allow lines that no longer happen")
    ap.add_argument("--jobs", type=int)
    ap.add_argument("cflags", nargs="*")
    a = ap.parse_args(argv)
    root = os.path.abspath(a.root)
    rules = Rules(a.rules or os.path.join(root, "tests/lint/deps.txt"), root)
    if rules.errors:
        print("\n".join(rules.errors))
        return 1
    allow_path = a.allow if a.allow is not None else os.path.join(root, "tests/lint/deps.allow")
    cflags = a.cflags or clangast.default_cflags(root)
    incdirs = clangast.include_dirs(cflags)
    cache = os.path.abspath(a.cache) if a.cache else None
    facts = clangast.all_facts(root, clangast.sources(root), cflags, cache, a.jobs)
    viol, errors, fig = check(root, rules, facts, incdirs)
    if errors:
        print("\n".join(errors))
        return 1
    allowed = read_allow(allow_path)
    keys = {v[0] for v in viol}
    new = [v for v in viol if v[0] not in allowed]
    stale = sorted(set(allowed) - keys, key=lambda k: allowed[k])
    if a.report:
        report(rules, fig, viol, allowed)
    for v in new:
        print(v[1])
    if stale and a.prune:
        prune_allow(allow_path, set(stale))
        print("%s: pruned %d entries that no longer happen"
              % (os.path.relpath(allow_path, root), len(stale)))
        stale = []
    for k in stale:
        print("%s:%d: '%s' no longer happens: delete the line (or run deps.py --prune)"
              % (os.path.relpath(allow_path, root), allowed[k], k))
    if new:
        print("deps.py: %d arrow(s) that %s does not allow (tests/lint/README.md)"
              % (len({v[0] for v in new}), os.path.relpath(rules.path, root)))
    return 1 if new or stale else 0


def report(rules, fig, viol, allowed):
    keys = {v[0] for v in viol}
    kinds = collections.Counter(k.split()[0] for k in keys)
    print("violations: %d includes, %d calls, %d arrows in circles (%d allowed)"
          % (kinds["include"], kinds["call"], kinds["cycle"],
             len(keys & set(allowed))))
    print("call graph: %d files, %d arrows between files"
          % (len([f for f in fig["modules"] if f.endswith(".c")]), fig["edges"]))
    for L in rules.layers:
        big = fig["per_layer"][L]
        if big:
            print("largest circle inside %s: %d files: %s"
                  % (L, len(big), " ".join(os.path.basename(f) for f in big)))
    for c in sorted(fig["comps"], key=len, reverse=True):
        layers = sorted({fig["layer"][f] for f in c}, key=rules.layers.index)
        print("circle of %d files (%s): %s"
              % (len(c), " ".join(layers), " ".join(os.path.basename(f) for f in c)))
    bymod = collections.defaultdict(list)
    for f, m in fig["modules"].items():
        bymod[m].append(os.path.basename(f))
    for name, layer in rules.module_layer.items():
        if bymod.get(name):
            print("module %-15s %-9s %s" % (name, layer, " ".join(sorted(bymod[name]))))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
