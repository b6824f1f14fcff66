from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]
# In a checkout the folders are importable by their bare names too; a module imported both
# ways would be two modules with two states, so everything imports through `newsum`.
_BARE = {"models", "service", "benchmarks"}


def test_import_contracts_hold() -> None:
    """The import-linter contracts: models never import the service, the service's rooms are
    layered, only the corpus job's Ray module imports Ray, and there are no import cycles."""
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 kept, 0 broken" in result.stdout


def test_nothing_imports_the_folders_by_their_bare_names() -> None:
    """Every import of the project's own code goes through the one root, `newsum`."""
    offenders = []
    for folder in ("models", "service", "benchmarks", "research", "tests"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                offenders += [
                    f"{path.relative_to(ROOT)}:{node.lineno} {name}"
                    for name in names
                    if name.split(".")[0] in _BARE
                ]
    assert offenders == []


def test_the_root_package_links_the_top_level_folders() -> None:
    """newsum/models, newsum/service and newsum/benchmarks are the folders themselves."""
    for name in _BARE:
        assert (ROOT / "newsum" / name).resolve() == (ROOT / name).resolve()
