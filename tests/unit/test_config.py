from __future__ import annotations

import pytest

from workstation.config import load_settings
from workstation.errors import ConfigError


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path):
    for key in list(__import__("os").environ):
        if key.startswith("WORKSTATION_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


def test_defaults_use_a_sqlite_file_in_the_data_dir():
    s = load_settings()
    assert s.effective_database_url.startswith("sqlite:///")
    assert s.effective_database_url.endswith("workstation.sqlite")
    assert s.office.code == "040300" and s.language == "id" and s.idle_lock_minutes == 10


def test_file_then_environment_wins(tmp_path, monkeypatch):
    cfg = tmp_path / "c.toml"
    cfg.write_text('idle_lock_minutes = 3\nlanguage = "en"\n[office]\ncode = "050100"\n[keymap]\n"ws.lock" = "f5"\n')
    s = load_settings(cfg)
    assert (s.idle_lock_minutes, s.language, s.office.code, s.keymap) == (3, "en", "050100", {"ws.lock": "f5"})
    monkeypatch.setenv("WORKSTATION_IDLE_LOCK_MINUTES", "7")
    monkeypatch.setenv("WORKSTATION_OFFICE__CODE", "060200")
    s = load_settings(cfg)
    assert (s.idle_lock_minutes, s.office.code) == (7, "060200")


def test_config_from_environment_variable_path(tmp_path, monkeypatch):
    cfg = tmp_path / "c.toml"
    cfg.write_text('unit_code = "PLB01"\n')
    monkeypatch.setenv("WORKSTATION_CONFIG", str(cfg))
    assert load_settings().unit_code == "PLB01"


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ("idle_lock_minutes = 0", "idle_lock_minutes"),
        ('idle_lock_minutes = "soon"', "idle_lock_minutes"),
        ('language = "fr"', "language"),
        ('[office]\ntimezone = "Asia/Jakart"', "office.timezone"),
        ('[office]\ncode = "12"', "office.code"),
        ('database_url = "mysql://x/y"', "database_url"),
        ('database_url = "not a url"', "database_url"),
        ('unit_code = "plb 1"', "unit_code"),
        ("colour = 1", "colour"),
        ('[printer]\nreceipt_columns = 50', "printer.receipt_columns"),
    ],
)
def test_invalid_value_names_the_key(tmp_path, toml, key):
    cfg = tmp_path / "c.toml"
    cfg.write_text(toml + "\n")
    with pytest.raises(ConfigError) as e:
        load_settings(cfg)
    assert e.value.field == key


def test_broken_toml_and_missing_file(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("idle_lock_minutes = = 3\n")
    with pytest.raises(ConfigError, match="TOML"):
        load_settings(cfg)
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml")
