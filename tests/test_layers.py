"""The packages form layers: each imports only the packages below it, never one above."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# What each top-level package may import of the others. The kernel (contract, codecs, device
# profiles, config loading) imports none; the parts stand on it; the cloud scores with the
# models; the application (CLI, stack, demo) assembles everything.
ALLOWED: dict[str, set[str]] = {
    "kernel": set(),
    "edge": {"kernel"},
    "models": {"kernel"},
    "simulators": {"kernel"},
    "cloud": {"kernel", "models"},
    "plantwatch": {"kernel", "edge", "models", "simulators", "cloud"},
}


def imported_packages(path: Path) -> dict[str, int]:
    """Top-level project packages a module imports (anywhere in it), with a line of each."""
    out: dict[str, int] = {}
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names = [node.args[0].value]
        for name in names:
            top = name.split(".")[0]
            if top in ALLOWED:
                out.setdefault(top, node.lineno)
    return out


def upward_imports(package: str) -> list[str]:
    """Every import in ``package`` of a package it may not use, as 'file:line imports X'."""
    bad = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for top, line in imported_packages(path).items():
            if top != package and top not in ALLOWED[package]:
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {top}")
    return bad


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_no_package_imports_a_layer_above(package: str) -> None:
    assert upward_imports(package) == []


def test_the_check_sees_an_upward_import(tmp_path: Path) -> None:
    module = tmp_path / "leak.py"
    module.write_text("def f():\n    from plantwatch.stack import Stack\n    return Stack\n")
    assert imported_packages(module) == {"plantwatch": 2}
