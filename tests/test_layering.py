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
