"""A corrected rule-set file takes effect in a running process without a restart (issue #15 item 3), and a
decision keeps the rule set it was made with."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from decimal import Decimal

from workstation.rules import ruleset
from workstation.rules.ecd import rules_in_force

SHIPPED = ruleset.SHIPPED_DIR / "ecd" / "PMK-34-2025.toml"
DAY = dt.date(2026, 11, 21)


def test_a_corrected_file_is_used_after_the_rescan_interval(tmp_path, monkeypatch):
    monkeypatch.setattr(ruleset, "RESCAN_S", 0.0)
    folder = tmp_path / "ecd"
    folder.mkdir()
    target = folder / SHIPPED.name
    shutil.copyfile(SHIPPED, target)
    before = rules_in_force(DAY, tmp_path)
    assert before.allowance_usd["passenger"] == Decimal("500.00")
    target.write_text(SHIPPED.read_text(encoding="utf-8").replace('passenger = "500.00"', 'passenger = "600.00"'),
                      encoding="utf-8")
    os.utime(target, ns=(target.stat().st_atime_ns, target.stat().st_mtime_ns + 1_000_000))
    after = rules_in_force(DAY, tmp_path)
    assert after.allowance_usd["passenger"] == Decimal("600.00")
    assert after.sha256 != before.sha256  # a decision records which file it used: the old one stays explained


def test_within_the_interval_the_compiled_rules_are_reused(tmp_path, monkeypatch):
    monkeypatch.setattr(ruleset, "RESCAN_S", 3600.0)
    folder = tmp_path / "ecd"
    folder.mkdir()
    shutil.copyfile(SHIPPED, folder / SHIPPED.name)
    assert rules_in_force(DAY, tmp_path) is rules_in_force(DAY, tmp_path)
