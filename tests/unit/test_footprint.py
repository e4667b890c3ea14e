"""Bytecode for the sessions (issue #15: memory per SSH session): `workstation serve-ssh` compiles the
application's modules once, so that each session's process loads bytecode instead of compiling source."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from workstation import footprint


def _package(tmp_path: Path, name: str) -> Path:
    pkg = tmp_path / name
    pkg.mkdir()
    (pkg / "__init__.py").write_text("X = 1\n")
    (pkg / "sub").mkdir()
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "mod.py").write_text("def f():\n    return 2\n")
    return pkg


def test_missing_bytecode_is_written_for_every_module(tmp_path, monkeypatch):
    pkg = _package(tmp_path, "fp_pkg_a")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert footprint.ensure_bytecode(("fp_pkg_a",)) == []
    for source in (pkg / "__init__.py", pkg / "sub" / "mod.py"):
        assert Path(importlib.util.cache_from_source(str(source))).is_file()


def test_a_package_that_cannot_be_compiled_or_found_is_named(tmp_path, monkeypatch):
    pkg = _package(tmp_path, "fp_pkg_b")
    (pkg / "sub" / "broken.py").write_text("def (:\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert footprint.ensure_bytecode(("fp_pkg_b", "fp_no_such_package")) == ["fp_pkg_b", "fp_no_such_package"]
    sys.modules.pop("fp_pkg_b", None)


def test_the_application_s_own_packages_are_compiled_where_they_are_imported_from():
    assert footprint.ensure_bytecode() == []
    import screens.app

    source = Path(screens.app.__file__)
    cached = Path(importlib.util.cache_from_source(str(source)))
    assert cached.is_file() and cached.stat().st_mtime >= source.stat().st_mtime
