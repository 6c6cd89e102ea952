"""The core's layering: nothing in panspectra_core imports its CLI module (argparse helpers kept
for older callers), and the core names no domain package."""

from __future__ import annotations

import ast
from pathlib import Path

import panspectra_core

CORE = Path(panspectra_core.__file__).parent


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_no_core_module_imports_the_cli_module():
    offenders = [
        str(path.relative_to(CORE))
        for path in CORE.rglob("*.py")
        if path.name != "cli.py" and "panspectra_core.cli" in _imports(path)
    ]
    assert offenders == []


def test_the_core_imports_no_domain_package():
    domains = (
        "panspectra_hsi",
        "panspectra_ts",
        "panspectra_audio",
        "panspectra_vision",
        "panspectra_mol",
    )
    offenders = [
        str(path.relative_to(CORE))
        for path in CORE.rglob("*.py")
        if any(name.split(".")[0] in domains for name in _imports(path))
    ]
    assert offenders == []
