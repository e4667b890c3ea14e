"""mypy passes with the project's configuration (pyproject.toml [tool.mypy]): strict on the domain, the rules
and the core services (the README's test command enforces it, as CI's `mypy` run does)."""

from __future__ import annotations

from pathlib import Path

import pytest

api = pytest.importorskip("mypy.api", reason="mypy is not installed (pip install -e '.[test]')")

ROOT = Path(__file__).resolve().parents[2]
CONFIG = str(ROOT / "pyproject.toml")
STRICT = ["-p", "workstation.domain", "-p", "workstation.rules",
          *(arg for m in ("auth", "reference", "audit", "base", "cases") for arg in ("-m", f"workstation.services.{m}")),
          "-m", "workstation.errors", "-m", "workstation.inputs"]


def test_strict_packages_type_check():
    out, err, status = api.run(["--config-file", CONFIG, "--cache-dir", str(ROOT / ".mypy_cache"), *STRICT])
    assert status == 0, out + err


def test_the_configuration_is_strict(tmp_path):
    """The flags that make it strict are on: an unannotated function and an Any return are errors."""
    probe = tmp_path / "probe_strict.py"
    probe.write_text("import json\n\ndef f(x):\n    return x\n\ndef g(s: str) -> int:\n    return json.loads(s)\n")
    out, _err, status = api.run(["--config-file", CONFIG, "--cache-dir", str(tmp_path / "cache"), str(probe)])
    assert status == 1
    assert "no-untyped-def" in out and "no-any-return" in out
