#!/usr/bin/env python3
"""Structure checks over src/ (issue 9, "Done when"): no #include cycle
between top-level modules (the folders under src/), and no source file
over 1,500 lines. Prints the module graph's offending edges and the long
files, and exits 1 when either check fails."""
import os
import re
import sys

MAX_LINES = 1500

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def src_root():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(os.path.dirname(os.path.dirname(here)), "src")


def module_of(rel):
    """The top-level module of a path relative to src/ (None: at the top)."""
    parts = rel.split("/")
    return parts[0] if len(parts) > 1 else None


def read_graph(root):
    """Returns ({module: {module: [(file, include)]}}, {file: lines})."""
    graph, lines = {}, {}
    for dirpath, _, files in os.walk(root):
        for name in files:
            if not name.endswith((".c", ".h")):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root).replace(os.sep, "/")
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
            lines[rel] = text.count("\n")
            src = module_of(rel)
            if src is None:
                continue
            graph.setdefault(src, {})
            for inc in INCLUDE.findall(text):
                dst = module_of(inc)
                # Includes relative to the file's own folder stay inside it.
                if dst is None or dst == src:
                    continue
                if not os.path.isdir(os.path.join(root, dst)):
                    continue
                graph[src].setdefault(dst, []).append((rel, inc))
    return graph, lines


def cycles(graph):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def self_test():
    """The checker itself must see a cycle and a clean graph apart."""
    assert cycles({"a": {"b": []}, "b": {"c": []}, "c": {"a": []}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b": []}, "b": {"c": []}, "c": {}}) == []


def main():
    self_test()
    root = src_root()
    graph, lines = read_graph(root)
    failed = 0
    for comp in cycles(graph):
        failed = 1
        print("include cycle between modules: " + " <-> ".join(comp))
        members = set(comp)
        for a in comp:
            for b, why in sorted(graph.get(a, {}).items()):
                if b in members:
                    for rel, inc in why[:5]:
                        print(f"  {a} -> {b}: {rel} includes {inc}")
    for rel, n in sorted(lines.items()):
        if n <= MAX_LINES:
            continue
        failed = 1
        print(f"src/{rel} has {n} lines (at most {MAX_LINES})")
    if not failed:
        edges = sum(len(d) for d in graph.values())
        print(f"ok: {len(graph)} modules, {edges} edges, no cycle; "
              f"{len(lines)} files within {MAX_LINES} lines")
    return failed


if __name__ == "__main__":
    sys.exit(main())
