"""Bytecode for the sessions (issue #15: memory per SSH session): `workstation serve-ssh` compiles the
application's modules once, so that each session's process loads bytecode instead of compiling source."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

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


def _opt2(source: Path) -> Path:
    return Path(importlib.util.cache_from_source(str(source), optimization=2))


def test_the_warm_up_writes_level_2_bytecode_for_what_a_session_imports_and_its_libraries(tmp_path, monkeypatch):
    """Every module the imports bring in gets its -OO bytecode, and so does the rest of a library package they
    come from (a session imports more of it later); a module nothing imported outside a library does not."""
    lib, app = tmp_path / "lib", tmp_path / "app"
    lib.mkdir(), app.mkdir()
    libpkg = _package(lib, "fp_lib")
    (libpkg / "later.py").write_text("Y = 3\n")  # imported by nobody yet
    (app / "fp_entry.py").write_text("import fp_lib.sub.mod\n")
    (app / "fp_unrelated.py").write_text("Z = 4\n")
    monkeypatch.syspath_prepend(str(lib))
    monkeypatch.syspath_prepend(str(app))
    monkeypatch.setattr(footprint, "_library_dirs", lambda: [str(lib)])
    try:
        assert footprint.warm_session_bytecode(("fp_entry",), optimize=2) == []
    finally:
        for name in ("fp_entry", "fp_lib", "fp_lib.sub", "fp_lib.sub.mod"):
            sys.modules.pop(name, None)
    for source in (app / "fp_entry.py", libpkg / "sub" / "mod.py", libpkg / "later.py"):
        assert _opt2(source).is_file(), source
    assert not _opt2(app / "fp_unrelated.py").exists()
    assert not Path(importlib.util.cache_from_source(str(app / "fp_entry.py"))).exists()  # level 2 only


def test_a_module_whose_bytecode_cannot_be_written_is_named(tmp_path, monkeypatch):
    app = tmp_path / "app"
    app.mkdir()
    (app / "fp_stuck.py").write_text("W = 5\n")
    (app / "__pycache__").write_text("a file where the directory would go\n")  # even root cannot write there
    monkeypatch.syspath_prepend(str(app))
    try:
        failed = footprint.warm_session_bytecode(("fp_stuck",), optimize=2)
    finally:
        sys.modules.pop("fp_stuck", None)
    assert failed == [str(app / "fp_stuck.py")]


def _libraries_writable() -> bool:
    import textual

    return os.access(Path(textual.__file__).parent / "__pycache__", os.W_OK)


@pytest.mark.skipif(not _libraries_writable(), reason="a read-only install: its owner writes the bytecode")
def test_serve_ssh_sessions_run_at_OO_when_the_warm_up_leaves_nothing_missing():
    level, missing = footprint.prepare_session_bytecode()
    assert (level, missing) == (2, [])
    import textual.app

    import screens.app

    for module in (screens.app, textual.app):
        assert _opt2(Path(module.__file__)).is_file()


def test_without_the_warm_up_sessions_stay_at_level_0(monkeypatch):
    monkeypatch.setattr(sys, "executable", "/bin/false")  # the warm-up process fails
    assert footprint.prepare_session_bytecode() == (0, ["the bytecode warm-up did not finish"])


def test_the_session_s_command_carries_the_level():
    from workstation.sshserve import default_child_command

    assert default_child_command("siti", optimize=2)[1:3] == ["-OO", "-m"]
    assert default_child_command("siti")[1] == "-m"
