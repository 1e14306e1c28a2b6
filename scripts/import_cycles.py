"""Import cycles among the project's modules, and the imports hidden inside functions.

    .venv/bin/python scripts/import_cycles.py [--functions]

Reads the source (nothing is imported). Module level: imports at the top of a module or
inside its classes, not those under `if TYPE_CHECKING:`. `--functions` counts imports written
inside functions too (where a cycle is usually hidden). Prints the cycles (strongly connected
groups of modules, and of apps) and every function-level import of product code; exits 1
when there is a cycle among modules. Migrations, tests, bench and scripts are left out.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ["core", "gateways", "appeals", "attribution", "audit", "config", "donations",
        "finance", "security"]


def modules() -> dict[str, Path]:
    found = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def _targets(node: ast.AST, module: str, is_package: bool, mods) -> set[str]:
    """The project modules an import statement runs. `from pkg import mod` counts as mod
    alone, and a module's own parent packages are left out (Python runs them first anyway:
    that is no cycle)."""
    if isinstance(node, ast.Import):
        found = {a.name for a in node.names}
    else:
        base = node.module or ""
        if node.level:
            parts = module.split(".")
            parts = parts if is_package else parts[:-1]
            parts = parts[: len(parts) - node.level + 1]
            base = ".".join(parts + ([base] if base else []))
        found = {f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in mods}
        if len(found) < len(node.names):
            found.add(base)
    return {t for t in found if t in mods and not module.startswith(t + ".") and t != module}


def imports(mods: dict[str, Path]) -> tuple[dict[str, set[str]], dict[str, set[str]], list]:
    top, inner, listed = {m: set() for m in mods}, {m: set() for m in mods}, []

    def visit(node, module, is_package, in_function):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                found = _targets(child, module, is_package, mods)
                (inner if in_function else top)[module] |= found
                if in_function and found:
                    listed.append(f"{mods[module].relative_to(ROOT)}:{child.lineno}: "
                                  f"{ast.unparse(child)}")
            visit(child, module, is_package,
                  in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)))

    for module, path in mods.items():
        visit(ast.parse(path.read_text()), module, path.name == "__init__.py", False)
    return top, inner, listed


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components with more than one member."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


def main() -> int:
    mods = modules()
    top, inner, listed = imports(mods)
    graph = top
    if "--functions" in sys.argv:
        graph = {m: top[m] | inner[m] for m in mods}
    module_cycles = cycles({m: {t for t in ts if t != m} for m, ts in graph.items()})
    apps = {}
    for m, ts in graph.items():
        apps.setdefault(m.split(".")[0], set()).update(
            t.split(".")[0] for t in ts if t.split(".")[0] != m.split(".")[0])
    app_cycles = cycles(apps)
    print(f"module cycles: {len(module_cycles)}")
    for group in module_cycles:
        print("  " + " <-> ".join(group))
    print(f"app cycles: {len(app_cycles)}")
    for group in app_cycles:
        print("  " + " <-> ".join(group))
    print(f"function-level imports of project modules: {len(listed)}")
    for line in listed:
        print("  " + line)
    return 1 if module_cycles else 0


if __name__ == "__main__":
    sys.exit(main())
