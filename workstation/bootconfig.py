"""The few settings the TUI needs before its first paint (language, keymap, office name and code, time zone,
unit code; the data dir and log level for the log file), read with `tomllib` and the environment only.

pydantic and pydantic-settings cost ~0.15 s of imports, more than the rest of the login screen: the full
`workstation.config.Settings` is validated later, by the worker that opens the database
(`BootConfig.settings()`), and fails there with the one-line message naming the key (ConfigError).

Same sources and precedence as `workstation.config.load_settings`: the file (`--config FILE`, else
$WORKSTATION_CONFIG, else the user config dir), then WORKSTATION_* environment variables (case-insensitive,
nested keys with `__`, e.g. WORKSTATION_OFFICE__NAME; a whole table as JSON, e.g. WORKSTATION_KEYMAP), then
the caller's overrides (demo, tests). A value of the wrong type here falls back to its default: the boot values
only paint the first screen, and the full validation that follows rejects the configuration anyway.

This module must not import pydantic, SQLAlchemy or anything of the services (tests/unit/test_startup.py)."""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs

from workstation.errors import ConfigError

if TYPE_CHECKING:
    from workstation.config import Settings

APP_NAME = "workstation"
ENV_PREFIX = "workstation_"  # compared lower-case: pydantic-settings reads the environment case-insensitively
LANGUAGES = ("id", "en")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def user_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def user_config_file() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "config.toml"


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """The configuration file: `explicit` (--config), else $WORKSTATION_CONFIG, else the user config dir's
    config.toml when it exists; None when there is none (defaults and the environment only)."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("WORKSTATION_CONFIG")
    if env:
        return Path(env)
    default = user_config_file()
    return default if default.exists() else None


MAX_CONFIG_BYTES = 1024 * 1024  # a configuration file is a few KB


def read_config_file(path: Path | None) -> dict[str, Any]:
    """The TOML file's tables as a dict ({} without a file).
    Raises ConfigError (field = the path) when the file is missing or not valid TOML."""
    if path is None:
        return {}
    try:
        with path.open("rb") as fh:  # bounded: `--config /dev/urandom` must not hang or fill memory
            raw = fh.read(MAX_CONFIG_BYTES + 1)
        if len(raw) > MAX_CONFIG_BYTES:
            raise ConfigError(f"larger than {MAX_CONFIG_BYTES // 1024} KB", field=str(path)[:120])
        return tomllib.loads(raw.decode("utf-8-sig"))
    except FileNotFoundError:
        raise ConfigError("configuration file not found", field=str(path)[:120]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"not valid TOML ({exc})", field=str(path)[:120]) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror or exc}", field=str(path)[:120]) from None


@dataclass(frozen=True)
class BootOffice:
    """The office as the login screen and the status bar show it (defaults as OfficeSettings')."""

    code: str = "040300"
    name: str = "KPU Bea dan Cukai Tipe A Tanjung Priok"
    timezone: str = "Asia/Jakarta"


@dataclass(frozen=True)
class BootConfig:
    """Duck-types the attributes of Settings that the app reads before the database is open (`language`,
    `keymap`, `office.name/code/timezone`, `zone`, `unit_code`, `data_dir`, `log_level`, `demo`), and
    remembers where they came from so that `settings()` validates the very same sources."""

    config_file: str | None = None  # the --config argument as given (None: WORKSTATION_CONFIG, user dir)
    overrides: Mapping[str, Any] = field(default_factory=dict)
    language: str = "id"
    keymap: Mapping[str, str] = field(default_factory=dict)
    office: BootOffice = field(default_factory=BootOffice)
    unit_code: str | None = None
    data_dir: Path = field(default_factory=user_data_dir)
    log_level: str = "INFO"
    demo: bool = False

    @property
    def zone(self) -> ZoneInfo:
        return _zone(self.office.timezone)

    def settings(self) -> Settings:
        """The full, validated settings from the same file, environment and overrides (imports pydantic:
        call it off the UI thread). Raises ConfigError naming the first invalid key."""
        from workstation.config import load_settings

        return load_settings(self.config_file, **self.overrides)


def read_boot(path: str | os.PathLike[str] | None = None, **overrides: Any) -> BootConfig:
    """The boot values from the file (see config_path), the environment and `overrides` (these win; the
    same keyword arguments as load_settings). Raises ConfigError only for a missing or unparsable file."""
    values = read_config_file(config_path(path))
    _deep_update(values, _environment(os.environ))
    values.update(overrides)
    office = values.get("office")
    office = office if isinstance(office, Mapping) else {}
    default_office = BootOffice()
    keymap = values.get("keymap")
    data_dir = values.get("data_dir")
    level = values.get("log_level")
    return BootConfig(
        config_file=os.fspath(path) if path else None,
        overrides=dict(overrides),
        language=_choice(values.get("language"), LANGUAGES, "id"),
        keymap=dict(keymap) if _is_keymap(keymap) else {},
        office=BootOffice(
            code=_string(office.get("code"), default_office.code),
            name=_string(office.get("name"), default_office.name),
            timezone=_string(office.get("timezone"), default_office.timezone),
        ),
        unit_code=values.get("unit_code") if isinstance(values.get("unit_code"), str) else None,
        data_dir=Path(data_dir) if isinstance(data_dir, str | os.PathLike) and data_dir else user_data_dir(),
        log_level=_choice(level.upper() if isinstance(level, str) else level, LOG_LEVELS, "INFO"),
        demo=values.get("demo") is True or str(values.get("demo")).lower() in ("1", "true", "t", "yes", "y", "on"),
    )


# -- the environment, as pydantic-settings reads it (only the keys above) ------------------------------------
_SCALARS = ("language", "unit_code", "data_dir", "log_level", "demo")
_TABLES = ("office", "keymap")


def _environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """The boot keys set by WORKSTATION_* variables: scalars as strings, tables from JSON
    (WORKSTATION_OFFICE='{"name": …}') merged with their nested variables (WORKSTATION_OFFICE__NAME)."""
    out: dict[str, Any] = {}
    nested: dict[str, dict[str, str]] = {}
    for name, value in environ.items():
        key = name.lower()
        if not key.startswith(ENV_PREFIX):
            continue
        key = key[len(ENV_PREFIX):]
        if key in _SCALARS:
            out[key] = value
        elif key in _TABLES:
            try:
                parsed = json.loads(value)
            except ValueError:
                parsed = None
            out[key] = parsed if isinstance(parsed, dict) else {}
        else:
            table, sep, sub = key.partition("__")
            if sep and table in _TABLES and sub:
                nested.setdefault(table, {})[sub] = value
    for table, subs in nested.items():
        base = out.get(table)
        out[table] = {**(base if isinstance(base, dict) else {}), **subs}
    return out


def _deep_update(target: dict[str, Any], update: Mapping[str, Any]) -> None:
    """Tables merge key by key (an environment variable for office.name keeps the file's office.code)."""
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(target.get(key), Mapping):
            merged = dict(target[key])
            _deep_update(merged, value)
            target[key] = merged
        else:
            target[key] = value


def _choice(value: object, allowed: tuple[str, ...], default: str) -> str:
    return value if isinstance(value, str) and value in allowed else default


def _string(value: object, default: str) -> str:
    return value if isinstance(value, str) else default


def _is_keymap(value: object) -> TypeGuard[Mapping[str, str]]:
    return isinstance(value, Mapping) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(BootOffice().timezone)  # the full validation names the key; the clock still runs
