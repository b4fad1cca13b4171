"""Import cycles among fakedetect's modules, read from the source with ``ast``.

Run from the repository root::

    python benchmarks/import_graph.py [--src src]

Every ``import fakedetect.x`` and ``from fakedetect.x import y`` counts, at the top of a
module or inside a function (a deferred import still ties the two modules together);
imports under ``if TYPE_CHECKING:`` do not. ``from fakedetect.pkg import name`` counts
as an import of the submodule ``fakedetect.pkg.name`` when there is one, else of the
package. It prints the number of modules, of edges, the strongly connected groups of
more than one module (each is at least one cycle) and one shortest cycle through each
group, and exits 1 when there is a cycle.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections import deque
from pathlib import Path


def module_names(src: Path) -> dict[str, Path]:
    """Dotted name -> file of every module under ``src/fakedetect``."""
    out: dict[str, Path] = {}
    for path in sorted((src / "fakedetect").rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The fakedetect modules that module ``name`` imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _type_checking_only(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in known else base)
        stack.extend(ast.iter_child_nodes(node))
    return {m for m in found if m in known and m != name}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(groups)


def shortest_cycle(graph: dict[str, set[str]], group: list[str]) -> list[str]:
    """One shortest cycle inside a strongly connected group (breadth first)."""
    members = set(group)
    best: list[str] = []
    for start in group:
        parent = {start: ""}
        queue = deque([start])
        while queue:
            v = queue.popleft()
            for w in sorted(graph[v] & members):
                if w == start:
                    path = [v]
                    while parent[path[-1]]:
                        path.append(parent[path[-1]])
                    cycle = [*reversed(path), start]
                    if not best or len(cycle) < len(best):
                        best = cycle
                    queue.clear()
                    break
                if w not in parent:
                    parent[w] = v
                    queue.append(w)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=Path(__file__).resolve().parents[1] / "src")
    args = parser.parse_args()
    known = module_names(args.src)
    graph = {name: imports_of(name, path, known) for name, path in known.items()}
    groups = cycles(graph)
    edges = sum(len(v) for v in graph.values())
    print(f"{len(known)} modules, {edges} import edges, {len(groups)} cyclic group(s)")
    for group in groups:
        print(f"- {len(group)} modules: {', '.join(group)}")
        print(f"  e.g. {' -> '.join(shortest_cycle(graph, group))}")
    return 1 if groups else 0


if __name__ == "__main__":
    raise SystemExit(main())
