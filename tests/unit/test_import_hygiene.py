"""The headless core never imports Textual (ENGINEERING.md): the CLI, services and sync must run without it."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEADLESS = ["workstation", "db", "printing", "devices"]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_textual_in_headless_packages():
    offenders = []
    for pkg in HEADLESS:
        for path in (ROOT / pkg).rglob("*.py"):
            if any(n == "textual" or n.startswith("textual.") for n in _imports(path)):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_only_the_tui_command_imports_screens():
    """cli.py starts the TUI through commands/tui.py; nothing else in the core reaches into screens/."""
    offenders = []
    for path in (ROOT / "workstation").rglob("*.py"):
        if path.name == "tui.py" and path.parent.name == "commands":
            continue
        if any(n == "screens" or n.startswith("screens.") for n in _imports(path)):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


# The domain is the bottom layer: it imports only itself (its errors live in workstation.domain.errors, which
# workstation.errors re-exports). The rules sit above it and may use the errors through either module.
ALLOWED = {
    "workstation/rules": ("workstation.domain", "workstation.rules", "workstation.errors"),
    "workstation/domain": ("workstation.domain",),
}


def test_rules_and_domain_import_nothing_of_the_project_but_each_other():
    offenders = []
    for pkg, allowed in ALLOWED.items():
        for path in (ROOT / pkg).rglob("*.py"):
            for n in _imports(path):
                top = n.split(".")[0]
                if top in ("workstation", "db", "printing", "devices", "screens") and not n.startswith(allowed):
                    offenders.append(f"{path.relative_to(ROOT)} imports {n}")
    assert offenders == []


def test_devices_and_printing_know_nothing_of_db():
    offenders = []
    for pkg in ("devices", "printing"):
        for path in (ROOT / pkg).rglob("*.py"):
            for n in _imports(path):
                if n == "db" or n.startswith("db.") or n.startswith("workstation.services"):
                    offenders.append(f"{path.relative_to(ROOT)} imports {n}")
    assert offenders == []
