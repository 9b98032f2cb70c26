"""The project's import graph read from the source with ast (nothing is imported or run).

Every `import x` / `from x import y` of a project module is an edge, wherever it is written;
imports under `if TYPE_CHECKING:` are left out (they never run).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The platform's packages (tests/ and bench/ may import everything and are not walked).
APPS = (
    "accounts",
    "audit",
    "canary",
    "copilot",
    "futures",
    "history",
    "notifications",
    "portfolio",
    "risk",
    "simexchange",
    "spark_site",
    "strategies",
)


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, dotted
    target: str  # the project module it imports, dotted
    line: int
    in_function: bool
    text: str  # the source line (for its comment)
    names: tuple[str, ...] = ()  # the names of a `from x import a, b` (empty for `import x`)


def module_files() -> dict[str, Path]:
    """Dotted module name -> file, migrations left out (Django writes them)."""
    found: dict[str, Path] = {}
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            rel = path.relative_to(ROOT)
            if "migrations" in rel.parts:
                continue
            name = ".".join(rel.with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class _Walker(ast.NodeVisitor):
    def __init__(self, module: str, is_package: bool, known: set[str], lines: list[str]):
        self.module, self.is_package, self.known, self.lines = module, is_package, known, lines
        self.depth = 0
        self.found: list[Import] = []

    def _add(self, target: str, node: ast.stmt, names: tuple[str, ...] = ()) -> None:
        # The longest known module the name starts with ("futures.services.order_place" is an
        # attribute of futures.services).
        while target not in self.known and "." in target:
            target = target.rsplit(".", 1)[0]
        if target in self.known:
            text = self.lines[node.lineno - 1]
            self.found.append(Import(self.module, target, node.lineno, self.depth > 0, text, names))

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def _function(self, node: ast.AST) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = _function  # noqa: N815 - ast.NodeVisitor's naming
    visit_AsyncFunctionDef = _function  # noqa: N815
    visit_Lambda = _function  # noqa: N815

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            parts = self.module.split(".")
            keep = len(parts) - node.level + (1 if self.is_package else 0)
            base = ".".join(parts[:keep] + ([node.module] if node.module else []))
        else:
            base = node.module or ""
        for alias in node.names:
            name = f"{base}.{alias.name}"
            if name in self.known:
                self._add(name, node)
            else:
                self._add(base, node, (alias.name,))


def project_imports() -> list[Import]:
    files = module_files()
    known = set(files)
    found: list[Import] = []
    for module, path in files.items():
        source = path.read_text(encoding="utf-8")
        walker = _Walker(module, path.name == "__init__.py", known, source.splitlines())
        walker.visit(ast.parse(source))
        found += [i for i in walker.found if i.target != module]
    return found


def app_of(module: str) -> str:
    return module.split(".", 1)[0]


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), as sorted lists."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return sorted(groups)
