"""Configuration: a TOML file (`--config`, else WORKSTATION_CONFIG, else the user config dir) overridden by
WORKSTATION_* environment variables (nested keys with `__`, e.g. WORKSTATION_OFFICE__CODE).
Invalid configuration gives one message naming the key (ConfigError)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

# The file and its path are found by bootconfig (no pydantic: the TUI reads its boot values there first).
from workstation.bootconfig import APP_NAME, config_path, read_config_file, user_config_file, user_data_dir
from workstation.errors import ConfigError

__all__ = ["APP_NAME", "Settings", "config_path", "load_settings", "user_config_file", "user_data_dir",
           "with_overrides"]
DEFAULT_NUMBER_FORMAT = "{seq:06d}/{doc_type}/{office}/{year}"
DEFAULT_UNIT_NUMBER_FORMAT = "{seq:06d}/{doc_type}/{office}-{unit}/{year}"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OfficeSettings(_Section):
    code: str = Field("040300", description="KPPBC office code (6 digits)")
    name: str = "KPU Bea dan Cukai Tipe A Tanjung Priok"
    address: str = "Jl. Pabean No. 1, Tanjung Priok, Jakarta Utara 14310"
    city: str = "Jakarta"
    phone: str = "(021) 4301180"
    timezone: str = "Asia/Jakarta"

    @field_validator("code")
    @classmethod
    def _code(cls, v: str) -> str:
        if not re.fullmatch(r"[0-9]{6}", v):
            raise ValueError("office code must be 6 digits")
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r}") from None
        return v


class NumberingSettings(_Section):
    format: str = DEFAULT_NUMBER_FORMAT
    unit_format: str = DEFAULT_UNIT_NUMBER_FORMAT

    @field_validator("format", "unit_format")
    @classmethod
    def _fmt(cls, v: str) -> str:
        if "{seq" not in v:
            raise ValueError("number format must contain {seq}")
        try:
            v.format(seq=1, doc_type="SPPB", office="040300", unit="U01", year=2026)
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"bad number format: {exc}") from None
        return v


class PrinterSettings(_Section):
    cups_queue: str | None = None
    receipt_port: str | None = Field(None, description="serial path of the ESC/POS receipt printer")
    receipt_baud: int = Field(19200, gt=0)
    receipt_columns: Literal[32, 42, 48] = 42
    lp_command: str = "lp"


class GateSettings(_Section):
    barrier: str | None = Field(None, description="name of the barrier device this workstation drives")
    tps: str | None = Field(None, description="the TPS whose gate this is (PLP movements)")
    scanner_window_minutes: int = Field(120, ge=1, le=1440, description="scanner results this recent count")
    close_after_s: float = Field(30.0, gt=0, le=600, description="seconds an opened barrier waits for its truck "
                                 "before closing (at once when its vehicle detector reports the passage)")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="WORKSTATION_",
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    database_url: str | None = Field(None, description="SQLAlchemy URL; default: SQLite file in the data dir")
    database_pool_size: int = Field(2, ge=1, le=20, description="PostgreSQL connections kept per process")
    database_max_overflow: int = Field(3, ge=0, le=20, description="extra PostgreSQL connections in a burst")
    data_dir: Path = Field(default_factory=user_data_dir)
    office: OfficeSettings = Field(default_factory=OfficeSettings)
    unit_code: str | None = Field(None, description="field unit code; numbers then carry it")
    idle_lock_minutes: int = Field(10, ge=1, le=240)
    session_heartbeat_seconds: int = Field(15, ge=2, le=600)
    language: Literal["id", "en"] = "id"
    keymap: dict[str, str] = Field(default_factory=dict, description="binding id -> keys")
    numbering: NumberingSettings = Field(default_factory=NumberingSettings)
    printer: PrinterSettings = Field(default_factory=PrinterSettings)
    devices: list[dict[str, Any]] = Field(default_factory=list, description="parsed by devices.config")
    gate: GateSettings = Field(default_factory=GateSettings)
    signing_key_file: Path | None = Field(None, description="office Ed25519 key; default in data_dir/keys")
    rulesets_dir: Path | None = Field(None, description="corrected rule-set files overriding shipped ones")
    demo: bool = False
    password_hashing: Literal["standard", "fast"] = Field(
        "standard", description="argon2id cost profile; 'fast' is for test suites only"
    )
    max_failed_logins: int = Field(5, ge=1, le=20)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="level of the log file data_dir/logs/workstation-<pid>.log (workstation/logs.py)")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment beats the file (passed as init values).
        return (env_settings, init_settings)

    @field_validator("unit_code")
    @classmethod
    def _unit(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[A-Z0-9]{2,8}", v):
            raise ValueError("unit code must be 2-8 capital letters or digits")
        return v

    @field_validator("database_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is None or v == "":
            return None
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            url = make_url(v)
        except ArgumentError:
            raise ValueError("not a database URL (expected sqlite:///PATH or postgresql+psycopg://...)") from None
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise ValueError(f"unsupported database {url.get_backend_name()!r}; use sqlite or postgresql")
        return v

    # -- derived -------------------------------------------------------------------------------------
    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'workstation.sqlite'}"

    @property
    def effective_key_file(self) -> Path:
        return self.signing_key_file or (self.data_dir / "keys" / f"office-{self.office.code}.ed25519")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.office.timezone)


def _first_error(exc: ValidationError) -> ConfigError:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"]) or "config"
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        msg = "unknown setting"
    return ConfigError(msg, field=loc)


def load_settings(path: str | os.PathLike[str] | None = None, **overrides: Any) -> Settings:
    """Read the TOML file (if any) and the environment. `overrides` win over both (tests, demo)."""
    file_values = read_config_file(config_path(path))
    try:
        settings = Settings(**file_values)
    except ValidationError as exc:
        raise _first_error(exc) from None
    if overrides:
        settings = with_overrides(settings, **overrides)
    return settings


def with_overrides(settings: Settings, **overrides: Any) -> Settings:
    """A copy with `overrides` validated field by field; they win over file and environment (demo, tests)."""
    from pydantic import TypeAdapter

    update: dict[str, Any] = {}
    for key, value in overrides.items():
        field = Settings.model_fields.get(key)
        if field is None:
            raise ConfigError("unknown setting", field=key)
        try:
            update[key] = TypeAdapter(field.annotation).validate_python(value)
        except ValidationError as exc:
            raise ConfigError(exc.errors()[0]["msg"], field=key) from None
    return settings.model_copy(update=update)
