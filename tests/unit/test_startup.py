"""Start-up (issue #17 item 7): nothing of pydantic before the first paint. The TUI paints the login screen from
the boot values (workstation/bootconfig.py: tomllib and the environment) and validates the full settings in the
worker that opens the database, failing with the one line the other commands give for the same file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from workstation.bootconfig import read_boot
from workstation.config import load_settings
from workstation.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
# What the first paint must not pay for: the settings' validation and anything of the database layer.
HEAVY = ("pydantic", "pydantic_settings", "pydantic_core", "workstation.config", "sqlalchemy",
         "workstation.services")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path):
    for key in list(os.environ):
        if key.upper().startswith("WORKSTATION_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))


def _run(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("WORKSTATION_")}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "xdg-config"), XDG_DATA_HOME=str(tmp_path / "xdg-data"),
               PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=120)


def _config(tmp_path: Path, body: str = "") -> Path:
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'data_dir = "{tmp_path / "data"}"\nlanguage = "en"\n{body}', encoding="utf-8")
    return cfg


@pytest.mark.parametrize("command", [
    "tui",
    "demo",
])
def test_the_tui_paints_its_login_screen_without_pydantic(tmp_path, command):
    cfg = _config(tmp_path, '[office]\nname = "KPPBC Uji"\n')
    args = ["tui"] if command == "tui" else ["demo", "--dir", str(tmp_path / "demo")]
    code = f"""
import json, sys
from workstation.cli import main
code = main(["--config", {str(cfg)!r}, *{args!r}, "--headless", "--exit-on", "first-paint"])
print(json.dumps({{"code": code, "loaded": [m for m in {HEAVY!r} if m in sys.modules]}}))
"""
    proc = _run(code, tmp_path)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result == {"code": 0, "loaded": []}


def test_an_invalid_key_ends_the_tui_with_the_one_line_of_the_other_commands(tmp_path):
    cfg = _config(tmp_path, '[office]\ncode = "12"\n')
    with pytest.raises(ConfigError) as expected:
        load_settings(cfg)
    code = f"""
import sys
from workstation.cli import main
sys.exit(main(["--config", {str(cfg)!r}, "tui", "--headless", "--exit-on", "ready"]))
"""
    proc = _run(code, tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == f"workstation: {expected.value}\n"
    assert proc.stderr == "workstation: office.code: office code must be 6 digits\n"


async def test_an_invalid_key_shows_the_same_line_on_the_login_screen(tmp_path):
    from screens.app import WorkstationApp
    from screens.login import LoginScreen

    cfg = _config(tmp_path, "idle_lock_minutes = 0\n")
    opened: list[object] = []
    app = WorkstationApp(read_boot(cfg), services_factory=opened.append)
    async with app.run_test(size=(100, 30)) as pilot:
        for worker in list(app.workers):
            await worker.wait()
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)
        message = str(app.screen.query_one("#login-message").render())
    assert opened == []  # the database is not opened on an invalid configuration
    assert app.config_error == "idle_lock_minutes: Input should be greater than or equal to 1"
    assert app.config_error in message


async def test_the_worker_replaces_the_boot_values_with_the_validated_settings(tmp_path):
    from screens.app import WorkstationApp

    cfg = _config(tmp_path, '[keymap]\n"ws.lock" = "f5"\n')
    seen: list[object] = []

    def factory(settings):
        seen.append(settings)
        raise ConfigError("stop here", field="test")  # no database needed: what it was given is the point

    app = WorkstationApp(read_boot(cfg), services_factory=factory)
    async with app.run_test(size=(100, 30)) as pilot:
        assert app.translator.lang == "en"  # painted from the boot values
        for worker in list(app.workers):
            await worker.wait()
        await pilot.pause()
    assert [type(s).__name__ for s in seen] == ["Settings"]
    assert app.settings is seen[0] and app.settings.keymap == {"ws.lock": "f5"}


# -- the boot values read what the full settings read ----------------------------------------------------------
@pytest.mark.parametrize(
    ("toml", "env"),
    [
        ("", {}),
        ('language = "en"\nunit_code = "PLB01"\nlog_level = "DEBUG"\n[office]\nname = "KPPBC Uji"\ncode = "050100"\n'
         'timezone = "Asia/Makassar"\n[keymap]\n"ws.lock" = "f5"\n', {}),
        ('language = "en"\n[office]\ncode = "050100"\n',
         {"WORKSTATION_LANGUAGE": "id", "WORKSTATION_OFFICE__NAME": "Dari env", "workstation_unit_code": "U01"}),
        ('[keymap]\n"ws.lock" = "f5"\n', {"WORKSTATION_KEYMAP": '{"ws.help": "f2"}', "WORKSTATION_DEMO": "true"}),
        ('[office]\nname = "file"\n', {"WORKSTATION_OFFICE": '{"name": "json", "code": "060200"}',
                                       "WORKSTATION_OFFICE__TIMEZONE": "Asia/Jayapura"}),
    ],
)
def test_boot_values_agree_with_the_validated_settings(tmp_path, monkeypatch, toml, env):
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'data_dir = "{tmp_path / "data"}"\n{toml}', encoding="utf-8")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    boot, full = read_boot(cfg), load_settings(cfg)
    assert (boot.language, dict(boot.keymap), boot.unit_code, boot.data_dir, boot.log_level, boot.demo) == (
        full.language, full.keymap, full.unit_code, full.data_dir, full.log_level, full.demo)
    assert (boot.office.name, boot.office.code, boot.office.timezone) == (
        full.office.name, full.office.code, full.office.timezone)
    assert boot.zone == full.zone


def test_boot_finds_the_file_as_the_settings_do(tmp_path, monkeypatch):
    cfg = tmp_path / "env.toml"
    cfg.write_text('[office]\nname = "via WORKSTATION_CONFIG"\n', encoding="utf-8")
    monkeypatch.setenv("WORKSTATION_CONFIG", str(cfg))
    assert read_boot().office.name == load_settings().office.name == "via WORKSTATION_CONFIG"
    monkeypatch.delenv("WORKSTATION_CONFIG")
    user = tmp_path / "xdg-config" / "workstation" / "config.toml"
    user.parent.mkdir(parents=True)
    user.write_text('language = "en"\n', encoding="utf-8")
    assert read_boot().language == load_settings().language == "en"


def test_overrides_win_at_boot_as_in_the_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKSTATION_LANGUAGE", "en")
    boot = read_boot(None, language="id", data_dir=tmp_path / "demo", demo=True)
    assert (boot.language, boot.data_dir, boot.demo) == ("id", tmp_path / "demo", True)
    full = boot.settings()
    assert (full.language, full.data_dir, full.demo) == ("id", tmp_path / "demo", True)


def test_values_of_the_wrong_type_paint_with_defaults_and_fail_in_the_validation(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('language = "fr"\nkeymap = 3\n[office]\ntimezone = "Asia/Jakart"\nname = 7\n', encoding="utf-8")
    boot = read_boot(cfg)
    assert (boot.language, dict(boot.keymap), boot.office.name, str(boot.zone)) == (
        "id", {}, "KPU Bea dan Cukai Tipe A Tanjung Priok", "Asia/Jakarta")
    with pytest.raises(ConfigError) as e:
        boot.settings()
    assert e.value.field in ("language", "keymap", "office.timezone", "office.name")  # the first pydantic meets


@pytest.mark.parametrize(("body", "match"), [("idle_lock_minutes = = 3\n", "TOML"), (None, "not found")])
def test_an_unreadable_file_fails_at_once_with_the_settings_message(tmp_path, body, match):
    cfg = tmp_path / "c.toml"
    if body is not None:
        cfg.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError, match=match) as boot_error:
        read_boot(cfg)
    with pytest.raises(ConfigError) as full_error:
        load_settings(cfg)
    assert str(boot_error.value) == str(full_error.value)
