"""The import-linter contracts of pyproject.toml (the layers of ENGINEERING.md) hold, so the README's test
command enforces them as CI's `lint-imports` does; and a contract does catch a forbidden import."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("importlinter", reason="import-linter is not installed (pip install -e '.[test]')")

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("workstation", "screens", "db", "printing", "devices")
RUN = ("import sys; from importlinter.cli import lint_imports; "
       "sys.exit(lint_imports(config_filename='pyproject.toml', no_cache=True, no_logo=True))")


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    # A child process with `root` first on the path: the contracts are checked on that tree's packages.
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([sys.executable, "-c", RUN], cwd=root, env=env, capture_output=True, text=True,
                          timeout=120)


def test_the_contracts_hold():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


# (probe module, its one forbidden import, the contract that must name it)
PROBES = [
    ("devices._probe_layers", "workstation.rules.ecd", "Layers"),
    ("workstation.services._probe_layers", "workstation.demo", "Layers"),
    ("workstation.domain._probe_layers", "workstation.config", "rules and domain import nothing"),
    ("printing._probe_layers", "db.models", "devices and printing know nothing of db"),
    ("screens._probe_layers", "db.engine", "A screen calls a service"),
    ("workstation.rules._probe_layers", "textual", "never imports Textual"),
]


def test_a_forbidden_import_breaks_its_contract(tmp_path):
    """On a copy of the tree (the shared one is never touched), each added import is reported under the
    contract it breaks."""
    for pkg in PACKAGES:
        shutil.copytree(ROOT / pkg, tmp_path / pkg, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for module, target, _ in PROBES:
        (tmp_path / (module.replace(".", "/") + ".py")).write_text(f"import {target}\n")
    result = _lint(tmp_path)
    assert result.returncode != 0, result.stdout
    report = result.stdout.split("Broken contracts", 1)[-1]
    # Each broken contract's section runs from its (possibly wrapped) name to the next one's.
    starts = sorted((report.index(name), name) for name in {c for _, _, c in PROBES})
    sections = {name: report[at:(starts[i + 1][0] if i + 1 < len(starts) else len(report))]
                for i, (at, name) in enumerate(starts)}
    for module, target, contract in PROBES:
        assert f"{module} -> {target}" in sections[contract], (contract, sections[contract])
