"""The tree's layers: service → circuits → zkcore, kernels import nothing of the project,
and importing zkcore compiles nothing."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "zkcore/kernels": ("zkcore", "circuits", "service"),
    "zkcore": ("circuits", "service"),
    "circuits": ("service",),
}


def imports_of(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                names.add(node.module)
            elif node.level >= 2 and path.parent.name == "kernels":
                names.add("zkcore")  # `from .. import x` inside kernels reaches the project
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_imports_point_one_way(layer):
    for path in (ROOT / layer).rglob("*.py"):
        if layer == "zkcore" and "kernels" in path.parts:
            continue
        for name in imports_of(path):
            top = name.split(".")[0]
            assert top not in FORBIDDEN[layer], f"{path.relative_to(ROOT)} imports {name}"


def test_importing_zkcore_compiles_no_kernel():
    code = """
import numba.core.registry, pkgutil, importlib, zkcore, zkcore.kernels
from numba.core.dispatcher import Dispatcher
for m in pkgutil.walk_packages(zkcore.__path__, "zkcore."):
    importlib.import_module(m.name)
import sys
compiled = [
    f"{mod.__name__}.{name}"
    for mod in list(sys.modules.values()) if getattr(mod, "__name__", "").startswith("zkcore")
    for name, obj in vars(mod).items() if isinstance(obj, Dispatcher) and obj.signatures
]
print(len(compiled), compiled[:5])
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("0 "), out.stdout


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_imports(path: Path, known: set[str]) -> set[str]:
    """The modules of `known` that `path` imports, relative imports resolved. Imports inside functions
    count too: deferring an import that closes a circle hides the circle, it does not remove it."""
    here = _module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            module = node.module if node.level == 0 else ".".join(p for p in (base, node.module) if p)
            found.add(module)
            found |= {f"{module}.{a.name}" for a in node.names}  # `from . import x` loads module x
    # A module's own packages are always loading already when it runs: an edge to them is no circle.
    ancestors = {here.rsplit(".", n)[0] for n in range(1, here.count(".") + 1)}
    return {name for name in found if name in known} - ancestors


def import_cycles(package: str) -> list[list[str]]:
    """Every circle of imports among the modules of `package` (strongly connected components)."""
    paths = {_module_name(p): p for p in (ROOT / package).rglob("*.py")}
    graph = {name: project_imports(path, set(paths)) - {name} for name, path in paths.items()}
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return cycles


def test_no_import_circle_inside_service():
    """Such as the one there was: routers/common.py imported ServiceState from app.py, which imported
    the routers inside create_app."""
    assert import_cycles("service") == []


def test_the_circle_finder_finds_a_circle(tmp_path, monkeypatch):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "a.py").write_text("from .b import thing\n")
    (tmp_path / "pkg" / "b.py").write_text("from pkg import c\n")
    (tmp_path / "pkg" / "c.py").write_text("import json\nfrom . import d\n")
    (tmp_path / "pkg" / "d.py").write_text("from . import c as _\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert import_cycles("pkg") == [["pkg.c", "pkg.d"]]
    (tmp_path / "pkg" / "d.py").write_text("")
    assert import_cycles("pkg") == []
    (tmp_path / "pkg" / "c.py").write_text("def later():\n    from .a import x\n")  # deferred, still a circle
    assert import_cycles("pkg") == [["pkg.a", "pkg.b", "pkg.c"]]


def test_the_state_is_reached_only_through_deps():
    """Handlers declare `state: State` or `state: FreshState` (service/deps.py), never an untyped
    `state=Depends(...)`, and nothing but deps knows where the state hangs on the app."""
    for path in (ROOT / "service").rglob("*.py"):
        text = path.read_text()
        assert "state=Depends(" not in text.replace(" ", ""), path.relative_to(ROOT)
        if path.name != "deps.py":
            assert ".state.zk" not in text, path.relative_to(ROOT)


def test_the_command_line_starts_without_numba():
    """`zkelig --help`, and every command that neither proves nor reads keys, parse their arguments
    without loading numba (half a second of CPU): the actor groups load on demand, the circuit's
    default shape comes from circuits.defaults."""
    heavy = ("numba", "numpy", "circuits.requests", "circuits.credential_query")
    code = f"import sys, service.cli; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]", out.stdout
